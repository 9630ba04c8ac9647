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
//! Each list holds the texts of one length class ([`len_class`]): a term's postings
//! are the union of its classes' lists.
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

/// A term's long posting lists are split by the token count of their texts into
/// length classes 1 to `LEN_CLASSES − 1` (one stored list per term, class and index
/// segment), so that a lookup reads only the classes of the lengths that can reach
/// its threshold: a short query of common words would otherwise decode every posting
/// of those words, mostly of longer texts, which made it the slowest kind of lookup
/// at a million units. Class 0 ([`MIXED`]) holds a list of texts of any length: a
/// list shorter than [`SPLIT_MIN`] is stored whole (a row per class would cost the
/// import and the file more than reading it whole costs a lookup).
pub const LEN_CLASSES: u8 = 16;

/// The class of a list of texts of any length.
pub const MIXED: u8 = 0;

/// A term's list in a segment is split by length from this many postings on. Small
/// in tests, so that they exercise split lists.
pub const SPLIT_MIN: u32 = if cfg!(test) { 4 } else { 1024 };

/// The largest token count of length classes 1, 2, … (the last holds every longer
/// text). Narrow where short queries fall (a query of 7 tokens at 70 % admits 5 to
/// 10) and where most texts are; wider for long texts, fewer and found by rarer words.
const CLASS_MAX: [u32; LEN_CLASSES as usize - 1] =
    [5, 6, 7, 8, 9, 10, 12, 14, 17, 20, 24, 29, 36, 48, u32::MAX];

/// The class of each token count up to the last class's start (a table: the import
/// classifies every posting of a long list).
const CLASS_OF: [u8; 49] = {
    let mut table = [0u8; 49];
    let mut len = 0;
    let mut class = 0;
    while len < 49 {
        while (len as u32) > CLASS_MAX[class] {
            class += 1;
        }
        table[len] = class as u8 + 1;
        len += 1;
    }
    table
};

/// The length class of a text of `len` tokens (capped or not): 1 to
/// `LEN_CLASSES − 1`.
#[inline]
pub fn len_class(len: u32) -> u8 {
    CLASS_OF
        .get(len as usize)
        .copied()
        .unwrap_or(LEN_CLASSES - 1)
}

/// The length classes holding every text of `min_len` to `max_len` tokens (besides
/// [`MIXED`]).
pub fn len_classes(min_len: usize, max_len: usize) -> std::ops::RangeInclusive<u8> {
    let lo = len_class(u32::try_from(min_len).unwrap_or(u32::MAX));
    let hi = len_class(u32::try_from(max_len).unwrap_or(u32::MAX));
    lo..=hi.max(lo)
}

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

/// The postings of one term being built: one [`MIXED`] list until it reaches
/// [`SPLIT_MIN`] postings, then one list per length class present ([`len_class`]).
/// Entries must come in increasing text-id order.
#[derive(Debug, Clone, Default)]
pub struct ClassedLists {
    /// (class, list), in the order the classes were first met.
    lists: Vec<(u8, PostingList)>,
    /// True once split by length.
    split: bool,
}

impl ClassedLists {
    /// Appends the posting of text (`unit`, `index`) to its list.
    #[inline]
    pub fn push(&mut self, unit: i64, index: usize, len: u32, at: u32) {
        if !self.split {
            if self.lists.is_empty() {
                self.lists.push((MIXED, PostingList::default()));
            }
            let whole = &mut self.lists[0].1;
            if whole.len + 1 < SPLIT_MIN {
                whole.push(unit, index, len, at);
                return;
            }
            // The list reaches the size where it is split: its postings so far go to
            // their classes.
            let whole = self.lists.pop().expect("one list").1;
            self.split = true;
            let ok = for_each_posting(&whole.data, |p| self.push_posting(p));
            debug_assert!(ok, "a list built here decodes");
        }
        let class = len_class(len.min(MAX_LEN));
        let k = match self.lists.iter().position(|l| l.0 == class) {
            Some(k) => k,
            None => {
                self.lists.push((class, PostingList::default()));
                self.lists.len() - 1
            }
        };
        self.lists[k].1.push(unit, index, len, at);
    }

    /// Appends a posting.
    #[inline]
    pub fn push_posting(&mut self, p: Posting) {
        let id = p.variant as i64;
        self.push(text_unit(id), text_index(id), p.len, p.at);
    }

    /// The number of postings.
    #[cfg(test)]
    pub fn len(&self) -> u32 {
        self.lists.iter().map(|l| l.1.len).sum()
    }

    /// True if there are none.
    pub fn is_empty(&self) -> bool {
        self.lists.iter().all(|l| l.1.len == 0)
    }

    /// The encoded size.
    pub fn bytes(&self) -> usize {
        self.lists.iter().map(|l| l.1.data.len()).sum()
    }

    /// Calls `f` for every posting, class by class. `false` if some data is corrupt.
    #[cfg(test)]
    pub fn for_each(&self, mut f: impl FnMut(Posting)) -> bool {
        self.lists
            .iter()
            .all(|l| for_each_posting(&l.1.data, &mut f))
    }

    /// Keeps only the postings for which `keep` is true.
    pub fn retain(&mut self, mut keep: impl FnMut(Posting) -> bool) {
        for (_, list) in &mut self.lists {
            let mut kept = PostingList::default();
            let ok = for_each_posting(&list.data, |p| {
                if keep(p) {
                    kept.push_posting(p);
                }
            });
            debug_assert!(ok, "a list built here decodes");
            *list = kept;
        }
    }

    /// The non-empty lists in class order.
    pub fn into_lists(mut self) -> Vec<(u8, PostingList)> {
        self.lists.retain(|l| l.1.len > 0);
        self.lists.sort_unstable_by_key(|l| l.0);
        self.lists
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
            // The same with a two-byte unit step (32 to 4,095 units on): the common
            // case of a list split by length, whose texts are farther apart.
            if step >= 0x80 && (len | at) < 0x80 && step & 3 != 3 {
                if let Some(&[high, len, at]) = data.get(pos + 1..pos + 4) {
                    if (high | len | at) < 0x80 {
                        let v = u64::from(step & 0x7f) | (u64::from(high) << 7);
                        unit += v >> 2;
                        f(Posting {
                            variant: (unit << INDEX_BITS) | (v & 3),
                            len: u32::from(len),
                            at: u32::from(at),
                        });
                        pos += 4;
                        continue;
                    }
                }
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
    fn length_classes_cover_every_length_in_order() {
        assert_eq!(len_class(0), 1);
        assert_eq!(len_class(5), 1);
        assert_eq!(len_class(6), 2);
        assert_eq!(len_class(7), 3);
        assert_eq!(len_class(48), 14);
        assert_eq!(len_class(49), LEN_CLASSES - 1);
        assert_eq!(len_class(MAX_LEN), LEN_CLASSES - 1);
        assert_eq!(len_class(u32::MAX), LEN_CLASSES - 1);
        // Classes never decrease with the length, and each is used.
        let classes: Vec<u8> = (0..=MAX_LEN).map(len_class).collect();
        assert!(classes.windows(2).all(|w| w[0] <= w[1] && w[1] - w[0] <= 1));
        assert_eq!(*classes.last().unwrap(), LEN_CLASSES - 1);
        // A length range's classes hold each of its lengths, and only classes that
        // hold one of them.
        for lo in 0..80usize {
            for hi in lo..120usize {
                let range = len_classes(lo, hi);
                for len in lo..=hi {
                    assert!(range.contains(&len_class(len as u32)), "{lo}..{hi}: {len}");
                }
                assert_eq!(*range.start(), len_class(lo as u32));
                assert_eq!(*range.end(), len_class(hi as u32));
            }
        }
        assert_eq!(len_classes(5, 10), 1..=6);
        assert!((0..=MAX_LEN).all(|len| len_class(len) != MIXED));
        assert_eq!(
            len_classes(700, usize::MAX),
            LEN_CLASSES - 1..=LEN_CLASSES - 1
        );
    }

    #[test]
    fn classed_lists_split_a_term_by_length() {
        // Below SPLIT_MIN postings: one mixed list.
        let mut small = ClassedLists::default();
        small.push(1, 0, 7, 1);
        small.push(4, 0, 40, 0);
        assert_eq!(small.len(), 2);
        let lists = small.into_lists();
        assert_eq!(lists.len(), 1);
        assert_eq!(lists[0].0, MIXED);
        assert_eq!(collect(&lists[0].1.data).len(), 2);
        // From SPLIT_MIN on: by class.
        let input: Vec<Posting> = [(1, 0, 7, 1), (1, 1, 40, 0), (2, 0, 7, 3), (5, 0, 3, 2)]
            .into_iter()
            .chain([(9, 0, 2000, 0), (12, 2, 8, 4)])
            .map(|(unit, index, len, at)| Posting {
                variant: text_id(unit, index) as u64,
                len,
                at,
            })
            .collect();
        let mut classed = ClassedLists::default();
        for &p in &input {
            classed.push_posting(p);
        }
        assert_eq!(classed.len(), 6);
        let mut seen = Vec::new();
        assert!(classed.for_each(|p| seen.push(p)));
        seen.sort_by_key(|p| p.variant);
        let capped = |p: Posting| Posting {
            len: p.len.min(MAX_LEN),
            at: if p.at > MAX_LEN { 0 } else { p.at },
            ..p
        };
        assert_eq!(seen, input.iter().map(|&p| capped(p)).collect::<Vec<_>>());
        let lists = classed.into_lists();
        let classes: Vec<u8> = lists.iter().map(|l| l.0).collect();
        assert_eq!(classes, [1, 3, 4, 14, LEN_CLASSES - 1]);
        // The six postings above make a split list.
        const _: () = assert!(SPLIT_MIN <= 6);
        for (class, list) in &lists {
            let here = collect(&list.data);
            assert_eq!(here.len() as u32, list.len);
            assert!(here.iter().all(|p| len_class(p.len) == *class));
            assert!(here.windows(2).all(|w| w[0].variant < w[1].variant));
            assert_eq!(
                list.last_unit,
                text_unit(here.last().unwrap().variant as i64)
            );
        }
    }

    #[test]
    fn postings_of_every_step_size_round_trip() {
        // One-, two- and three-byte unit steps, variant indices on both sides of 3,
        // counts and positions on both sides of 128.
        let mut input = Vec::new();
        let mut unit = 0i64;
        for (k, step) in [1i64, 31, 32, 33, 100, 1000, 4095, 4096, 5000, 70_000]
            .into_iter()
            .cycle()
            .take(60)
            .enumerate()
        {
            unit += step;
            input.push(Posting {
                variant: text_id(unit, k % 5) as u64,
                len: [3u32, 127, 128, 700][k % 4],
                at: [0u32, 1, 127, 128, 300][k % 5],
            });
        }
        let mut list = PostingList::default();
        for &p in &input {
            list.push_posting(p);
        }
        assert_eq!(collect(&list.data), input);
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
