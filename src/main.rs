//! The `bitext` command: parses arguments and hands them to [`cli`], which drives the
//! `bitext` library. All work is in the library; this file only maps the outcome to
//! an exit code.

mod cli;

use std::process::ExitCode;

fn main() -> ExitCode {
    match cli::run(std::env::args_os()) {
        Ok(code) => code,
        Err(err) => {
            if is_broken_pipe(&err) {
                // The reader of our output went away (`bitext … | head`): not an error.
                return ExitCode::SUCCESS;
            }
            eprintln!("bitext: error: {err:#}");
            ExitCode::from(1)
        }
    }
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
            || cause
                .downcast_ref::<bitext::Error>()
                .is_some_and(bitext::Error::is_broken_pipe)
    })
}
