//! `bcetl import`: the migration itself.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};

use crate::cli::{BlankCells, ImportArgs, ImportMode, LookupArg};
use crate::import::{self, Counts, Journal};
use crate::interrupt::{Interrupt, Interrupted};
use crate::progress::Progress;
use crate::write::{TableFormat, TableOptions, TableWriter};

pub fn run(mut args: ImportArgs) -> Result<ExitCode> {
    // Standard input or a pipe is kept in the import's folder, read from there (and on a
    // resume, compared with what comes in then through the journal's input hash).
    let out = args.out.clone().unwrap_or_else(|| default_out(&args.input));
    args.input = super::rereadable(&args.input, &out)?;
    let mode = match args.mode {
        ImportMode::Create => import::Mode::Create,
        ImportMode::Update => import::Mode::Update,
        ImportMode::Upsert => import::Mode::Upsert,
        ImportMode::Delete => import::Mode::Delete,
    };
    let match_key =
        import::MatchKey::parse(&args.match_key).map_err(|e| anyhow::anyhow!("--match {e}"))?;
    anyhow::ensure!(
        (1..=64).contains(&args.concurrency),
        "--concurrency {}: give 1 to 64",
        args.concurrency
    );
    let interrupt = Interrupt::watch()?;
    let (table, mapping) = super::open_with_mapping(&args.input, &args.mapping, &args.read)?;
    if match_key == import::MatchKey::Id
        && mode != import::Mode::Create
        && mapping.id_column().is_none()
    {
        bail!(
            "--match id: the mapping has no column for the contact id; add `id = \"COLUMN\"` under [fields]"
        );
    }
    if mapping.entity == crate::mapping::Entity::User {
        bail!(
            "{}: users are read-only in the BigContacts API; a user mapping shapes exports (bcetl export --entity users --mapping …)",
            args.mapping.display()
        );
    }
    let records = mapping.entity != crate::mapping::Entity::Contact;
    if records && args.mode != ImportMode::Create {
        bail!(
            "{}: entity = \"{}\": this version creates activities and tasks (--mode create); each row names its contact through the mapping's [contact]",
            args.mapping.display(),
            mapping.entity.name()
        );
    }
    for (what, path) in [("the input", &args.input), ("the mapping", &args.mapping)] {
        anyhow::ensure!(
            !super::same_file(&out, path),
            "--out {}: that is {what}; give a folder",
            out.display()
        );
    }
    // A folder holding another run's outputs but no journal is not this import's: its
    // files would be replaced by ones that say nothing of theirs.
    if !out.join("journal.sqlite").exists() && !args.dry_run && !args.plan {
        for name in ["success.csv", "errors.csv", "summary.json"] {
            anyhow::ensure!(
                !out.join(name).exists(),
                "--out {}: it holds {name} but no journal of an import; give an empty or new folder \
                 (or the folder an import of this file wrote)",
                out.display()
            );
        }
    }
    if args.dry_run {
        return dry_run(table, &mapping, &out, args.quiet);
    }
    let connection = crate::cli::connect::connect(&args.api)?;
    let client = &connection.client;
    // The rows, for the progress bar's ETA and to weigh the two ways of finding contacts:
    // counted (the whole input read once more) only when one of them will use the count.
    let rows = RowCount::new(&args);
    // Activities and tasks find their contact by the mapping's [contact] key.
    let match_key = match mapping.contact_match() {
        Some(crate::mapping::ContactKey::Id) => import::MatchKey::Id,
        Some(crate::mapping::ContactKey::Custom(name)) => import::MatchKey::Custom(name),
        Some(crate::mapping::ContactKey::Email) => import::MatchKey::Email,
        None => match_key,
    };
    let lookup_mode = if records { import::Mode::Upsert } else { mode };
    let lookup = choose_lookup(&args, &match_key, lookup_mode, &rows, client)?;
    let options = import::Options {
        mode,
        match_key,
        concurrency: args.concurrency,
        replace_lists: args.replace_lists,
        blank_clears: args.blank == BlankCells::Clear,
        lookup,
    };
    if mode == import::Mode::Delete && !args.plan && !args.yes {
        // Asks with the count: the same decisions as the run, read-only, into a scratch file.
        let scratch = tempfile::tempdir()?;
        let (again, _) = super::open_with_mapping(&args.input, &args.mapping, &args.read)?;
        let plan = import::plan(
            again,
            &mapping,
            client,
            &options,
            &scratch.path().join("plan.csv"),
        )?;
        confirm_delete(plan.delete, &connection.target)?;
    }
    if args.plan {
        std::fs::create_dir_all(&out)
            .with_context(|| format!("{}: cannot create the output folder", out.display()))?;
        let path = out.join("plan.csv");
        let plan = if records {
            import::plan_records(table, &mapping, client, &options, &path)?
        } else {
            import::plan(table, &mapping, client, &options, &path)?
        };
        let seconds = plan.writes() as f64 / args.api.rate;
        say!(
            "plan: {} to create, {} to update, {} to delete, {} unchanged, {} invalid, {} refused \
             (key ambiguous or not found); {} requests, about {} at --rate {} ({} read to plan)",
            plan.create,
            plan.update,
            plan.delete,
            plan.unchanged,
            plan.invalid,
            plan.refused,
            plan.writes(),
            human_duration(seconds),
            args.api.rate,
            plan.read_requests
        );
        say!("plan: {}", path.display());
        return Ok(ExitCode::SUCCESS);
    }
    // A journal belongs to one input, one mapping, one mode and one server: resuming it
    // against another would skip rows that were never sent there.
    let identity = [
        ("input", crate::export::sha256_file(&args.input)?),
        // The text, which a built-in mapping (`--mapping google-contacts`) has without a file.
        ("mapping", {
            use sha2::Digest;
            let text = crate::mapping::mapping_text(&args.mapping)?;
            format!("{:x}", sha2::Sha256::digest(text.as_bytes()))
        }),
        ("mode", format!("{:?}", args.mode).to_lowercase()),
        ("match", args.match_key.trim().to_string()),
        (
            "lists",
            if args.replace_lists {
                "replace"
            } else {
                "merge"
            }
            .to_string(),
        ),
        ("server", connection.target.clone()),
        ("blank", format!("{:?}", args.blank).to_lowercase()),
        ("entity", mapping.entity.name().to_string()),
    ];
    let journal = Journal::open(&out, &identity)?;

    let bar = Progress::bar(
        args.quiet,
        if Progress::drawn(args.quiet) {
            rows.get()?
        } else {
            0
        },
        "{spinner} {human_pos}/{human_len} rows ({per_sec}, ETA {eta}) {msg} {elapsed}",
    );
    let stop = interrupt.clone();
    let table = table.until(move || stop.requested()).watched();
    let source = format!("{} ({})", table.path.display(), table.description);
    let show = |c: Counts| {
        bar.set(c.done as u64);
        bar.message(format!(
            "created {}, updated {}, not done {}",
            c.created, c.updated, c.failed
        ));
    };
    let stats = if records {
        import::run_records(table, &mapping, client, &journal, &options, show, || {
            interrupt.requested()
        })?
    } else {
        import::run(table, &mapping, client, &journal, &options, show, || {
            interrupt.requested()
        })?
    };
    bar.finish();
    // The input again, for the cells of errors.csv.
    let (input, _) = super::open_with_mapping(&args.input, &args.mapping, &args.read)?;
    // For an activity or task, the key is its contact's id and the id the new record's.
    let id_column = format!("{}_id", mapping.entity.name());
    let totals = import::write_outputs(&out, &journal, input, &stats, &client.stats(), &id_column)?;
    let requests = client.stats();
    say!(
        "{source}: {} created, {} updated, {} unchanged, {} deleted, {} invalid, {} rejected, \
         {} not applied, {} unknown ({} rows read this run in {:.1}s; {} requests, {} retries, \
         {} answered 429)",
        totals.created,
        totals.updated,
        totals.unchanged,
        totals.deleted,
        totals.invalid,
        totals.rejected,
        totals.failed,
        totals.unknown,
        stats.rows_read,
        stats.seconds,
        requests.requests,
        requests.retries,
        requests.rate_limited
    );
    say!("output: {}", out.display());
    if stats.interrupted {
        return Err(Interrupted(format!(
            "stopped by Ctrl-C; what was sent is recorded. Resume with: {}",
            resume_command()
        ))
        .into());
    }
    Ok(if totals.not_created() > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Asks on the terminal before deleting; refuses without one (give --yes in scripts).
fn confirm_delete(count: usize, target: &str) -> Result<()> {
    use std::io::{BufRead, IsTerminal, Write};
    if !std::io::stdin().is_terminal() {
        bail!("--mode delete would delete {count} contacts on {target}; give --yes to confirm (no terminal to ask on)");
    }
    print!("Delete {count} contacts on {target}? [y/N] ");
    std::io::stdout().flush()?;
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    if !matches!(answer.trim(), "y" | "Y" | "yes" | "Yes" | "YES") {
        bail!("cancelled; nothing was deleted");
    }
    Ok(())
}

/// `3h 20m`, `4m 05s`, `12s`.
fn human_duration(seconds: f64) -> String {
    let s = seconds.ceil() as u64;
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m {:02}s", s / 60, s % 60),
        _ => format!("{}h {:02}m", s / 3600, s % 3600 / 60),
    }
}

/// `contacts.csv` → `contacts.import/` beside it: the same command finds its journal again.
/// Standard input (`-`, `/dev/stdin`) imports into `stdin.import/` in the current folder.
fn default_out(input: &Path) -> PathBuf {
    if input.as_os_str() == "-" || input.starts_with("/dev") || input.starts_with("/proc") {
        return PathBuf::from("stdin.import");
    }
    let stem = input
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "input".into());
    input.with_file_name(format!("{stem}.import"))
}

/// The command as it was typed, to run again.
fn resume_command() -> String {
    std::env::args()
        .map(|a| {
            if a.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_./=:@".contains(c))
            {
                a
            } else {
                format!("'{}'", a.replace('\'', r"'\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Data rows of the input, counted the first time they are asked for (the input read once
/// more, streamed).
struct RowCount<'a> {
    args: &'a ImportArgs,
    counted: std::cell::OnceCell<u64>,
}

impl<'a> RowCount<'a> {
    fn new(args: &'a ImportArgs) -> RowCount<'a> {
        RowCount {
            args,
            counted: std::cell::OnceCell::new(),
        }
    }

    fn get(&self) -> Result<u64> {
        if let Some(&n) = self.counted.get() {
            return Ok(n);
        }
        let args = self.args;
        let (table, _) = super::open_with_mapping(&args.input, &args.mapping, &args.read)?;
        let mut n = 0;
        for row in table.rows {
            row?;
            n += 1;
        }
        Ok(*self.counted.get_or_init(|| n))
    }
}

/// `--lookup`, with `auto` weighed against the account's size (one request to learn it).
fn choose_lookup<C: crate::clock::Clock>(
    args: &ImportArgs,
    key: &import::MatchKey,
    mode: import::Mode,
    rows: &RowCount,
    client: &crate::api::Client<C>,
) -> Result<import::Lookup> {
    Ok(match args.lookup {
        LookupArg::Index => import::Lookup::Index,
        LookupArg::PerRow => {
            if matches!(key, import::MatchKey::Custom(_)) {
                bail!("--lookup per-row: a custom field key is found through the index only (the API's search does not look in custom fields)");
            }
            import::Lookup::PerRow
        }
        LookupArg::Auto if mode == import::Mode::Create => import::Lookup::Index,
        LookupArg::Auto => {
            let first = client.contacts(&crate::api::ContactQuery {
                page: 1,
                results: Some(1),
                ..Default::default()
            })?;
            let contacts = first.total.unwrap_or(first.items.len() as u64);
            let rows = rows.get()?;
            let lookup = import::Lookup::choose(key, rows, contacts);
            if !args.quiet {
                note!(
                    "finding contacts: {} ({rows} rows, {contacts} contacts in the account)",
                    lookup.name()
                );
            }
            lookup
        }
    })
}

/// `--dry-run`: the bodies that would be sent, one per line, and nothing sent.
fn dry_run(
    table: crate::read::Table,
    mapping: &crate::mapping::Mapping,
    out: &Path,
    quiet: bool,
) -> Result<ExitCode> {
    std::fs::create_dir_all(out)
        .with_context(|| format!("{}: cannot create the output folder", out.display()))?;
    let path = out.join("requests.jsonl");
    let mut requests = TableWriter::create(
        Some(&path),
        TableFormat::JsonLines,
        &[],
        TableOptions::default(),
    )?;
    let summary = crate::validate::run(
        table,
        mapping,
        |_, mapped| {
            if mapped
                .findings
                .iter()
                .any(|f| f.severity == crate::finding::Severity::Error)
            {
                return Ok(());
            }
            let request = match mapped.other.as_deref() {
                // An activity or a task: the contact is found when the import runs.
                Some(other) => serde_json::json!({
                    "row": mapped.row,
                    "method": "POST",
                    "path": if mapping.entity == crate::mapping::Entity::Task { "/api/tasks.json" } else { "/api/contact/{id}/activity.json" },
                    "contact": other.contact_key,
                    "body": other.fields,
                }),
                None => serde_json::json!({
                    "row": mapped.row,
                    "method": "POST",
                    "path": "/api/contacts.json",
                    "body": mapped.contact,
                }),
            };
            requests.json(&request)
        },
        |_| {},
    )?;
    requests.finish()?;
    if !quiet {
        say!(
            "dry run: {} rows; {} would be created, {} are invalid and would not be sent \
             (bcetl validate --report shows why, cell by cell)",
            summary.rows,
            summary.valid,
            summary.invalid
        );
    }
    say!("requests: {}", path.display());
    Ok(if summary.invalid > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
