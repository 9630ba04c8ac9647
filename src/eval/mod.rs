//! Evaluation against gold data, with the same definitions as the project's reference
//! scorers in `../shared/bench/` (so numbers printed by `bitext eval` and by the Python
//! scorers agree).

pub mod align;
pub mod calibration;
pub mod segment;
