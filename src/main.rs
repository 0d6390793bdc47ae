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
        Ok(_) if bcetl::cmd::stdout_failed() => ExitCode::from(2),
        Ok(code) => code,
        Err(err) => {
            if is_broken_pipe(&err) {
                return ExitCode::SUCCESS;
            }
            // Standard error may be closed or full too: then the exit code says it alone.
            use std::io::Write;
            let mut stderr = std::io::stderr().lock();
            if let Some(stopped) = err.downcast_ref::<bcetl::interrupt::Interrupted>() {
                let _ = writeln!(stderr, "bcetl: {stopped}");
                return ExitCode::from(130);
            }
            let _ = writeln!(stderr, "bcetl: {err:#}");
            ExitCode::from(2)
        }
    }
}

/// Output piped into `head` that closes early is not an error, whichever writer met it
/// (the io error may come wrapped in the csv or JSON writer's own error).
fn is_broken_pipe(err: &anyhow::Error) -> bool {
    use std::io::ErrorKind::BrokenPipe;
    err.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == BrokenPipe)
            || cause
                .downcast_ref::<serde_json::Error>()
                .is_some_and(|e| e.io_error_kind() == Some(BrokenPipe))
            || cause.downcast_ref::<csv::Error>().is_some_and(
                |e| matches!(e.kind(), csv::ErrorKind::Io(io) if io.kind() == BrokenPipe),
            )
    })
}
