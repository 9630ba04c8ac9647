//! A small f32 matrix product for the encoder's fixed-shape layers: `C = A · B`
//! with B a weight matrix packed once at load, A given row by row (so the n-gram
//! windows of the CNN branches are read in place, with a zero row where a window
//! leaves its sentence, instead of being copied into an im2col matrix).
//!
//! One kernel source is compiled three times — AVX-512, AVX2+FMA, baseline — and the
//! fastest the CPU supports is picked at run time, so the binary stays portable.
//! Each call of the kernel keeps a block of `MR` rows × 32 columns of C in registers
//! while it walks the whole depth K, reading the B panel sequentially.

/// Columns of C per kernel call (two 16-float AVX-512 registers per row).
const NR: usize = 32;

/// A K×N weight matrix stored as N/32 column panels, each K rows of 32 floats, so
/// the kernel reads it sequentially.
#[derive(Debug, Clone)]
pub(crate) struct PackedB {
    k: usize,
    n: usize,
    data: Vec<f32>,
}

impl PackedB {
    /// Packs the row-major `k`×`n` matrix `w`; `n` must be a multiple of 32.
    pub(crate) fn new(w: &[f32], k: usize, n: usize) -> PackedB {
        assert_eq!(w.len(), k * n, "matrix size");
        assert_eq!(n % NR, 0, "column count must be a multiple of {NR}");
        let mut data = Vec::with_capacity(k * n);
        for p in 0..n / NR {
            for row in w.chunks_exact(n) {
                data.extend_from_slice(&row[p * NR..(p + 1) * NR]);
            }
        }
        PackedB { k, n, data }
    }

    /// Columns of the matrix.
    pub(crate) fn n(&self) -> usize {
        self.n
    }
}

/// Which kernel the CPU runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Isa {
    Avx512,
    Avx2,
    Base,
}

fn isa() -> Isa {
    #[cfg(target_arch = "x86_64")]
    {
        use std::sync::OnceLock;
        static ISA: OnceLock<Isa> = OnceLock::new();
        *ISA.get_or_init(|| {
            if std::is_x86_feature_detected!("avx512f") && std::is_x86_feature_detected!("fma") {
                Isa::Avx512
            } else if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma")
            {
                Isa::Avx2
            } else {
                Isa::Base
            }
        })
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        Isa::Base
    }
}

/// The instruction set the kernel uses on this CPU (for benchmarks' reports).
pub(crate) fn isa_name() -> &'static str {
    match isa() {
        Isa::Avx512 => "avx512",
        Isa::Avx2 => "avx2+fma",
        Isa::Base => "baseline",
    }
}

/// `C[r, ..] = Σ_s row(r, s) · B[s*seg..(s+1)*seg, ..]` for `r < m`: row `r` of A is
/// the concatenation of the `k / seg` slices `row(r, 0)`, `row(r, 1)`, … (each `seg`
/// long). C is row-major with row stride `ldc` ≥ `b.n()`; its first `b.n()` columns of
/// rows `0..m` are overwritten.
pub(crate) fn gemm<'a>(
    m: usize,
    seg: usize,
    b: &PackedB,
    row: impl Fn(usize, usize) -> &'a [f32],
    c: &mut [f32],
    ldc: usize,
) {
    assert!(
        seg > 0 && b.k.is_multiple_of(seg),
        "segment length must divide the depth"
    );
    assert!(
        ldc >= b.n && (m == 0 || c.len() >= (m - 1) * ldc + b.n),
        "C too small"
    );
    if m == 0 {
        return;
    }
    let zero = vec![0.0f32; seg];
    let row = |r: usize, s: usize| -> &[f32] {
        if r < m {
            let slice = row(r, s);
            assert_eq!(slice.len(), seg, "row slice length");
            slice
        } else {
            &zero
        }
    };
    let product = Product {
        m,
        seg,
        b,
        row: &row,
        c,
        ldc,
    };
    // SAFETY: each variant is only called when the CPU has its features.
    unsafe {
        match isa() {
            #[cfg(target_arch = "x86_64")]
            Isa::Avx512 => gemm_avx512(product),
            #[cfg(target_arch = "x86_64")]
            Isa::Avx2 => gemm_avx2(product),
            _ => gemm_rows::<4, false>(product),
        }
    }
}

/// [`gemm`]'s arguments as every kernel variant takes them, the rows of A checked
/// (and zero past `m`).
struct Product<'p, 'a> {
    m: usize,
    seg: usize,
    b: &'p PackedB,
    row: &'p dyn Fn(usize, usize) -> &'a [f32],
    c: &'p mut [f32],
    ldc: usize,
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,fma")]
unsafe fn gemm_avx512(product: Product) {
    gemm_rows::<12, true>(product)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn gemm_avx2(product: Product) {
    gemm_rows::<4, true>(product)
}

/// The driver: blocks of `MR` rows (the last one padded with zero rows when it is
/// at least 4 rows, else row by row), each against every column panel. Panels are
/// the outer loop: a panel is read from memory once and from the core's cache by the
/// other blocks (the dense layers' first matrix, 2.6 MB, does not fit that cache;
/// the rows of A, a few hundred KB at most, do).
#[inline(always)]
fn gemm_rows<const MR: usize, const FMA: bool>(product: Product) {
    let Product {
        m,
        seg,
        b,
        row,
        c,
        ldc,
    } = product;
    let nseg = b.k / seg;
    let panels = b.n / NR;
    // (first row, rows) of the blocks of MR, then the single rows left.
    let full = if m % MR >= 4 { m.div_ceil(MR) } else { m / MR };
    let mut ptrs = Vec::with_capacity(full * nseg);
    for blk in 0..full {
        for s in 0..nseg {
            let mut p = [std::ptr::null::<f32>(); MR];
            for (i, q) in p.iter_mut().enumerate() {
                *q = row(blk * MR + i, s).as_ptr();
            }
            ptrs.push(p);
        }
    }
    let singles: Vec<[*const f32; 1]> = (full * MR..m)
        .flat_map(|r| (0..nseg).map(move |s| (r, s)))
        .map(|(r, s)| [row(r, s).as_ptr()])
        .collect();
    for p in 0..panels {
        let panel = &b.data[p * b.k * NR..(p + 1) * b.k * NR];
        for (blk, ptrs) in ptrs.chunks_exact(nseg).enumerate() {
            let acc = kernel::<MR, FMA>(ptrs, seg, panel);
            let r0 = blk * MR;
            for (i, a) in acc.iter().take(m - r0).enumerate() {
                let at = (r0 + i) * ldc + p * NR;
                c[at..at + NR].copy_from_slice(a);
            }
        }
        for (i, ptrs) in singles.chunks_exact(nseg).enumerate() {
            let acc = kernel::<1, FMA>(ptrs, seg, panel);
            let at = (full * MR + i) * ldc + p * NR;
            c[at..at + NR].copy_from_slice(&acc[0]);
        }
    }
}

/// `MR` rows × 32 columns of C over the whole depth. `ptrs[s][i]` points at the `seg`
/// floats of row `i`, segment `s` (all valid for `seg` reads: the driver checked).
#[inline(always)]
fn kernel<const MR: usize, const FMA: bool>(
    ptrs: &[[*const f32; MR]],
    seg: usize,
    panel: &[f32],
) -> [[f32; NR]; MR] {
    let mut acc = [[0.0f32; NR]; MR];
    for (s, rows) in ptrs.iter().enumerate() {
        let bseg = &panel[s * seg * NR..(s + 1) * seg * NR];
        for (kk, bv) in bseg.chunks_exact(NR).enumerate() {
            let bv: &[f32; NR] = bv.try_into().unwrap();
            for (i, acc_row) in acc.iter_mut().enumerate() {
                // SAFETY: every row pointer is valid for `seg` floats and kk < seg.
                let a = unsafe { *rows[i].add(kk) };
                for j in 0..NR {
                    acc_row[j] = if FMA {
                        a.mul_add(bv[j], acc_row[j])
                    } else {
                        acc_row[j] + a * bv[j]
                    };
                }
            }
        }
    }
    acc
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Deterministic values in [-0.5, 0.5).
    fn values(n: usize, seed: usize) -> Vec<f32> {
        (0..n)
            .map(|i| ((i * 7919 + seed * 104_729) % 1000) as f32 / 1000.0 - 0.5)
            .collect()
    }

    #[test]
    fn matches_the_naive_product_for_every_row_remainder() {
        let (k, n) = (96, 64);
        let w = values(k * n, 1);
        let b = PackedB::new(&w, k, n);
        for m in [1, 2, 3, 4, 5, 11, 12, 13, 25, 40] {
            let a = values(m * k, m);
            let ldc = n + 8;
            let mut c = vec![f32::NAN; m * ldc];
            gemm(m, k, &b, |r, _| &a[r * k..(r + 1) * k], &mut c, ldc);
            for r in 0..m {
                for j in 0..n {
                    let want: f32 = (0..k).map(|kk| a[r * k + kk] * w[kk * n + j]).sum();
                    let got = c[r * ldc + j];
                    assert!(
                        (got - want).abs() < 1e-4,
                        "m={m} r={r} j={j}: {got} vs {want}"
                    );
                }
                // Columns past n are left alone.
                assert!(c[r * ldc + n..r * ldc + ldc].iter().all(|v| v.is_nan()));
            }
        }
    }

    #[test]
    fn segments_are_read_from_separate_rows() {
        // A two-segment window: row r is [x[r] | x[r+1]] (zeros past the end).
        let (seg, n, m) = (32, 32, 7);
        let x = values(m * seg, 3);
        let zero = vec![0.0f32; seg];
        let w = values(2 * seg * n, 4);
        let b = PackedB::new(&w, 2 * seg, n);
        let mut c = vec![0.0f32; m * n];
        let row = |r: usize, s: usize| {
            if r + s < m {
                &x[(r + s) * seg..(r + s + 1) * seg]
            } else {
                &zero[..]
            }
        };
        gemm(m, seg, &b, row, &mut c, n);
        for r in 0..m {
            let a: Vec<f32> = [row(r, 0), row(r, 1)].concat();
            for j in 0..n {
                let want: f32 = (0..2 * seg).map(|kk| a[kk] * w[kk * n + j]).sum();
                assert!((c[r * n + j] - want).abs() < 1e-4);
            }
        }
    }
}
