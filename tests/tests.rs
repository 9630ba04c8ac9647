//! CLI tests: one binary, one module per subcommand.

mod cli_align;
mod cli_bad_inputs;
mod cli_convert;
mod formats_props;
mod tmx_corpus;
mod util;

mod cli_eval;
mod cli_segment;
mod samples;
