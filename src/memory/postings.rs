//! Compact encodings of the fuzzy index: varints, token-id sequences and posting
//! chunks.
//!
//! A posting chunk lists the variants that contain a term, in increasing id order:
//! for each, the difference to the previous id (the first is absolute), the variant's
//! token count (capped at [`MAX_LEN`]) and where the term is in it ([`Posting::at`]),
//! as LEB128 varints. A chunk is closed when it reaches [`CHUNK_BYTES`], so one chunk
//! fits a 4 KiB database page.

/// Chunks stop growing at this many bytes.
pub const CHUNK_BYTES: usize = 3600;

/// Token counts are stored up to this value; longer texts store `MAX_LEN` and are
/// treated as "at least this long" by the length filter.
pub const MAX_LEN: u32 = 1023;

/// Appends `v` as a LEB128 varint.
#[inline]
pub fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Reads a LEB128 varint at `*pos`, advancing it; `None` if the data ends first.
#[inline]
pub fn get_varint(data: &[u8], pos: &mut usize) -> Option<u64> {
    let mut v = 0u64;
    let mut shift = 0;
    loop {
        let b = *data.get(*pos)?;
        *pos += 1;
        v |= u64::from(b & 0x7f) << shift;
        if b < 0x80 {
            return Some(v);
        }
        shift += 7;
        if shift > 63 {
            return None;
        }
    }
}

/// A token-id sequence as varints.
pub fn encode_ids(ids: &[u32]) -> Vec<u8> {
    let mut out = Vec::with_capacity(ids.len() * 2);
    for &id in ids {
        put_varint(&mut out, u64::from(id));
    }
    out
}

/// Decodes a token-id sequence into `out` (cleared first). `false` if the data is
/// corrupt.
pub fn decode_ids(data: &[u8], out: &mut Vec<u32>) -> bool {
    out.clear();
    let mut pos = 0;
    while pos < data.len() {
        match get_varint(data, &mut pos) {
            Some(v) if v <= u64::from(u32::MAX) => out.push(v as u32),
            _ => return false,
        }
    }
    true
}

/// One entry of a posting list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Posting {
    /// The variant containing the term.
    pub variant: u64,
    /// Its token count, capped at [`MAX_LEN`].
    pub len: u32,
    /// 1 + the position of the term in the variant when it occurs there once (and
    /// below [`MAX_LEN`]); 0 when it occurs more than once (position unknown).
    pub at: u32,
}

/// Appends one posting to a chunk whose last variant id is `last` (0 for an empty
/// chunk). Ids must increase.
#[inline]
pub fn push_posting(chunk: &mut Vec<u8>, last: u64, p: Posting) {
    debug_assert!(p.variant > last || (last == 0 && p.variant == 0));
    put_varint(chunk, p.variant - last);
    put_varint(chunk, u64::from(p.len.min(MAX_LEN)));
    put_varint(chunk, u64::from(if p.at > MAX_LEN { 0 } else { p.at }));
}

/// Calls `f` for every posting of a chunk. `false` if the data is corrupt.
#[inline]
pub fn for_each_posting(chunk: &[u8], mut f: impl FnMut(Posting)) -> bool {
    let mut pos = 0;
    let mut id = 0u64;
    while pos < chunk.len() {
        let (Some(delta), Some(len), Some(at)) = (
            get_varint(chunk, &mut pos),
            get_varint(chunk, &mut pos),
            get_varint(chunk, &mut pos),
        ) else {
            return false;
        };
        id += delta;
        f(Posting {
            variant: id,
            len: len as u32,
            at: at as u32,
        });
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_round_trip() {
        let mut buf = Vec::new();
        let values = [0u64, 1, 127, 128, 300, 1 << 35, u64::MAX];
        for v in values {
            put_varint(&mut buf, v);
        }
        let mut pos = 0;
        for v in values {
            assert_eq!(get_varint(&buf, &mut pos), Some(v));
        }
        assert_eq!(get_varint(&buf, &mut pos), None);
    }

    #[test]
    fn postings_round_trip() {
        let mut chunk = Vec::new();
        let mut last = 0;
        let input = [
            Posting {
                variant: 3,
                len: 5,
                at: 2,
            },
            Posting {
                variant: 4,
                len: 2000,
                at: 1500,
            },
            Posting {
                variant: 900_000,
                len: 17,
                at: 0,
            },
        ];
        for p in input {
            push_posting(&mut chunk, last, p);
            last = p.variant;
        }
        let mut seen = Vec::new();
        assert!(for_each_posting(&chunk, |p| seen.push(p)));
        assert_eq!(seen[0], input[0]);
        assert_eq!(
            seen[1],
            Posting {
                variant: 4,
                len: MAX_LEN,
                at: 0
            }
        );
        assert_eq!(seen[2], input[2]);
        let ids = [1u32, 70000, 5];
        let mut back = Vec::new();
        assert!(decode_ids(&encode_ids(&ids), &mut back));
        assert_eq!(back, ids);
        assert!(!decode_ids(&[0x80], &mut back));
    }
}
