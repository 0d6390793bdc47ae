//! `bcetl validate`: the dry run.

use std::process::ExitCode;
use std::time::Instant;

use anyhow::{bail, Result};

use super::same_file;
use crate::cli::ValidateArgs;
use crate::finding::Severity;
use crate::interrupt::{Interrupt, Interrupted};
use crate::progress::Progress;
use crate::validate::{self, report, Summary};

pub fn run(mut args: ValidateArgs) -> Result<ExitCode> {
    check_outputs(&args)?;
    // A stream (standard input, a pipe) is copied to a temporary file first, read from there.
    let scratch = tempfile::tempdir()?;
    args.input = super::rereadable(&args.input, scratch.path())?;
    let interrupt = Interrupt::watch()?;
    let (table, mapping) = super::open_with_mapping(&args.input, &args.mapping, &args.read)?;
    let stop = interrupt.clone();
    let table = table.until(move || stop.requested());
    let source = format!("{} ({})", table.path.display(), table.description);
    let mut report = match &args.report {
        Some(path) => Some(report::create(
            path,
            &table.headers,
            table.header_row,
            &source,
        )?),
        None => None,
    };
    let mut emit = args
        .emit
        .as_deref()
        .map(report::EmitWriter::create)
        .transpose()?;

    let bar = Progress::counter(
        args.quiet,
        "{spinner} {human_pos} rows checked ({per_sec}) {elapsed}",
    );
    let started = Instant::now();
    let summary = validate::run(
        table,
        &mapping,
        |row, mapped| {
            if let Some(report) = report.as_mut() {
                report.row(row, mapped)?;
            }
            if let Some(emit) = emit.as_mut() {
                emit.row(mapped)?;
            }
            Ok(())
        },
        |done| bar.set(done as u64),
    )?;
    bar.finish();
    if interrupt.requested() {
        // Unfinished, the report and the bodies are dropped with their temporary files.
        drop((report, emit));
        return Err(Interrupted(format!(
            "stopped by Ctrl-C after {} rows; no report or bodies written (earlier ones are \
             left as they were)",
            summary.rows
        ))
        .into());
    }
    if let Some(report) = report {
        report.finish(&summary)?;
    }
    if let Some(emit) = emit {
        emit.finish()?;
    }
    print_summary(
        &source,
        &summary,
        args.quiet,
        started.elapsed().as_secs_f64(),
    );
    if let Some(path) = &args.report {
        say!("report: {}", path.display());
    }
    Ok(if summary.invalid > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Refuses outputs that would replace the input, the mapping or each other: a report is
/// renamed over its path when the run ends, so a slip of the tab key would lose the file.
fn check_outputs(args: &ValidateArgs) -> Result<()> {
    let outputs = [("--report", &args.report), ("--emit", &args.emit)];
    let inputs = [("the input", &args.input), ("the mapping", &args.mapping)];
    for (flag, output) in outputs {
        let Some(output) = output else { continue };
        for (what, input) in inputs {
            if same_file(output, input) {
                bail!(
                    "{flag} {}: that is {what}; choose another file name",
                    output.display()
                );
            }
        }
    }
    if let (Some(report), Some(emit)) = (&args.report, &args.emit) {
        if same_file(report, emit) {
            bail!(
                "--report and --emit name the same file {}",
                report.display()
            );
        }
    }
    Ok(())
}

fn print_summary(source: &str, s: &Summary, quiet: bool, seconds: f64) {
    say!(
        "{source}: {} rows, {} valid, {} invalid, {} with warnings ({seconds:.1}s)",
        s.rows,
        s.valid,
        s.invalid,
        s.with_warnings
    );
    if quiet || s.is_clean() {
        return;
    }
    say!("most common problems:");
    for c in s.most_common().into_iter().take(10) {
        let mark = if c.severity == Severity::Error {
            "error  "
        } else {
            "warning"
        };
        say!(
            "  {:>7}  {mark}  {:<16} {}: e.g. row {}: {}",
            c.count,
            c.rule,
            c.place,
            c.first_row,
            c.example
        );
    }
}
