//! CLI tests: one binary, one module per subcommand.

mod util;

mod cli_eval;
mod cli_segment;
mod samples;
