//! CLI tests: one binary, one module per subcommand.

mod cli_align;
mod cli_align_robust;
mod cli_align_semantic;
mod cli_bad_inputs;
mod cli_bad_memory;
mod cli_concurrency;
mod cli_convert;
mod cli_crash;
mod cli_import_edges;
mod cli_omegat;
mod cli_output;
mod cli_serve;
mod cli_serve_page;
mod cli_xliff;
mod cli_xliff_document;
mod cli_xliff_pretranslate;
mod cli_xliff_toolkit;
mod cli_xliff_tools;
mod formats_props;
mod fuzz_replay;
mod semantic_tokenizer;
mod tmx_corpus;
mod util;

mod cli_eval;
mod cli_flags;
mod cli_memory;
mod cli_segment;
mod cli_srx;
mod readme;
mod samples;
mod semantic_encoder;
mod srx_rules;
