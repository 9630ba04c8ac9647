//! The edit distance the aligner (cognates) and the memory (match scores) share:
//! strsim's, over any slice. Their faster or richer versions (bit-parallel,
//! bounded, aligning) are tested against it.

/// The edit distance between `a` and `b` (insertions, deletions, substitutions, each
/// costing 1).
pub fn levenshtein<T: PartialEq>(a: &[T], b: &[T]) -> usize {
    // The shorter side is strsim's row.
    let (a, b) = if a.len() < b.len() { (b, a) } else { (a, b) };
    strsim::generic_levenshtein(&Items(a), &Items(b))
}

/// A slice as strsim's `generic_levenshtein` takes it (a reference that iterates).
struct Items<'s, T>(&'s [T]);

impl<'s, T> IntoIterator for &Items<'s, T> {
    type Item = &'s T;
    type IntoIter = std::slice::Iter<'s, T>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}
