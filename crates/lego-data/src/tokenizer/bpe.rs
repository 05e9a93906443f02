//! tiktoken's byte-pair merge: repeatedly merge the adjacent pair whose concatenation has the
//! lowest rank, the leftmost one on ties, until no adjacent pair is a token.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use rustc_hash::FxHashMap;

/// Token bytes to rank. Tokens of up to 15 bytes, nearly all lookups, are packed with their
/// length into a 16-byte key and kept in one flat open-addressing table (linear probing, at
/// most three quarters full): a lookup hashes two words and compares one slot, mostly in one
/// cache line, with no loop over bytes. The table is plain bytes in a fixed layout, so the
/// cache of compiled tokenizers saves it and reads it back as it is instead of inserting
/// 151,643 keys again. Longer tokens (2,199 of Qwen3's) are in a map.
#[derive(Debug, Default)]
pub(crate) struct Ranks {
    /// A power of two of slots (or none), each a packed key (all zero: empty; a token is never
    /// empty, so its key holds a non-zero length) then the rank, little-endian.
    slots: Vec<Slot>,
    /// Filled slots.
    short: usize,
    long: FxHashMap<Box<[u8]>, u32>,
}

/// A slot of [`Ranks`]' table: key (16 bytes) then rank (4 bytes).
pub(crate) type Slot = [u8; 20];

const EMPTY: [u8; 16] = [0; 16];

impl Ranks {
    /// The ranks of `tokens` (rank = index). `Err` names a token that appears twice.
    pub(crate) fn from_tokens(tokens: &Tokens) -> Result<Self, Vec<u8>> {
        let short = tokens.iter().filter(|t| pack(t).is_some()).count();
        // Sized once, so the table is never rehashed while filled.
        let mut ranks = Ranks {
            slots: vec![[0; 20]; table_size(short)],
            short: 0,
            long: FxHashMap::default(),
        };
        for (rank, token) in tokens.iter().enumerate() {
            let rank = u32::try_from(rank).map_err(|_| token.to_vec())?;
            if ranks.insert(token, rank).is_some() {
                return Err(token.to_vec());
            }
        }
        Ok(ranks)
    }

    /// The ranks of `tokens` with the table [`Ranks::slots`] gave for them (the cache's way
    /// in), or `None` if it is not a table of this layout and hash: a sample of the tokens,
    /// every single byte among them, must be found at their rank.
    pub(crate) fn from_slots(slots: Vec<Slot>, tokens: &Tokens) -> Option<Self> {
        if !slots.len().is_power_of_two() {
            return None;
        }
        let mut ranks = Ranks {
            slots,
            short: 0,
            long: FxHashMap::default(),
        };
        for (rank, token) in tokens.iter().enumerate() {
            let rank = u32::try_from(rank).ok()?;
            match pack(token) {
                Some(_) => ranks.short += 1,
                None => {
                    ranks.long.insert(token.into(), rank);
                }
            }
        }
        let filled = ranks.slots.iter().filter(|s| s[..16] != EMPTY).count();
        let found = tokens
            .iter()
            .enumerate()
            .filter(|(rank, t)| t.len() == 1 || rank % 97 == 0)
            .all(|(rank, t)| ranks.get(t) == Some(rank as u32));
        (filled == ranks.short && ranks.short < ranks.slots.len() && found).then_some(ranks)
    }

    /// The table of the tokens of up to 15 bytes, for [`Ranks::from_slots`].
    pub(crate) fn slots(&self) -> &[Slot] {
        &self.slots
    }

    /// Sets the rank of `bytes`, returning the rank it had.
    pub(crate) fn insert(&mut self, bytes: &[u8], rank: u32) -> Option<u32> {
        let Some(key) = pack(bytes) else {
            return self.long.insert(bytes.into(), rank);
        };
        if table_size(self.short + 1) > self.slots.len() {
            let old = std::mem::replace(&mut self.slots, vec![[0; 20]; table_size(self.short + 1)]);
            for slot in old.iter().filter(|s| s[..16] != EMPTY) {
                let i = self.find(key_of(slot));
                self.slots[i] = *slot;
            }
        }
        let i = self.find(key);
        let slot = &mut self.slots[i];
        let previous = (slot[..16] != EMPTY).then(|| rank_of(slot));
        slot[..16].copy_from_slice(&key);
        slot[16..].copy_from_slice(&rank.to_le_bytes());
        if previous.is_none() {
            self.short += 1;
        }
        previous
    }

    #[inline]
    pub(crate) fn get(&self, bytes: &[u8]) -> Option<u32> {
        match pack(bytes) {
            Some(key) => {
                let slot = self.slots.get(self.find(key))?;
                (slot[..16] != EMPTY).then(|| rank_of(slot))
            }
            None => self.long.get(bytes).copied(),
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.short + self.long.len()
    }

    /// The slot that holds `key`, or the empty slot where it would go (or `slots.len()` for a
    /// table without one, which only an empty default table is).
    #[inline]
    fn find(&self, key: [u8; 16]) -> usize {
        let mask = self.slots.len().wrapping_sub(1);
        let mut i = hash(key) & mask;
        // At most three quarters full, so an empty slot ends every probe; the bound keeps a
        // table without one (empty) from looping.
        for _ in 0..self.slots.len() {
            let k = key_of(&self.slots[i]);
            if k == key || k == EMPTY {
                return i;
            }
            i = (i + 1) & mask;
        }
        self.slots.len()
    }
}

/// Slots for `n` keys: a power of two at most three quarters full, with an empty slot always.
fn table_size(n: usize) -> usize {
    (n + n / 3 + 1).next_power_of_two()
}

#[inline]
fn key_of(slot: &Slot) -> [u8; 16] {
    *slot.first_chunk().expect("a slot starts with its key")
}

#[inline]
fn rank_of(slot: &Slot) -> u32 {
    u32::from_le_bytes(*slot.last_chunk().expect("a slot ends with its rank"))
}

/// The table position of a key before masking: a multiply-xorshift of its two words. It decides
/// where the cache's saved tables hold each key; `Ranks::from_slots` refuses a table saved
/// with another.
#[inline]
fn hash(key: [u8; 16]) -> usize {
    let k = u128::from_le_bytes(key);
    let (lo, hi) = (k as u64, (k >> 64) as u64);
    let x = lo ^ hi.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    let x = (x ^ (x >> 29)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    (x ^ (x >> 32)) as usize
}

/// Byte strings by index in one buffer: `Vec<Box<[u8]>>` for Qwen's vocabulary is 151,669
/// allocations to make and free, this is two. An empty string stands for "no token".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Tokens {
    data: Vec<u8>,
    /// `ends[i]` is where string `i` ends in `data`; it starts where `i - 1` ends (or at 0).
    ends: Vec<u32>,
}

impl Tokens {
    pub(crate) fn with_capacity(count: usize, bytes: usize) -> Self {
        Tokens {
            data: Vec::with_capacity(bytes),
            ends: Vec::with_capacity(count),
        }
    }

    /// Appends string number `len()`; false, with nothing appended, if the buffer would pass
    /// 4 GiB (u32 offsets keep the table half the size).
    #[must_use]
    pub(crate) fn push(&mut self, bytes: &[u8]) -> bool {
        let Ok(end) = u32::try_from(self.data.len() + bytes.len()) else {
            return false;
        };
        self.data.extend_from_slice(bytes);
        self.ends.push(end);
        true
    }

    pub(crate) fn len(&self) -> usize {
        self.ends.len()
    }

    /// String `i`, or `None` past the end.
    #[inline]
    pub(crate) fn get(&self, i: usize) -> Option<&[u8]> {
        let end = *self.ends.get(i)? as usize;
        let start = match i {
            0 => 0,
            _ => self.ends[i - 1] as usize,
        };
        Some(&self.data[start..end])
    }

    pub(crate) fn iter(&self) -> impl ExactSizeIterator<Item = &[u8]> + '_ {
        let mut start = 0;
        self.ends.iter().map(move |&end| {
            let s = &self.data[start..end as usize];
            start = end as usize;
            s
        })
    }

    /// The buffer and the end offsets, as the cache stores them.
    pub(crate) fn raw(&self) -> (&[u8], &[u32]) {
        (&self.data, &self.ends)
    }

    /// The table of `raw`'s parts, or `None` if the offsets do not fit `data` in order.
    pub(crate) fn from_raw(data: Vec<u8>, ends: Vec<u32>) -> Option<Self> {
        let mut prev = 0;
        for &end in &ends {
            if end < prev {
                return None;
            }
            prev = end;
        }
        (prev as usize == data.len()).then_some(Tokens { data, ends })
    }
}

/// A token of 1 to 15 bytes as a table key: its bytes, zero-padded, then its length.
#[inline]
fn pack(bytes: &[u8]) -> Option<[u8; 16]> {
    if bytes.is_empty() || bytes.len() > 15 {
        return None;
    }
    let mut key = [0u8; 16];
    key[..bytes.len()].copy_from_slice(bytes);
    key[15] = bytes.len() as u8;
    Some(key)
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
