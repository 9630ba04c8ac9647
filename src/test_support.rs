//! Settings shared by the unit tests.

use proptest::test_runner::{Config, FileFailurePersistence};

/// proptest's settings with `cases` cases per property. Failing cases are saved under
/// `tests/proptest-regressions/` (by module path, e.g. `align/mod.txt`) with the other
/// test data, not in a folder at the crate's root.
pub(crate) fn proptest_cases(cases: u32) -> Config {
    Config {
        failure_persistence: Some(Box::new(FileFailurePersistence::SourceParallel(
            "tests/proptest-regressions",
        ))),
        ..Config::with_cases(cases)
    }
}
