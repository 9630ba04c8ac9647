//! CLI tests: one binary, one module per subcommand.

mod cli_convert;
mod util;
