//! Compact encodings of the fuzzy index: varints, text ids, token-id sequences,
//! posting lists and runs of words keys.
//!
//! A stored text is one variant of a unit; its *text id* is `unit << 10 | index` (the
//! variant's place in the unit), so a unit has at most [`MAX_VARIANTS`] variants.
//!
//! A posting list names the texts that contain a term, in increasing text-id order:
//! for each, `(unit − previous unit) << 2 | min(index, 3)` (then `index − 3` if the
//! index is 3 or more), the text's token count (capped at [`MAX_LEN`]) and where the
//! term is in it ([`Posting::at`]), as LEB128 varints. The first unit is stored as is,
//! so two lists, the second of later units, are joined by re-encoding its first entry
//! only ([`PostingList::append_encoded`]).
//!
//! A words run lists `(words key, text id, check byte)` sorted by key, in chunks: each
//! entry is the key's difference to the previous one in the chunk, the text reference
//! as above (unit absolute) and one byte of the text's hash.

/// A unit has at most this many variants (text ids keep 10 bits for the index).
pub const MAX_VARIANTS: usize = 1024;

/// Bits of a text id that hold the variant's index in its unit.
pub const INDEX_BITS: u32 = 10;

/// Token counts are stored up to this value; longer texts store `MAX_LEN` and are
/// treated as "at least this long" by the length filter.
pub const MAX_LEN: u32 = 1023;

/// Words-key chunks are closed when they reach this many bytes (one 4 KiB page).
pub const WORDS_CHUNK_BYTES: usize = 3600;

/// The text id of a unit's `index`-th variant.
#[inline]
pub fn text_id(unit: i64, index: usize) -> i64 {
    (unit << INDEX_BITS) | index as i64
}

/// The unit of a text id.
#[inline]
pub fn text_unit(id: i64) -> i64 {
    id >> INDEX_BITS
}

/// The variant index of a text id.
#[inline]
pub fn text_index(id: i64) -> usize {
    (id & ((1 << INDEX_BITS) - 1)) as usize
}

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
    // Most values fit one byte: read those without the loop (the lookup decodes
    // hundreds of thousands of postings for a common word at a million units).
    match data.get(*pos) {
        Some(&b) if b < 0x80 => {
            *pos += 1;
            return Some(u64::from(b));
        }
        None => return None,
        Some(_) => {}
    }
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

/// A token-id sequence as varints (the writer appends them to a unit's blob as it
/// goes; this whole-sequence form is the tests' reference).
#[cfg(test)]
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

/// Appends a text reference: the unit relative to `base` (0 for absolute) and the
/// variant index.
#[inline]
fn put_text_ref(out: &mut Vec<u8>, unit_delta: u64, index: usize) {
    if index < 3 {
        put_varint(out, (unit_delta << 2) | index as u64);
    } else {
        put_varint(out, (unit_delta << 2) | 3);
        put_varint(out, (index - 3) as u64);
    }
}

/// Reads a text reference: (unit delta, index).
#[inline]
fn get_text_ref(data: &[u8], pos: &mut usize) -> Option<(u64, usize)> {
    let v = get_varint(data, pos)?;
    let index = match v & 3 {
        3 => 3 + usize::try_from(get_varint(data, pos)?).ok()?,
        k => k as usize,
    };
    if index >= MAX_VARIANTS {
        return None;
    }
    Some((v >> 2, index))
}

/// One entry of a posting list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Posting {
    /// The text containing the term (its text id, see [`text_id`]).
    pub variant: u64,
    /// Its token count, capped at [`MAX_LEN`].
    pub len: u32,
    /// 1 + the position of the term in the text when it occurs there once (and
    /// below [`MAX_LEN`]); 0 when it occurs more than once (position unknown).
    pub at: u32,
}

/// A posting list being built: entries must come in increasing text-id order.
#[derive(Debug, Clone, Default)]
pub struct PostingList {
    /// The encoded entries.
    pub data: Vec<u8>,
    /// The unit of the last entry (0 when empty).
    pub last_unit: i64,
    /// The number of entries.
    pub len: u32,
}

impl PostingList {
    /// Appends the posting of text (`unit`, `index`).
    #[inline]
    pub fn push(&mut self, unit: i64, index: usize, len: u32, at: u32) {
        debug_assert!(unit >= self.last_unit);
        put_text_ref(&mut self.data, (unit - self.last_unit) as u64, index);
        put_varint(&mut self.data, u64::from(len.min(MAX_LEN)));
        put_varint(&mut self.data, u64::from(if at > MAX_LEN { 0 } else { at }));
        self.last_unit = unit;
        self.len += 1;
    }

    /// Appends a posting.
    #[inline]
    pub fn push_posting(&mut self, p: Posting) {
        let id = p.variant as i64;
        self.push(text_unit(id), text_index(id), p.len, p.at);
    }

    /// Appends an encoded list (`len` entries, whose units all come after this list's
    /// last one, the last being `last_unit`). `false` if `data` is corrupt.
    pub fn append_encoded(&mut self, data: &[u8], len: u32, last_unit: i64) -> bool {
        if data.is_empty() {
            return true;
        }
        let mut pos = 0;
        let Some((first, index)) = get_text_ref(data, &mut pos) else {
            return false;
        };
        let first = first as i64;
        // Lists are joined only across transactions: no unit is in both.
        if self.len > 0 && first <= self.last_unit {
            return false;
        }
        put_text_ref(&mut self.data, (first - self.last_unit) as u64, index);
        self.data.extend_from_slice(&data[pos..]);
        self.last_unit = last_unit;
        self.len += len;
        true
    }
}

/// Calls `f` for every posting of an encoded list. `false` if the data is corrupt.
#[inline]
pub fn for_each_posting(data: &[u8], mut f: impl FnMut(Posting)) -> bool {
    let mut pos = 0;
    let mut unit = 0u64;
    while pos < data.len() {
        // Most postings are three one-byte varints (a small unit step, an index below
        // 3, a count and position below 128): read those in one step. A common word
        // has hundreds of thousands of postings at a million units.
        if let Some(&[step, len, at]) = data.get(pos..pos + 3) {
            if (step | len | at) < 0x80 && step & 3 != 3 {
                unit += u64::from(step >> 2);
                f(Posting {
                    variant: (unit << INDEX_BITS) | u64::from(step & 3),
                    len: u32::from(len),
                    at: u32::from(at),
                });
                pos += 3;
                continue;
            }
        }
        let Some((delta, index)) = get_text_ref(data, &mut pos) else {
            return false;
        };
        let (Some(len), Some(at)) = (get_varint(data, &mut pos), get_varint(data, &mut pos)) else {
            return false;
        };
        unit += delta;
        f(Posting {
            variant: (unit << INDEX_BITS) | index as u64,
            len: len as u32,
            at: at as u32,
        });
    }
    true
}

/// One entry of a words run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct WordsEntry {
    /// The 32-bit words key (see [`words_key32`]).
    pub key: u32,
    /// The text id.
    pub text: i64,
    /// One byte of the hash of the text itself ([`super::tokens::text_check`]), so
    /// that looking for an identical text rarely reads a different one.
    pub check: u8,
}

/// The words key as stored in a run: 32 bits of the 64-bit key.
#[inline]
pub fn words_key32(key: i64) -> u32 {
    let k = key as u64;
    (k ^ (k >> 32)) as u32
}

/// Encodes sorted entries into chunks of about [`WORDS_CHUNK_BYTES`], never splitting
/// the entries of one key; calls `emit(first key, chunk)` for each.
pub fn words_chunks(
    entries: &[WordsEntry],
    mut emit: impl FnMut(u32, &[u8]) -> crate::error::Result<()>,
) -> crate::error::Result<()> {
    let mut chunk = Vec::with_capacity(WORDS_CHUNK_BYTES + 64);
    let mut first = 0u32;
    let mut prev = 0u32;
    for e in entries {
        if chunk.len() >= WORDS_CHUNK_BYTES && e.key != prev {
            emit(first, &chunk)?;
            chunk.clear();
        }
        if chunk.is_empty() {
            first = e.key;
            prev = e.key;
        }
        put_varint(&mut chunk, u64::from(e.key - prev));
        put_text_ref(&mut chunk, text_unit(e.text) as u64, text_index(e.text));
        chunk.push(e.check);
        prev = e.key;
    }
    if !chunk.is_empty() {
        emit(first, &chunk)?;
    }
    Ok(())
}

/// Calls `f` for every entry of a words chunk whose first key is `first`. `false` if
/// the data is corrupt.
pub fn for_each_words_entry(first: u32, data: &[u8], mut f: impl FnMut(WordsEntry)) -> bool {
    let mut pos = 0;
    let mut key = u64::from(first);
    while pos < data.len() {
        let Some(delta) = get_varint(data, &mut pos) else {
            return false;
        };
        let Some((unit, index)) = get_text_ref(data, &mut pos) else {
            return false;
        };
        let Some(&check) = data.get(pos) else {
            return false;
        };
        pos += 1;
        key += delta;
        if key > u64::from(u32::MAX) {
            return false;
        }
        f(WordsEntry {
            key: key as u32,
            text: text_id(unit as i64, index),
            check,
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

    fn collect(data: &[u8]) -> Vec<Posting> {
        let mut seen = Vec::new();
        assert!(for_each_posting(data, |p| seen.push(p)));
        seen
    }

    #[test]
    fn postings_round_trip_and_join() {
        let input = [
            Posting {
                variant: text_id(3, 0) as u64,
                len: 5,
                at: 2,
            },
            Posting {
                variant: text_id(3, 1) as u64,
                len: 2000,
                at: 1500,
            },
            Posting {
                variant: text_id(900_000, 7) as u64,
                len: 17,
                at: 0,
            },
        ];
        let mut list = PostingList::default();
        for p in input {
            list.push_posting(p);
        }
        let seen = collect(&list.data);
        assert_eq!(seen[0], input[0]);
        assert_eq!(
            seen[1],
            Posting {
                variant: text_id(3, 1) as u64,
                len: MAX_LEN,
                at: 0
            }
        );
        assert_eq!(seen[2], input[2]);
        // Joining two lists gives the list of all their entries.
        let mut later = PostingList::default();
        later.push(900_001, 0, 4, 1);
        later.push(900_005, 1000, 4, 0);
        let mut joined = list.clone();
        assert!(joined.append_encoded(&later.data, later.len, later.last_unit));
        let all = collect(&joined.data);
        assert_eq!(all.len(), 5);
        assert_eq!(all[3].variant, text_id(900_001, 0) as u64);
        assert_eq!(all[4].variant, text_id(900_005, 1000) as u64);
        assert_eq!(joined.len, 5);
        assert_eq!(joined.last_unit, 900_005);
        // Not in order: refused.
        assert!(!later
            .clone()
            .append_encoded(&list.data, list.len, list.last_unit));
    }

    #[test]
    fn ids_round_trip() {
        let ids = [1u32, 70000, 5];
        let mut back = Vec::new();
        assert!(decode_ids(&encode_ids(&ids), &mut back));
        assert_eq!(back, ids);
        assert!(!decode_ids(&[0x80], &mut back));
        let t = text_id(123_456_789, 1023);
        assert_eq!((text_unit(t), text_index(t)), (123_456_789, 1023));
    }

    #[test]
    fn words_chunks_keep_keys_together() {
        let mut entries: Vec<WordsEntry> = (0..3000u32)
            .map(|i| WordsEntry {
                key: i.wrapping_mul(2_654_435_761) % 1000,
                text: text_id(i64::from(i) + 1, (i % 5) as usize),
                check: i as u8,
            })
            .collect();
        entries.sort_unstable();
        let mut chunks = Vec::new();
        words_chunks(&entries, |first, data| {
            chunks.push((first, data.to_vec()));
            Ok(())
        })
        .unwrap();
        assert!(chunks.len() > 2);
        let mut back = Vec::new();
        let mut firsts = Vec::new();
        for (first, data) in &chunks {
            let mut keys = Vec::new();
            assert!(for_each_words_entry(*first, data, |e| {
                keys.push(e.key);
                back.push(e)
            }));
            assert_eq!(keys[0], *first);
            firsts.push(*first);
        }
        assert_eq!(back, entries);
        firsts.dedup();
        assert_eq!(firsts.len(), chunks.len(), "a key never spans two chunks");
    }
}
