//! Units of a search level: consecutive sentences grouped into blocks.
//!
//! The coarse levels of the band search align blocks of sentences. Blocks of equal
//! *length* (each side cut into the same number of pieces of equal character count)
//! correspond one to one whatever the two sides' sentence counts, so a translation
//! that splits a quarter of its sentences in two still aligns block for block; blocks
//! of equal sentence counts would drift apart by that quarter.

/// A partition of one side's sentences into consecutive, non-empty units.
#[derive(Debug, Clone)]
pub(crate) struct Units {
    /// First sentence of each unit, then the number of sentences (`count() + 1` entries).
    pub start: Vec<usize>,
    /// Unit of each sentence.
    pub of: Vec<u32>,
}

impl Units {
    /// Every sentence a unit of its own.
    pub fn sentences(n: usize) -> Units {
        Units {
            start: (0..=n).collect(),
            of: (0..n as u32).collect(),
        }
    }

    /// Units of `size` characters (a sentence belongs to the unit its middle falls
    /// in; units left empty are dropped).
    pub fn by_length(lens: &[u32], size: f64) -> Units {
        let n = lens.len();
        let total: f64 = lens.iter().map(|&l| l as f64 + 1.0).sum();
        let count = ((total / size.max(1.0)).ceil() as usize).clamp(1, n.max(1));
        let size = total / count as f64;
        let mut start = Vec::with_capacity(count + 1);
        let mut of = Vec::with_capacity(n);
        let mut before = 0.0;
        let mut last: Option<usize> = None;
        for (i, &l) in lens.iter().enumerate() {
            let len = l as f64 + 1.0;
            let piece = (((before + len / 2.0) / size) as usize).min(count - 1);
            if last != Some(piece) {
                start.push(i);
                last = Some(piece);
            }
            of.push((start.len() - 1) as u32);
            before += len;
        }
        start.push(n);
        Units { start, of }
    }

    /// Number of units.
    pub fn count(&self) -> usize {
        self.start.len() - 1
    }

    /// Whether every unit is one sentence.
    pub fn is_sentences(&self) -> bool {
        self.count() == self.of.len()
    }

    /// The units of this partition that hold sentences `from..to` (a range of units).
    pub fn covering(&self, from: usize, to: usize) -> (usize, usize) {
        if from >= to || self.of.is_empty() {
            let u = self.of.get(from).map_or(self.count(), |&u| u as usize);
            return (u, u);
        }
        (self.of[from] as usize, self.of[to - 1] as usize + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_of_equal_length() {
        let u = Units::by_length(&[9, 9, 19, 9, 9, 19], 27.0);
        assert_eq!(u.start, [0, 2, 4, 6]);
        assert_eq!(u.of, [0, 0, 1, 1, 2, 2]);
        assert_eq!(u.covering(1, 3), (0, 2));
        let s = Units::sentences(3);
        assert!(s.is_sentences());
        assert_eq!(s.covering(1, 2), (1, 2));
        // More units asked than sentences: one each.
        assert_eq!(Units::by_length(&[5, 5], 1.0).count(), 2);
    }
}
