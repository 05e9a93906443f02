//! tiktoken's byte-pair merge: repeatedly merge the adjacent pair whose concatenation has the
//! lowest rank, the leftmost one on ties, until no adjacent pair is a token.

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

/// Appends to `out` the ranks of the tokens of `piece` with their end offsets in `piece`
/// (`piece` is not itself a token, it has at least two bytes). `parts` is scratch space.
pub(crate) fn byte_pair_encode(
    ranks: &Ranks,
    piece: &[u8],
    parts: &mut Vec<(usize, u32)>,
    mut out: impl FnMut(u32, usize, usize),
) {
    debug_assert!(piece.len() >= 2);
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
    for w in parts.windows(2) {
        let (start, end) = (w[0].0, w[1].0);
        let rank = ranks
            .get(&piece[start..end])
            .expect("every byte is a token, so every part left is one");
        out(rank, start, end);
    }
}
