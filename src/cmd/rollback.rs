//! `bcetl rollback DIR`: undo an import.

use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;

use anyhow::{bail, Result};

use crate::cli::RollbackArgs;
use crate::import::{self, Journal};
use crate::interrupt::{Interrupt, Interrupted};
use crate::progress::Progress;

pub fn run(args: RollbackArgs) -> Result<ExitCode> {
    anyhow::ensure!(
        (1..=64).contains(&args.concurrency),
        "--concurrency {}: give 1 to 64",
        args.concurrency
    );
    let journal = Journal::open_existing(&args.dir)?;
    let count = journal.created_contacts()?.len()
        + journal.updated_contacts()?.len()
        + journal.deleted_contacts()?.len();
    if count == 0 {
        say!(
            "{}: the import created or changed no contact that is still there",
            args.dir.display()
        );
        return Ok(ExitCode::SUCCESS);
    }
    let interrupt = Interrupt::watch()?;
    let connection = crate::cli::connect::connect(&args.api)?;
    // The contacts were created on one server; ids mean nothing on another.
    if let Some(server) = journal.identity("server")? {
        if server != connection.target {
            bail!(
                "{}: this import was made on {server}, not {}; give the same --base-url (or \
                 --sandbox) as the import",
                args.dir.display(),
                connection.target
            );
        }
    }
    if !args.yes {
        confirm(count, &connection.target)?;
    }
    let bar = Progress::bar(
        args.quiet,
        count as u64,
        "{bar:30} {pos}/{len} deleted ({per_sec}, {eta} left)",
    );
    let stats = import::rollback(
        &connection.client,
        &journal,
        args.concurrency,
        |done| bar.set(done as u64),
        || interrupt.requested(),
    )?;
    bar.finish();
    say!(
        "{}: {} contacts deleted, {} restored as they were, {} re-created (with new ids), {} already gone, {} could not be undone",
        args.dir.display(),
        stats.deleted,
        stats.restored,
        stats.recreated,
        stats.already_gone,
        stats.failed.len()
    );
    for (row, reason) in stats.failed.iter().take(10) {
        say!("  row {row}: {reason}");
    }
    if interrupt.requested() {
        return Err(
            Interrupted("stopped by Ctrl-C; run the same command again to go on".into()).into(),
        );
    }
    Ok(if stats.failed.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// Asks on the terminal before deleting; refuses without one (use --yes in scripts).
fn confirm(count: usize, target: &str) -> Result<()> {
    if !std::io::stdin().is_terminal() {
        bail!("rollback would undo {count} contacts on {target}; give --yes to confirm (no terminal to ask on)");
    }
    print!("Undo this import's {count} contacts on {target} (delete the created, restore the updated, re-create the deleted)? [y/N] ");
    std::io::stdout().flush()?;
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    if !matches!(answer.trim(), "y" | "Y" | "yes" | "YES" | "Yes") {
        bail!("rollback cancelled; nothing was deleted");
    }
    Ok(())
}
