//! Compact encodings of the fuzzy index: varints, token-id sequences and posting
//! chunks.
//!
//! A posting chunk lists the variants that contain a term, in increasing id order:
//! for each, the difference to the previous id (the first is absolute) and the
//! variant's token count (capped at [`MAX_LEN`]), both as LEB128 varints. A chunk is
//! closed when it reaches [`CHUNK_BYTES`], so one chunk fits a 4 KiB database page.

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

/// Appends one posting to a chunk whose last variant id is `last` (0 for an empty
/// chunk). Ids must increase.
#[inline]
pub fn push_posting(chunk: &mut Vec<u8>, last: u64, variant: u64, len: u32) {
    debug_assert!(variant > last || (last == 0 && variant == 0));
    put_varint(chunk, variant - last);
    put_varint(chunk, u64::from(len.min(MAX_LEN)));
}

/// Calls `f(variant id, token count)` for every posting of a chunk. `false` if the
/// data is corrupt.
#[inline]
pub fn for_each_posting(chunk: &[u8], mut f: impl FnMut(u64, u32)) -> bool {
    let mut pos = 0;
    let mut id = 0u64;
    while pos < chunk.len() {
        let (Some(delta), Some(len)) = (get_varint(chunk, &mut pos), get_varint(chunk, &mut pos))
        else {
            return false;
        };
        id += delta;
        f(id, len as u32);
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
        for (id, len) in [(3u64, 5u32), (4, 2000), (900_000, 17)] {
            push_posting(&mut chunk, last, id, len);
            last = id;
        }
        let mut seen = Vec::new();
        assert!(for_each_posting(&chunk, |id, len| seen.push((id, len))));
        assert_eq!(seen, [(3, 5), (4, MAX_LEN), (900_000, 17)]);
        let ids = [1u32, 70000, 5];
        let mut back = Vec::new();
        assert!(decode_ids(&encode_ids(&ids), &mut back));
        assert_eq!(back, ids);
        assert!(!decode_ids(&[0x80], &mut back));
    }
}
