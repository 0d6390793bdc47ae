//! The `bcetl` binary: parse the command line, run the command, map the outcome to an exit
//! status (0 success, 1 rows rejected, 2 fatal, 130 stopped by Ctrl-C).

use std::process::ExitCode;

use clap::Parser;

/// Rows are read on one thread and freed on others; glibc's allocator spends a third of a
/// dry run consolidating such frees, mimalloc does not (see BENCHMARKS.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = bcetl::cli::Cli::parse();
    match bcetl::cmd::run(cli) {
        Ok(code) => code,
        Err(err) => {
            if is_broken_pipe(&err) {
                return ExitCode::SUCCESS;
            }
            if let Some(stopped) = err.downcast_ref::<bcetl::interrupt::Interrupted>() {
                eprintln!("bcetl: {stopped}");
                return ExitCode::from(130);
            }
            eprintln!("bcetl: {err:#}");
            ExitCode::from(2)
        }
    }
}

/// Output piped into `head` that closes early is not an error.
fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
