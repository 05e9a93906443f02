//! tiktoken's byte-pair merge: repeatedly merge the adjacent pair whose concatenation has the
//! lowest rank, the leftmost one on ties, until no adjacent pair is a token.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use rustc_hash::FxHashMap;

/// Token bytes to rank. Tokens of up to 15 bytes, nearly all lookups, are packed with their
/// length into a `u128` key: hashing and comparing it costs no loop and no `memcmp`.
#[derive(Debug, Default)]
pub(crate) struct Ranks {
    short: FxHashMap<u128, u32>,
    long: FxHashMap<Box<[u8]>, u32>,
}

impl Ranks {
    pub(crate) fn insert(&mut self, bytes: &[u8], rank: u32) {
        match pack(bytes) {
            Some(key) => self.short.insert(key, rank),
            None => self.long.insert(bytes.into(), rank),
        };
    }

    #[inline]
    pub(crate) fn get(&self, bytes: &[u8]) -> Option<u32> {
        match pack(bytes) {
            Some(key) => self.short.get(&key).copied(),
            None => self.long.get(bytes).copied(),
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.short.len() + self.long.len()
    }
}

#[inline]
fn pack(bytes: &[u8]) -> Option<u128> {
    if bytes.len() > 15 {
        return None;
    }
    let mut buf = [0u8; 16];
    buf[..bytes.len()].copy_from_slice(bytes);
    buf[15] = bytes.len() as u8;
    Some(u128::from_le_bytes(buf))
}

/// Pieces longer than this merge with a heap in O(n log n) instead of tiktoken's O(n²) scan;
/// both give the same tokens. Long pieces are rare (runs of spaces, long identifiers, base64)
/// but a quadratic blow-up on one tool output would stall a whole rendering job.
const HEAP_FROM: usize = 128;

/// Calls `out(rank, start, end)` for the tokens of `piece`, offsets in `piece` (`piece` is not
/// itself a token and has at least two bytes). `parts` is scratch space.
pub(crate) fn byte_pair_encode(
    ranks: &Ranks,
    piece: &[u8],
    parts: &mut Vec<(usize, u32)>,
    mut out: impl FnMut(u32, usize, usize),
) {
    debug_assert!(piece.len() >= 2);
    if piece.len() >= HEAP_FROM {
        merge_with_heap(ranks, piece, parts);
    } else {
        merge_by_scan(ranks, piece, parts);
    }
    for w in parts.windows(2) {
        let (start, end) = (w[0].0, w[1].0);
        let rank = ranks
            .get(&piece[start..end])
            .expect("every byte is a token, so every part is one");
        out(rank, start, end);
    }
}

/// tiktoken's `_byte_pair_merge`: leaves in `parts` the start of each part, then `piece.len()`.
pub(crate) fn merge_by_scan(ranks: &Ranks, piece: &[u8], parts: &mut Vec<(usize, u32)>) {
    let rank_of = |bytes: &[u8]| ranks.get(bytes).unwrap_or(u32::MAX);
    // parts[i] = (start of part i, rank of the merge of parts i and i+1).
    parts.clear();
    let mut min = (u32::MAX, usize::MAX);
    for i in 0..piece.len() - 1 {
        let rank = rank_of(&piece[i..i + 2]);
        if rank < min.0 {
            min = (rank, i);
        }
        parts.push((i, rank));
    }
    parts.push((piece.len() - 1, u32::MAX));
    parts.push((piece.len(), u32::MAX));

    // The rank of merging parts i, i+1 and i+2, once i and i+1 are one.
    let merged_rank = |parts: &[(usize, u32)], i: usize| {
        if i + 3 < parts.len() {
            rank_of(&piece[parts[i].0..parts[i + 3].0])
        } else {
            u32::MAX
        }
    };
    while min.0 != u32::MAX {
        let i = min.1;
        if i > 0 {
            parts[i - 1].1 = merged_rank(parts, i - 1);
        }
        parts[i].1 = merged_rank(parts, i);
        parts.remove(i + 1);
        min = (u32::MAX, usize::MAX);
        for (j, &(_, rank)) in parts[..parts.len() - 1].iter().enumerate() {
            if rank < min.0 {
                min = (rank, j);
            }
        }
    }
}

/// The same merges as [`merge_by_scan`]: the heap pops the lowest (rank, start), which is the
/// lowest-ranked pair, leftmost on ties; entries whose pair has changed since are skipped.
pub(crate) fn merge_with_heap(ranks: &Ranks, piece: &[u8], parts: &mut Vec<(usize, u32)>) {
    const NONE: usize = usize::MAX;
    let n = piece.len();
    let rank_of = |bytes: &[u8]| ranks.get(bytes).unwrap_or(u32::MAX);
    // Parts are named by their start; `next[s]` is the start of the following part (or n).
    let mut next: Vec<usize> = (1..=n).collect();
    let mut prev: Vec<usize> = (0..n).map(|i| i.checked_sub(1).unwrap_or(NONE)).collect();
    let mut pair_rank: Vec<u32> = (0..n)
        .map(|i| {
            if i + 1 < n {
                rank_of(&piece[i..i + 2])
            } else {
                u32::MAX
            }
        })
        .collect();
    let mut alive = vec![true; n];
    let mut heap: BinaryHeap<Reverse<(u32, usize)>> = pair_rank
        .iter()
        .enumerate()
        .filter(|(_, r)| **r != u32::MAX)
        .map(|(i, r)| Reverse((*r, i)))
        .collect();
    while let Some(Reverse((rank, i))) = heap.pop() {
        if !alive[i] || pair_rank[i] != rank {
            continue;
        }
        let j = next[i];
        let k = next[j];
        alive[j] = false;
        next[i] = k;
        if k < n {
            prev[k] = i;
        }
        pair_rank[i] = if k < n {
            rank_of(&piece[i..next[k]])
        } else {
            u32::MAX
        };
        if pair_rank[i] != u32::MAX {
            heap.push(Reverse((pair_rank[i], i)));
        }
        let p = prev[i];
        if p != NONE {
            pair_rank[p] = rank_of(&piece[p..k]);
            if pair_rank[p] != u32::MAX {
                heap.push(Reverse((pair_rank[p], p)));
            }
        }
    }
    parts.clear();
    let mut s = 0;
    while s < n {
        parts.push((s, 0));
        s = next[s];
    }
    parts.push((n, u32::MAX));
}
