//! Dynamic programming over beads inside a band.
//!
//! The search space is the grid of points (i, j) = "the first i source and j target
//! sentences are aligned". A bead of a source and b target sentences moves from
//! (i, j) to (i+a, j+b). Only points inside a [`Band`] are visited: for each row i a
//! range of columns. Bands come from a coarser alignment (blocks of sentences) or
//! from a previous pass, so time and memory grow with the length of the texts times
//! the band's width, never with their product.

/// For each grid row i (0..=n), the inclusive column range `lo[i]..=hi[i]`.
#[derive(Debug, Clone)]
pub(crate) struct Band {
    pub lo: Vec<usize>,
    pub hi: Vec<usize>,
    off: Vec<usize>,
}

impl Band {
    /// Every point of the n×m grid.
    pub fn full(n: usize, m: usize) -> Band {
        Band::normalised(vec![0; n + 1], vec![m; n + 1], m)
    }

    /// The union of rectangles (rows r0..=r1, columns c0..=c1, extra margin) widened
    /// by their margin (columns on both sides, and one row above and below), made
    /// monotone and connected.
    pub fn from_rects(
        rects: impl IntoIterator<Item = (usize, usize, usize, usize, usize)>,
        n: usize,
        m: usize,
    ) -> Band {
        let mut lo = vec![usize::MAX; n + 1];
        let mut hi = vec![0usize; n + 1];
        for (r0, r1, c0, c1, margin) in rects {
            let (r0, r1) = (r0.saturating_sub(1).min(n), (r1 + 1).min(n));
            let (c0, c1) = (c0.saturating_sub(margin).min(m), (c1 + margin).min(m));
            for r in r0..=r1 {
                lo[r] = lo[r].min(c0);
                hi[r] = hi[r].max(c1);
            }
        }
        // Rows no rectangle touched inherit from their neighbours.
        for r in 1..=n {
            if lo[r] == usize::MAX {
                lo[r] = hi[r - 1].min(m);
                hi[r] = hi[r].max(hi[r - 1]);
            }
        }
        if lo[0] == usize::MAX {
            lo[0] = 0;
        }
        Band::normalised(lo, hi, m)
    }

    fn normalised(mut lo: Vec<usize>, mut hi: Vec<usize>, m: usize) -> Band {
        let n = lo.len() - 1;
        lo[0] = 0;
        hi[n] = m;
        for r in (0..n).rev() {
            lo[r] = lo[r].min(lo[r + 1]);
        }
        for r in 1..=n {
            hi[r] = hi[r].max(hi[r - 1]);
        }
        for r in 0..=n {
            lo[r] = lo[r].min(m);
            hi[r] = hi[r].min(m).max(lo[r]);
        }
        // Connected: from the end of row r a one-column step reaches row r+1.
        for r in 0..n {
            if lo[r + 1] > hi[r] + 1 {
                lo[r + 1] = hi[r] + 1;
            }
        }
        let mut off = Vec::with_capacity(n + 2);
        let mut total = 0;
        for r in 0..=n {
            off.push(total);
            total += hi[r] - lo[r] + 1;
        }
        off.push(total);
        Band { lo, hi, off }
    }

    /// Every point of either band (both over the same grid).
    pub fn union(&self, other: &Band) -> Band {
        let m = *self.hi.last().unwrap_or(&0);
        let rows = |a: &[usize], b: &[usize], pick: fn(usize, usize) -> usize| {
            a.iter().zip(b).map(|(&a, &b)| pick(a, b)).collect()
        };
        let lo = rows(&self.lo, &other.lo, usize::min);
        let hi = rows(&self.hi, &other.hi, usize::max);
        Band::normalised(lo, hi, m)
    }

    /// Number of grid rows minus one (source units).
    pub fn n(&self) -> usize {
        self.lo.len() - 1
    }

    /// Number of grid points.
    pub fn cells(&self) -> usize {
        *self.off.last().unwrap_or(&0)
    }

    #[inline]
    fn index(&self, i: usize, j: usize) -> Option<usize> {
        if j >= self.lo[i] && j <= self.hi[i] {
            Some(self.off[i] + j - self.lo[i])
        } else {
            None
        }
    }

    /// The point a bead of `a` source and `b` target sentences ending at (i, j)
    /// starts from, if it is in the band.
    #[inline]
    fn index_before(&self, i: usize, j: usize, a: usize, b: usize) -> Option<usize> {
        self.index(i.checked_sub(a)?, j.checked_sub(b)?)
    }

    /// True if the point (i, j) is within `slack` columns of a band edge that is not
    /// the edge of the grid.
    pub fn near_edge(&self, i: usize, j: usize, m: usize, slack: usize) -> bool {
        (self.lo[i] > 0 && j < self.lo[i] + slack) || (self.hi[i] < m && j + slack > self.hi[i])
    }
}

/// Lexical statistics of one (source unit, target unit) pair, in both directions.
///
/// Source direction (`src`): over the evidence types of the source unit, the sum of
/// match gains in the target unit (`src[0]`) and the number of matched types
/// (`src[1]`); `src[2]`/`src[3]` the same for types matched in this target unit
/// *and* the next one (the overlap to subtract when both are in one bead). Target
/// direction (`tgt`): the same with the sides swapped (overlap with the next source
/// unit). Arrays rather than named fields, so that after
/// [`PairTable::convert_to_extents`] the term of an extent of b units is `[b - 1]`.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct PairStat {
    pub src: [f32; 4],
    pub tgt: [f32; 4],
}

const ZERO_STAT: PairStat = PairStat {
    src: [0.0; 4],
    tgt: [0.0; 4],
};

/// [`PairStat`]s for pairs (source unit, target unit) near a band, zero elsewhere.
#[derive(Debug, Clone)]
pub(crate) struct PairTable {
    rows: Vec<PairRow>,
    vals: Vec<PairStat>,
    /// Beside `vals` when beads may have 5 units a side (else empty): the terms of
    /// extents of 5 units, source direction then target direction. Apart, so that
    /// the table of beads up to 4 a side (the default) keeps its 32-byte entries.
    fifth: Vec<[f32; 2]>,
}

/// The largest bead side the pair table serves.
pub(crate) const MAX_EXTENT: usize = 5;

/// The columns `lo..hi` a row of a [`PairTable`] holds, from `vals[off]` on (one
/// struct, so that a lookup touches one cache line of row data).
#[derive(Debug, Clone, Copy)]
struct PairRow {
    lo: usize,
    hi: usize,
    off: usize,
}

impl PairRow {
    /// The statistics of column `j` in `vals`, if this row holds it (one comparison:
    /// a column left of `lo` wraps around to a large offset).
    #[inline]
    fn get(self, vals: &[PairStat], j: usize) -> Option<&PairStat> {
        let k = j.wrapping_sub(self.lo);
        if k < self.hi - self.lo {
            vals.get(self.off + k)
        } else {
            None
        }
    }
}

impl PairTable {
    /// The pairs any bead of at most `amax`×`bmax` units (each at most
    /// [`MAX_EXTENT`]) inside `band` can contain (plus one column, for the overlap
    /// statistics).
    pub fn for_band(band: &Band, m: usize, amax: usize, bmax: usize) -> PairTable {
        let n = band.n();
        let mut rows = Vec::with_capacity(n);
        let mut total = 0;
        for i in 0..n {
            let lo = band.lo[i + 1].saturating_sub(bmax);
            let hi = band.hi[(i + amax).min(n)].min(m).max(lo);
            rows.push(PairRow { lo, hi, off: total });
            total += hi - lo;
        }
        let fifth = if amax.max(bmax) >= MAX_EXTENT {
            vec![[0.0; 2]; total]
        } else {
            Vec::new()
        };
        PairTable {
            rows,
            vals: vec![PairStat::default(); total],
            fifth,
        }
    }

    /// The columns row `i` holds: `lo..hi`.
    #[inline]
    pub fn columns(&self, i: usize) -> (usize, usize) {
        let row = self.rows[i];
        (row.lo, row.hi)
    }

    #[inline]
    pub fn get(&self, i: usize, j: usize) -> &PairStat {
        let row = &self.rows[i];
        if j >= row.lo && j < row.hi {
            &self.vals[row.off + j - row.lo]
        } else {
            &ZERO_STAT
        }
    }

    #[inline]
    pub fn get_mut(&mut self, i: usize, j: usize) -> Option<&mut PairStat> {
        let row = &self.rows[i];
        if j >= row.lo && j < row.hi {
            Some(&mut self.vals[row.off + j - row.lo])
        } else {
            None
        }
    }

    /// Replaces the raw statistics by the lexical term of bead extents: afterwards
    /// `src[b - 1]` of pair (i, j) holds, for b = 1..=4, the source-direction term
    /// of source unit i against target units j..j+b, and `tgt[a - 1]` for
    /// a = 1..=4 the target-direction term of target unit j against source units
    /// i..i+a (see [`PairStat`]); the extents of 5 go to `fifth` when it is there.
    ///
    /// A type matched in a stretch of several units is discounted by ln(L/ℓ), with L
    /// the stretch's length and ℓ that of the units where it matched: under a bead
    /// the counterpart of a word lies in any of its sentences, in proportion to their
    /// lengths, so a match in a random stretch is that much likelier.
    pub fn convert_to_extents(&mut self, src_len: &[f64], tgt_len: &[f64]) {
        let n = self.rows.len();
        let width = if self.fifth.is_empty() { 4 } else { MAX_EXTENT };
        let (src_ln, tgt_ln) = (SpanLogs::new(src_len, width), SpanLogs::new(tgt_len, width));
        // Source direction, row by row, columns ascending (in place: slot j is only
        // read by extents starting at j or before).
        for i in 0..n {
            let PairRow { lo, hi, off } = self.rows[i];
            for j in lo..hi {
                let avail = width.min(hi - j).min(tgt_len.len().saturating_sub(j));
                let start = off + j - lo;
                if self.vals[start..start + avail]
                    .iter()
                    .all(|st| st.src[1] == 0.0)
                {
                    // No match in any of the units (most pairs): every extent is 0,
                    // found without converting the statistics.
                    self.vals[start].src = [0.0; 4];
                    if let Some(f) = self.fifth.get_mut(start) {
                        f[0] = 0.0;
                    }
                    continue;
                }
                let mut stats = [(0.0, 0.0, 0.0, 0.0); MAX_EXTENT];
                for (b, stat) in stats[..avail].iter_mut().enumerate() {
                    let st = &self.vals[off + j + b - lo];
                    *stat = (
                        st.src[0] as f64,
                        st.src[1] as f64,
                        st.src[2] as f64,
                        st.src[3] as f64,
                    );
                }
                let out = extents(&stats[..avail], &tgt_ln, j);
                let st = &mut self.vals[start];
                st.src.copy_from_slice(&out[..4]);
                if let Some(f) = self.fifth.get_mut(start) {
                    f[0] = out[4];
                }
            }
        }
        // Target direction, rows ascending (row i is only read by extents starting
        // at rows <= i).
        for i in 0..n {
            let PairRow { lo, hi, off } = self.rows[i];
            for j in lo..hi {
                let avail = width.min(n - i);
                if (0..avail).all(|a| self.get(i + a, j).tgt[1] == 0.0) {
                    self.vals[off + j - lo].tgt = [0.0; 4];
                    if let Some(f) = self.fifth.get_mut(off + j - lo) {
                        f[1] = 0.0;
                    }
                    continue;
                }
                let mut stats = [(0.0, 0.0, 0.0, 0.0); MAX_EXTENT];
                for (a, stat) in stats[..avail].iter_mut().enumerate() {
                    let st = *self.get(i + a, j);
                    *stat = (
                        st.tgt[0] as f64,
                        st.tgt[1] as f64,
                        st.tgt[2] as f64,
                        st.tgt[3] as f64,
                    );
                }
                let out = extents(&stats[..avail], &src_ln, i);
                let k = off + j - lo;
                let st = &mut self.vals[k];
                st.tgt.copy_from_slice(&out[..4]);
                if let Some(f) = self.fifth.get_mut(k) {
                    f[1] = out[4];
                }
            }
        }
    }

    /// `acc` plus the lexical terms of the bead of source units `i0..i0 + a` and
    /// target units `j0..j0 + b` (after [`PairTable::convert_to_extents`]): each
    /// source unit's against the b target units, then each target unit's against
    /// the a source units, added one by one in that order (the bead scores depend
    /// on it to the last bit). One row lookup for the target direction, one bounds
    /// test per term.
    #[inline]
    pub fn add_bead_terms(&self, mut acc: f64, i0: usize, a: usize, j0: usize, b: usize) -> f64 {
        debug_assert!(a <= 4 && b <= 4, "{a}-{b}: add_long_bead_terms");
        let (sb, ta) = ((b - 1) & 3, (a - 1) & 3);
        for row in &self.rows[i0..i0 + a] {
            acc += row.get(&self.vals, j0).map_or(0.0, |st| st.src[sb]) as f64;
        }
        let row = &self.rows[i0];
        for j in j0..j0 + b {
            acc += row.get(&self.vals, j).map_or(0.0, |st| st.tgt[ta]) as f64;
        }
        acc
    }

    /// [`PairTable::add_bead_terms`] for a bead with a side of 5 units (the same
    /// terms in the same order, the extents of 5 read from `fifth`; any size up to
    /// 5 works here, more slowly).
    #[inline(never)]
    pub fn add_long_bead_terms(
        &self,
        mut acc: f64,
        i0: usize,
        a: usize,
        j0: usize,
        b: usize,
    ) -> f64 {
        let term = |i: usize, j: usize, size: usize, dir: usize| -> f64 {
            let row = self.rows[i];
            let k = j.wrapping_sub(row.lo);
            if k >= row.hi - row.lo {
                return 0.0;
            }
            let at = row.off + k;
            let v = if size == MAX_EXTENT {
                self.fifth.get(at).map_or(0.0, |f| f[dir])
            } else {
                let st = &self.vals[at];
                [st.src, st.tgt][dir][size - 1]
            };
            v as f64
        };
        for i in i0..i0 + a {
            acc += term(i, j0, b, 0);
        }
        for j in j0..j0 + b {
            acc += term(i0, j, a, 1);
        }
        acc
    }

    /// The rows whose column range contains column `j`: `[first, last)`.
    pub fn rows_with(&self, j: usize, hint: &mut (usize, usize)) -> (usize, usize) {
        let n = self.rows.len();
        // lo and hi are non-decreasing: advance both pointers monotonically for
        // increasing j.
        while hint.0 < n && self.rows[hint.0].hi <= j {
            hint.0 += 1;
        }
        if hint.1 < hint.0 {
            hint.1 = hint.0;
        }
        while hint.1 < n && self.rows[hint.1].lo <= j {
            hint.1 += 1;
        }
        (hint.0, hint.1)
    }
}

/// The logarithms of the lengths of the stretches of 1..=`width` consecutive units
/// of one side, computed once (the extents of every pair in a band need them).
struct SpanLogs {
    /// `by_size[s][k]`: ln of the length of units k..=k+s.
    by_size: Vec<Vec<f64>>,
}

impl SpanLogs {
    fn new(lens: &[f64], width: usize) -> SpanLogs {
        let by_size = (0..width)
            .map(|s| {
                (0..lens.len().saturating_sub(s))
                    .map(|k| lens[k..=k + s].iter().sum::<f64>().ln())
                    .collect()
            })
            .collect();
        SpanLogs { by_size }
    }

    /// ln of the length of the `size` units from `k`.
    #[inline]
    fn get(&self, k: usize, size: usize) -> f64 {
        self.by_size[size - 1][k]
    }
}

/// The lexical terms of one unit against the stretches of 1..=5 units from unit
/// `start` of the other side, with statistics `stats` (gain sum, matched count,
/// overlap gain with the next unit, overlap count); element b - 1 for b units (0
/// beyond `stats`).
///
/// For b units of total length L: Σ gains − Σ overlap gains − Σ counts·ln(L/ℓₖ) +
/// Σ overlap counts·(ln(L/ℓₖ) + ln(L/ℓₖ₊₁) − ln(L/(ℓₖ+ℓₖ₊₁))), accumulated so that
/// each extent costs no logarithm of its own.
fn extents(stats: &[(f64, f64, f64, f64)], logs: &SpanLogs, start: usize) -> [f32; MAX_EXTENT] {
    let mut out = [0.0f32; MAX_EXTENT];
    if stats.iter().all(|s| s.1 == 0.0) {
        // No match anywhere (most pairs): every extent is 0.
        return out;
    }
    let (mut gains, mut counts, mut ln_part) = (0.0, 0.0, 0.0);
    for (b, &(gain, count, _, _)) in stats.iter().enumerate() {
        let k = start + b;
        gains += gain;
        counts += count;
        ln_part += count * logs.get(k, 1);
        if b > 0 {
            let (_, _, og, oc) = stats[b - 1];
            gains -= og;
            counts -= oc;
            ln_part += oc * (logs.get(k - 1, 2) - logs.get(k - 1, 1) - logs.get(k, 1));
        }
        out[b] = if b == 0 {
            gain as f32
        } else {
            (gains + ln_part - counts * logs.get(start, b + 1)) as f32
        };
    }
    out
}

/// Scores beads: log-probability-like, higher is better.
pub(crate) trait BeadScorer {
    /// The score of the bead of source units `i0..i0+a` and target units `j0..j0+b`.
    fn bead(&self, i0: usize, a: usize, j0: usize, b: usize) -> f64;

    /// The score if it exceeds `floor`; otherwise any value not above it (so a
    /// scorer can skip work for beads that cannot win).
    fn bead_above(&self, i0: usize, a: usize, j0: usize, b: usize, floor: f64) -> f64 {
        let _ = floor;
        self.bead(i0, a, j0, b)
    }

    /// The scores of a unit without counterpart (a 1-0 bead at `(i0, j0)` if
    /// `deletion`, else 0-1): as the first of a run, and right after another of the
    /// same kind. A run may be likelier than its beads one by one (an untranslated
    /// page, the end of a partial translation); by default it is not.
    fn gap(&self, i0: usize, j0: usize, deletion: bool) -> [f64; 2] {
        let first = if deletion {
            self.bead(i0, 1, j0, 0)
        } else {
            self.bead(i0, 0, j0, 1)
        };
        [first, first]
    }
}

/// A bead of the result: start and size on each side.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PathBead {
    pub i0: usize,
    pub a: usize,
    pub j0: usize,
    pub b: usize,
}

/// What the last bead of a path was: it decides the cost of a 1-0 or 0-1 bead that
/// follows (see [`BeadScorer::gap`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
enum State {
    /// A bead with sentences on both sides (or the start).
    Pair = 0,
    /// A 1-0 bead.
    Deletion = 1,
    /// A 0-1 bead.
    Insertion = 2,
}

const STATES: [State; 3] = [State::Pair, State::Deletion, State::Insertion];

/// The bead types with sentences on both sides, and whether 1-0 and 0-1 are allowed.
fn split_types(types: &[(usize, usize)]) -> (Vec<(usize, usize)>, bool, bool) {
    let pairs = types
        .iter()
        .copied()
        .filter(|&(a, b)| a > 0 && b > 0)
        .collect();
    (pairs, types.contains(&(1, 0)), types.contains(&(0, 1)))
}

/// The best of three scores and its state.
#[inline]
fn best_of(v: [f64; 3]) -> (f64, State) {
    let mut best = (v[0], State::Pair);
    if v[1] > best.0 {
        best = (v[1], State::Deletion);
    }
    if v[2] > best.0 {
        best = (v[2], State::Insertion);
    }
    best
}

/// A gap bead's score by the state before it (pair, deletion, insertion), `from`
/// the scores of its start: it opens a run of gaps unless it continues one of its kind.
#[inline]
fn gap_from(from: [f64; 3], [open, ext]: [f64; 2], deletion: bool) -> [f64; 3] {
    let [pair, del, ins] = from;
    if deletion {
        [pair + open, del + ext, ins + open]
    } else {
        [pair + open, del + open, ins + ext]
    }
}

/// The best monotone sequence of beads from (0, 0) to (n, m) within `band`.
pub(crate) fn viterbi<S: BeadScorer>(
    m: usize,
    band: &Band,
    types: &[(usize, usize)],
    scorer: &S,
) -> Vec<PathBead> {
    let n = band.n();
    let cells = band.cells();
    let (pairs, deletions, insertions) = split_types(types);
    // Best score per state and cell; the pair state's back pointer holds the bead
    // type (low 6 bits) and the state before it (high 2), the others the state before.
    let mut score = vec![[f64::NEG_INFINITY; 3]; cells];
    // `best_of(score[c])` of each finished cell, read by every bead leaving it.
    let mut best_at = vec![(f64::NEG_INFINITY, State::Pair); cells];
    let mut back_pair = vec![u8::MAX; cells];
    let mut back_gap = vec![[0u8; 2]; cells];
    score[0][State::Pair as usize] = 0.0;
    best_at[0] = best_of(score[0]);
    for i in 0..=n {
        for j in band.lo[i]..=band.hi[i] {
            let here = band.off[i] + j - band.lo[i];
            if i == 0 && j == 0 {
                continue;
            }
            let mut best = f64::NEG_INFINITY;
            let mut arg = u8::MAX;
            for (k, &(a, b)) in pairs.iter().enumerate() {
                let Some(pidx) = band.index_before(i, j, a, b) else {
                    continue;
                };
                let (prev, state) = best_at[pidx];
                if prev == f64::NEG_INFINITY {
                    continue;
                }
                let v = prev + scorer.bead_above(i - a, a, j - b, b, best - prev);
                if v > best {
                    best = v;
                    arg = k as u8 | (state as u8) << 6;
                }
            }
            score[here][State::Pair as usize] = best;
            back_pair[here] = arg;
            if deletions {
                if let Some(p) = band.index_before(i, j, 1, 0) {
                    let gap = scorer.gap(i - 1, j, true);
                    let (v, from) = best_of(gap_from(score[p], gap, true));
                    score[here][State::Deletion as usize] = v;
                    back_gap[here][0] = from as u8;
                }
            }
            if insertions {
                if let Some(p) = band.index_before(i, j, 0, 1) {
                    let gap = scorer.gap(i, j - 1, false);
                    let (v, from) = best_of(gap_from(score[p], gap, false));
                    score[here][State::Insertion as usize] = v;
                    back_gap[here][1] = from as u8;
                }
            }
            best_at[here] = best_of(score[here]);
        }
    }
    let mut path = Vec::new();
    let (mut i, mut j) = (n, m);
    let mut state = band
        .index(n, m)
        .map(|k| best_of(score[k]))
        .filter(|(v, _)| v.is_finite())
        .map(|(_, s)| s);
    while let Some(st) = state {
        if i == 0 && j == 0 {
            break;
        }
        let Some(idx) = band.index(i, j) else { break };
        let (a, b, before) = match st {
            State::Pair => {
                let k = back_pair[idx];
                if k == u8::MAX {
                    break;
                }
                let (a, b) = pairs[(k & 0x3f) as usize];
                (a, b, STATES[(k >> 6) as usize])
            }
            State::Deletion => (1, 0, STATES[back_gap[idx][0] as usize]),
            State::Insertion => (0, 1, STATES[back_gap[idx][1] as usize]),
        };
        path.push(PathBead {
            i0: i - a,
            a,
            j0: j - b,
            b,
        });
        i -= a;
        j -= b;
        state = Some(before);
    }
    path.reverse();
    if i > 0 || j > 0 {
        // Unreachable end (cannot happen with a 1-0 and a 0-1 type): fall back to
        // deleting what is left, so the result still covers both sides.
        let mut fixed: Vec<PathBead> = (0..i)
            .map(|k| PathBead {
                i0: k,
                a: 1,
                j0: 0,
                b: 0,
            })
            .collect();
        fixed.extend((0..j).map(|k| PathBead {
            i0: i,
            a: 0,
            j0: k,
            b: 1,
        }));
        fixed.extend(path);
        return fixed;
    }
    path
}

/// The score of a path (as [`viterbi`] maximises it).
pub(crate) fn path_score<S: BeadScorer>(path: &[PathBead], scorer: &S) -> f64 {
    let mut total = 0.0;
    let mut last = State::Pair;
    for p in path {
        let (score, state) = match (p.a, p.b) {
            (_, 0) => {
                let [open, ext] = scorer.gap(p.i0, p.j0, true);
                let extends = last == State::Deletion;
                (if extends { ext } else { open }, State::Deletion)
            }
            (0, _) => {
                let [open, ext] = scorer.gap(p.i0, p.j0, false);
                let extends = last == State::Insertion;
                (if extends { ext } else { open }, State::Insertion)
            }
            (a, b) => (scorer.bead(p.i0, a, p.j0, b), State::Pair),
        };
        total += score;
        last = state;
    }
    total
}

const LOG_ADD_RANGE: f64 = 36.0;
/// A bead whose weight is below e^-PRUNE of the sum into its end point changes no
/// posterior at the four decimals scores are given with; it is not scored exactly.
const PRUNE: f64 = 20.0;
const LOG_ADD_RES: f64 = 256.0;

#[inline]
fn log_add(a: f64, b: f64) -> f64 {
    if a == f64::NEG_INFINITY {
        return b;
    }
    if b == f64::NEG_INFINITY {
        return a;
    }
    let (hi, lo) = if a > b { (a, b) } else { (b, a) };
    let diff = lo - hi;
    if diff < -LOG_ADD_RANGE {
        return hi;
    }
    // ln(1 + e^diff), tabulated with linear interpolation.
    static TABLE: std::sync::OnceLock<Vec<f64>> = std::sync::OnceLock::new();
    let t = TABLE.get_or_init(|| {
        (0..=(LOG_ADD_RANGE * LOG_ADD_RES) as usize + 1)
            .map(|k| (-(k as f64) / LOG_ADD_RES).exp().ln_1p())
            .collect()
    });
    let pos = -diff * LOG_ADD_RES;
    // pos < 2^32: the same index as through u64, at a cheaper conversion.
    let k = pos as u32 as usize;
    let frac = pos - k as f64;
    let pair = &t[k..k + 2];
    hi + pair[0] * (1.0 - frac) + pair[1] * frac
}

#[inline]
fn log_sum3(v: [f64; 3]) -> f64 {
    log_add(log_add(v[0], v[1]), v[2])
}

/// The posterior probability of each bead of `path` under the distribution over all
/// bead sequences in `band` with weights exp(`temperature` × score).
pub(crate) fn posteriors<S: BeadScorer>(
    m: usize,
    band: &Band,
    types: &[(usize, usize)],
    scorer: &S,
    path: &[PathBead],
    temperature: f64,
) -> Vec<f64> {
    let n = band.n();
    let cells = band.cells();
    let (pairs, deletions, insertions) = split_types(types);
    let nt = pairs.len();
    let t = temperature;
    let gap = |i: usize, j: usize, deletion: bool| scorer.gap(i, j, deletion).map(|x| t * x);
    let neg = f64::NEG_INFINITY;
    // Bead scores by (end point, type), computed once for both directions.
    let mut scores = vec![f32::NEG_INFINITY; cells * nt];
    let mut alpha = vec![[neg; 3]; cells];
    // The sum over the three states, per cell (what a pair bead continues from).
    let mut alpha_any = vec![neg; cells];
    alpha[0][State::Pair as usize] = 0.0;
    alpha_any[0] = 0.0;
    let inv_t = 1.0 / t;
    for i in 0..=n {
        for j in band.lo[i]..=band.hi[i] {
            if i == 0 && j == 0 {
                continue;
            }
            let here = band.off[i] + j - band.lo[i];
            let mut acc = neg;
            for (k, &(a, b)) in pairs.iter().enumerate() {
                let Some(pidx) = band.index_before(i, j, a, b) else {
                    continue;
                };
                let prev = alpha_any[pidx];
                // Beads that add less than e^-PRUNE of the sum so far need no exact
                // score (nor have one: they stay -inf for the backward pass too).
                let floor = (acc - PRUNE - prev) * inv_t;
                let s = t * scorer.bead_above(i - a, a, j - b, b, floor);
                scores[here * nt + k] = s as f32;
                if prev == neg {
                    continue;
                }
                acc = log_add(acc, prev + s);
            }
            alpha[here][State::Pair as usize] = acc;
            if deletions {
                if let Some(p) = band.index_before(i, j, 1, 0) {
                    alpha[here][State::Deletion as usize] =
                        log_sum3(gap_from(alpha[p], gap(i - 1, j, true), true));
                }
            }
            if insertions {
                if let Some(p) = band.index_before(i, j, 0, 1) {
                    alpha[here][State::Insertion as usize] =
                        log_sum3(gap_from(alpha[p], gap(i, j - 1, false), false));
                }
            }
            alpha_any[here] = log_sum3(alpha[here]);
        }
    }
    // beta[c][s]: all continuations from point c after a bead of state s.
    let mut beta = vec![[neg; 3]; cells];
    if let Some(end) = band.index(n, m) {
        beta[end] = [0.0; 3];
    }
    for i in (0..=n).rev() {
        for j in (band.lo[i]..=band.hi[i]).rev() {
            if i == n && j == m {
                continue;
            }
            let mut pair = neg;
            for (k, &(a, b)) in pairs.iter().enumerate() {
                let (ni, nj) = (i + a, j + b);
                if ni > n || nj > m {
                    continue;
                }
                let Some(nidx) = band.index(ni, nj) else {
                    continue;
                };
                let next = beta[nidx][State::Pair as usize];
                if next == neg {
                    continue;
                }
                pair = log_add(pair, next + scores[nidx * nt + k] as f64);
            }
            let del = match (deletions && i < n).then(|| band.index(i + 1, j)) {
                Some(Some(p)) => beta[p][State::Deletion as usize],
                _ => neg,
            };
            let ins = match (insertions && j < m).then(|| band.index(i, j + 1)) {
                Some(Some(p)) => beta[p][State::Insertion as usize],
                _ => neg,
            };
            let [open_del, ext_del] = gap(i, j, true);
            let [open_ins, ext_ins] = gap(i, j, false);
            beta[band.off[i] + j - band.lo[i]] = [
                log_sum3([pair, open_del + del, open_ins + ins]),
                log_sum3([pair, ext_del + del, open_ins + ins]),
                log_sum3([pair, open_del + del, ext_ins + ins]),
            ];
        }
    }
    let z = band.index(n, m).map_or(neg, |k| log_sum3(alpha[k]));
    path.iter()
        .map(|p| {
            let (Some(start), Some(end)) =
                (band.index(p.i0, p.j0), band.index(p.i0 + p.a, p.j0 + p.b))
            else {
                return 0.0;
            };
            let v = if p.a > 0 && p.b > 0 {
                log_sum3(alpha[start])
                    + t * scorer.bead(p.i0, p.a, p.j0, p.b)
                    + beta[end][State::Pair as usize]
            } else {
                let deletion = p.a > 0;
                let state = if deletion {
                    State::Deletion
                } else {
                    State::Insertion
                };
                log_sum3(gap_from(alpha[start], gap(p.i0, p.j0, deletion), deletion))
                    + beta[end][state as usize]
            } - z;
            if v.is_finite() {
                v.exp().clamp(0.0, 1.0)
            } else {
                0.0
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Diag;
    impl BeadScorer for Diag {
        fn bead(&self, i0: usize, a: usize, j0: usize, b: usize) -> f64 {
            if a == 1 && b == 1 && i0 == j0 {
                1.0
            } else {
                -1.0
            }
        }
    }

    #[test]
    fn full_band_finds_the_diagonal() {
        let band = Band::full(5, 5);
        let types = [(1, 1), (1, 0), (0, 1), (2, 1), (1, 2)];
        let path = viterbi(5, &band, &types, &Diag);
        assert_eq!(path.len(), 5);
        assert!(path.iter().all(|p| p.a == 1 && p.b == 1 && p.i0 == p.j0));
        let post = posteriors(5, &band, &types, &Diag, &path, 1.0);
        assert!(post.iter().all(|&p| p > 0.5 && p <= 1.0), "{post:?}");
    }

    #[test]
    fn union_of_bands() {
        let a = Band::from_rects([(0, 10, 0, 3, 0)], 10, 10);
        let b = Band::from_rects([(0, 10, 6, 10, 0)], 10, 10);
        let u = a.union(&b);
        for r in 0..=10 {
            assert_eq!(u.lo[r], a.lo[r].min(b.lo[r]));
            assert_eq!(u.hi[r], a.hi[r].max(b.hi[r]));
        }
        assert!(u.cells() >= a.cells().max(b.cells()));
    }

    #[test]
    fn gap_runs_are_priced_by_the_scorer() {
        // A scorer under which every pair is unrelated and a run of deletions is
        // cheap: the best path deletes one side in one run, then inserts the other.
        struct Runs;
        impl BeadScorer for Runs {
            fn bead(&self, _: usize, a: usize, _: usize, b: usize) -> f64 {
                if a == 0 || b == 0 {
                    -5.0
                } else {
                    -20.0
                }
            }
            fn gap(&self, _: usize, _: usize, _: bool) -> [f64; 2] {
                [-5.0, -0.1]
            }
        }
        let band = Band::full(4, 3);
        let types = [(1, 1), (1, 0), (0, 1)];
        let path = viterbi(3, &band, &types, &Runs);
        assert!((path_score(&path, &Runs) - (-5.0 - 3.0 * 0.1 - 5.0 - 2.0 * 0.1)).abs() < 1e-9);
        let kinds: Vec<(usize, usize)> = path.iter().map(|p| (p.a, p.b)).collect();
        // Either order of the two runs scores the same; each is one run.
        let switches = kinds.windows(2).filter(|w| w[0] != w[1]).count();
        assert_eq!(switches, 1, "{kinds:?}");
        assert_eq!(kinds.len(), 7);
        let post = posteriors(3, &band, &types, &Runs, &path, 1.0);
        assert!(post.iter().all(|&p| (0.0..=1.0).contains(&p)));
        // Two ways to order the runs: each bead of the path is in about half.
        assert!(post.iter().all(|&p| p > 0.3), "{post:?}");
    }

    #[test]
    fn bands_are_monotone_and_connected() {
        let band = Band::from_rects(
            [(0, 3, 0, 2, 1), (3, 10, 2, 2, 1), (10, 12, 2, 20, 1)],
            12,
            20,
        );
        for r in 0..12 {
            assert!(band.lo[r] <= band.lo[r + 1]);
            assert!(band.hi[r] <= band.hi[r + 1]);
            assert!(band.lo[r + 1] <= band.hi[r] + 1);
        }
        assert_eq!(band.lo[0], 0);
        assert_eq!(band.hi[12], 20);
        let path = viterbi(20, &band, &[(1, 1), (1, 0), (0, 1)], &Diag);
        let (a, b): (usize, usize) = path.iter().fold((0, 0), |s, p| (s.0 + p.a, s.1 + p.b));
        assert_eq!((a, b), (12, 20));
    }
}
