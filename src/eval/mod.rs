//! Evaluation against gold data, with the same definitions as the project's reference
//! scorers in `../shared/bench/` (so numbers printed by `bitext eval` and by the Python
//! scorers agree).

#[cfg(feature = "align")]
pub mod align;
#[cfg(feature = "align")]
pub mod calibration;
pub mod segment;
