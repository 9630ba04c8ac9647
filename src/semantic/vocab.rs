//! The pieces of a vocabulary as a double-array trie over their UTF-8 bytes: the
//! tokenizer walks it from every character of the text to find all pieces that start
//! there, one array read and one comparison per byte.
//!
//! Classic layout (Aoe): the child of node `s` by byte `b` is `t = base[s] + b`,
//! present when `check[t] == s`. The fields of a cell sit side by side, the piece's
//! score with them, so one step of the walk touches one cache line (the walk is
//! bound by memory latency: a separate score array cost a second miss per match).
//! 128k pieces take about 0.4 M cells of 16 bytes (6 MB).

/// No piece ends at this node / no parent owns this cell.
const NONE: u32 = u32::MAX;

#[derive(Debug, Clone, Copy)]
struct Cell {
    base: u32,
    check: u32,
    piece: u32,
    score: f32,
}

const FREE: Cell = Cell {
    base: 0,
    check: NONE,
    piece: NONE,
    score: 0.0,
};

/// A static set of byte strings with ids, searched by prefix.
#[derive(Debug, Clone)]
pub(super) struct PieceTrie {
    cells: Vec<Cell>,
}

impl PieceTrie {
    /// The trie of `pieces`, piece `i` having id `i` and score `scores[i]`. Empty
    /// pieces can never match and are left out; of two equal pieces the later id wins.
    pub(super) fn new(pieces: &[&[u8]], scores: &[f32]) -> PieceTrie {
        let mut order: Vec<u32> = (0..pieces.len() as u32)
            .filter(|&i| !pieces[i as usize].is_empty())
            .collect();
        order.sort_by(|&a, &b| pieces[a as usize].cmp(pieces[b as usize]).then(b.cmp(&a)));
        order.dedup_by(|later, earlier| pieces[*later as usize] == pieces[*earlier as usize]);
        let mut builder = Builder::new();
        // (node, keys range in `order`, depth): the keys share their first `depth` bytes.
        let mut stack = vec![(0u32, 0usize, order.len(), 0usize)];
        let mut labels = Vec::with_capacity(256);
        let mut ranges = Vec::with_capacity(256);
        while let Some((node, mut lo, hi, depth)) = stack.pop() {
            let key = |k: usize| pieces[order[k] as usize];
            if lo < hi && key(lo).len() == depth {
                let cell = &mut builder.cells[node as usize];
                cell.piece = order[lo];
                cell.score = scores[order[lo] as usize];
                lo += 1;
            }
            labels.clear();
            ranges.clear();
            let mut start = lo;
            while start < hi {
                let byte = key(start)[depth];
                let mut end = start + 1;
                while end < hi && key(end)[depth] == byte {
                    end += 1;
                }
                labels.push(byte);
                ranges.push((start, end));
                start = end;
            }
            if labels.is_empty() {
                continue;
            }
            let base = builder.place(&labels);
            builder.cells[node as usize].base = base;
            for (&byte, &(start, end)) in labels.iter().zip(&ranges) {
                let child = base + u32::from(byte);
                builder.cells[child as usize].check = node;
                stack.push((child, start, end, depth + 1));
            }
        }
        let mut cells = builder.cells;
        // Keep 256 free cells past the last used one, so `base + byte` stays in bounds.
        let used = cells.iter().rposition(|c| c.check != NONE).unwrap_or(0);
        cells.truncate(used + 1);
        cells.resize(used + 257, FREE);
        cells.shrink_to_fit();
        PieceTrie { cells }
    }

    /// Calls `found(end, id, score)` for every piece that is a prefix of `text`,
    /// shortest first (`end` is the piece's length in bytes).
    #[inline]
    pub(super) fn prefixes(&self, text: &[u8], mut found: impl FnMut(usize, u32, f32)) {
        let cells = &self.cells[..];
        let mut node = 0u32;
        for (i, &byte) in text.iter().enumerate() {
            let next = cells[node as usize].base + u32::from(byte);
            match cells.get(next as usize) {
                Some(cell) if cell.check == node => {
                    node = next;
                    if cell.piece != NONE {
                        found(i + 1, cell.piece, cell.score);
                    }
                }
                _ => return,
            }
        }
    }

    /// Heap bytes held.
    pub(super) fn heap_size(&self) -> usize {
        self.cells.capacity() * std::mem::size_of::<Cell>()
    }
}

/// The trie under construction, with a doubly linked list of its free cells so that
/// placing a node skips the (mostly taken) cells below the free ones.
struct Builder {
    cells: Vec<Cell>,
    next_free: Vec<u32>,
    prev_free: Vec<u32>,
    /// The lowest free cell, or `NONE`.
    head: u32,
    /// The highest free cell, or `NONE`.
    tail: u32,
}

impl Builder {
    /// An empty trie: the root in cell 0, the other cells free.
    fn new() -> Builder {
        let mut builder = Builder {
            cells: vec![FREE],
            next_free: vec![NONE],
            prev_free: vec![NONE],
            head: NONE,
            tail: NONE,
        };
        builder.cells[0].check = 0;
        builder.grow(256);
        builder
    }

    /// A base at which every `labels` cell is free (labels ascending); the cells are
    /// taken off the free list for the caller to fill.
    fn place(&mut self, labels: &[u8]) -> u32 {
        let first = u32::from(labels[0]);
        let mut slot = self.head;
        loop {
            if slot == NONE {
                // Every free cell tried: append room and try the new cells.
                let old = self.cells.len();
                self.grow(old + 256);
                slot = old as u32;
                continue;
            }
            if slot > first {
                let base = slot - first;
                self.grow(base as usize + 256);
                if labels[1..]
                    .iter()
                    .all(|&b| self.cells[(base + u32::from(b)) as usize].check == NONE)
                {
                    for &b in labels {
                        self.take(base + u32::from(b));
                    }
                    return base;
                }
            }
            slot = self.next_free[slot as usize];
        }
    }

    /// Marks a free cell taken (its parent is written by the caller).
    fn take(&mut self, cell: u32) {
        let (prev, next) = (self.prev_free[cell as usize], self.next_free[cell as usize]);
        match prev {
            NONE => self.head = next,
            p => self.next_free[p as usize] = next,
        }
        match next {
            NONE => self.tail = prev,
            n => self.prev_free[n as usize] = prev,
        }
        self.cells[cell as usize].check = 0;
    }

    /// Extends the array to more than `len` cells, the new ones free.
    fn grow(&mut self, len: usize) {
        if self.cells.len() > len {
            return;
        }
        let new_len = (len + 1).max(self.cells.len() * 3 / 2);
        for cell in self.cells.len() as u32..new_len as u32 {
            self.cells.push(FREE);
            self.prev_free.push(self.tail);
            self.next_free.push(NONE);
            match self.tail {
                NONE => self.head = cell,
                t => self.next_free[t as usize] = cell,
            }
            self.tail = cell;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all_prefixes(trie: &PieceTrie, text: &str) -> Vec<(usize, u32)> {
        let mut out = Vec::new();
        trie.prefixes(text.as_bytes(), |end, id, score| {
            assert_eq!(score, id as f32 / 2.0);
            out.push((end, id))
        });
        out
    }

    #[test]
    fn finds_every_prefix_piece() {
        let pieces: Vec<&[u8]> = vec![
            b"a",
            b"ab",
            b"abc",
            b"b",
            "▁ab".as_bytes(),
            b"",
            b"abd",
            "日".as_bytes(),
        ];
        let trie = PieceTrie::new(&pieces, &[0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5]);
        assert_eq!(all_prefixes(&trie, "abcd"), [(1, 0), (2, 1), (3, 2)]);
        assert_eq!(all_prefixes(&trie, "abd"), [(1, 0), (2, 1), (3, 6)]);
        assert_eq!(all_prefixes(&trie, "▁abc"), [(5, 4)]);
        assert_eq!(all_prefixes(&trie, "日本"), [(3, 7)]);
        assert_eq!(all_prefixes(&trie, "x"), []);
        assert_eq!(all_prefixes(&trie, ""), []);
    }

    #[test]
    fn later_duplicate_wins() {
        let trie = PieceTrie::new(&[b"ab", b"ab", b"a"], &[0.0, 0.5, 1.0]);
        assert_eq!(all_prefixes(&trie, "ab"), [(1, 2), (2, 1)]);
    }

    #[test]
    fn agrees_with_a_plain_search_on_many_keys() {
        let mut seed = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let keys: Vec<Vec<u8>> = (0..3000)
            .map(|_| {
                let len = 1 + next() as usize % 6;
                (0..len)
                    .map(|_| b"abcde\xff\x00"[next() as usize % 7])
                    .collect()
            })
            .collect();
        let refs: Vec<&[u8]> = keys.iter().map(Vec::as_slice).collect();
        let scores: Vec<f32> = (0..refs.len()).map(|i| i as f32 / 2.0).collect();
        let trie = PieceTrie::new(&refs, &scores);
        for _ in 0..2000 {
            let text: Vec<u8> = (0..8)
                .map(|_| b"abcde\xff\x00"[next() as usize % 7])
                .collect();
            let mut got = Vec::new();
            trie.prefixes(&text, |end, id, _| got.push((end, id)));
            let mut want = Vec::new();
            for end in 1..=text.len() {
                if let Some(id) = keys.iter().rposition(|k| k[..] == text[..end]) {
                    want.push((end, id as u32));
                }
            }
            assert_eq!(got, want);
        }
    }
}
