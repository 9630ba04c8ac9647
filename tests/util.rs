//! Helpers shared by the CLI tests.
