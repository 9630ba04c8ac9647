//! CLI tests: one binary, one module per subcommand.

mod util;
