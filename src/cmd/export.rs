//! `bcetl export`: contacts out to a file, fully or incrementally.

use std::path::Path;
use std::process::ExitCode;

use anyhow::{bail, Context, Result};

use crate::api::ContactQuery;
use crate::cli::{ExportArgs, ExportColumns, ExportEntity};
use crate::export::{self, incremental::State, Manifest, Shape};
use crate::interrupt::Interrupt;
use crate::write::{TableFormat, TableOptions};

pub fn run(args: ExportArgs) -> Result<ExitCode> {
    let to_stdout = args.output.as_os_str() == "-";
    let output = (!to_stdout).then(|| args.output.clone());
    let format = match (&args.format, &output) {
        (Some(name), _) => TableFormat::parse(name).map_err(|e| anyhow::anyhow!("--format {e}"))?,
        (None, Some(path)) => TableFormat::from_path(path).with_context(|| {
            format!(
                "{}: the extension says no format; name a .csv, .xlsx or .jsonl file or give --format",
                path.display()
            )
        })?,
        (None, None) => TableFormat::Csv,
    };
    anyhow::ensure!(
        (1..=16).contains(&args.concurrency),
        "--concurrency {}: give 1 to 16",
        args.concurrency
    );
    anyhow::ensure!(args.page_size >= 1, "--page-size: give 1 or more");
    let entity = match args.entity {
        ExportEntity::Contacts => export::Entity::Contacts,
        ExportEntity::Activities => export::Entity::Activities,
        ExportEntity::Tasks => export::Entity::Tasks,
        ExportEntity::Users => export::Entity::Users,
    };
    if entity != export::Entity::Contacts {
        for (given, flag) in [
            (args.state.is_some(), "--state"),
            (args.merge.is_some(), "--merge"),
            (args.columns == ExportColumns::All, "--columns all"),
        ] {
            if given {
                bail!("{flag} applies to contacts only in this version; --entity {} has its default layout (or JSON lines for whole records)", entity.name());
            }
        }
    }
    if matches!(entity, export::Entity::Tasks | export::Entity::Users)
        && (!filters(&args).is_empty() || args.q.is_some())
    {
        bail!("the date filters and --q select contacts (the API has them for contacts only); --entity {} exports every one", entity.name());
    }
    if to_stdout && (args.state.is_some() || args.merge.is_some()) {
        bail!("--state and --merge need an output file, not standard output");
    }
    // Every file the run reads or writes, each once: `--merge snap.csv` as the output too
    // would cut the snapshot to one night's rows.
    let output_manifest = output.as_deref().map(Manifest::path_for);
    let merge_manifest = args.merge.as_deref().map(Manifest::path_for);
    let files: Vec<(String, &Path)> = [
        ("the output", output.as_deref()),
        ("the output's manifest", output_manifest.as_deref()),
        ("--merge", args.merge.as_deref()),
        ("the snapshot's manifest", merge_manifest.as_deref()),
        ("--state", args.state.as_deref()),
        ("--mapping", args.mapping.as_deref()),
    ]
    .into_iter()
    .filter_map(|(what, path)| path.map(|p| (what.to_string(), p)))
    .collect();
    super::refuse_aliases(&files)?;
    let shape = match &args.mapping {
        Some(path) => {
            let text = crate::mapping::mapping_text(path)?;
            let file = crate::mapping::load_file(path)?;
            let layout = export::Layout::from_mapping(&file, &text)
                .with_context(|| format!("{}: cannot be used for an export", path.display()))?;
            let wanted = match entity {
                export::Entity::Activities => crate::mapping::Entity::Activity,
                export::Entity::Tasks => crate::mapping::Entity::Task,
                export::Entity::Users => crate::mapping::Entity::User,
                export::Entity::Contacts => crate::mapping::Entity::Contact,
            };
            if layout.mapping.entity != wanted {
                bail!(
                    "{}: maps rows to {}, and this export writes {}; give --entity to match, or another mapping",
                    path.display(),
                    layout.mapping.entity.name(),
                    entity.name()
                );
            }
            Shape::Mapping(Box::new(layout))
        }
        // Cards are the vCard mapping's rows: the columns a .vcf is read into.
        None if format == TableFormat::Vcard => {
            if entity != export::Entity::Contacts {
                bail!(
                    "--format vcf writes contacts; --entity {} has no cards",
                    entity.name()
                );
            }
            let text = crate::mapping::mapping_text(Path::new("vcard"))?;
            let file = crate::mapping::parse_file(&text)?;
            Shape::Mapping(Box::new(export::Layout::from_mapping(&file, &text)?))
        }
        None => Shape::Default {
            all: args.columns == ExportColumns::All,
        },
    };
    let id_column = match &shape {
        Shape::Default { .. } => Some("Contact ID".to_string()),
        Shape::Mapping(layout) => {
            let m = &layout.mapping;
            m.id_column().map(|i| m.columns[i].clone())
        }
    };
    if args.merge.is_some() && id_column.is_none() && format != TableFormat::JsonLines {
        bail!(
            "--merge: the mapping has no column for the contact id; add `id = \"Contact ID\"` under [fields]"
        );
    }
    let filters = filters(&args);
    let state_filters = filters.clone();
    let state = match &args.state {
        Some(path) => State::load(path)?,
        None => None,
    };
    if let Some(state) = &state {
        if state.filters != filters {
            bail!(
                "{}: the last run used other filters ({}); give the same ones, or delete the state file to start over",
                args.state.as_deref().unwrap_or(Path::new("")).display(),
                shown(&state.filters)
            );
        }
    }
    let mut query = ContactQuery {
        filters: filters.clone(),
        ..ContactQuery::default()
    };
    if let Some(since) = state.as_ref().and_then(State::since) {
        query.filters.push(since);
    }
    if let Some(q) = &args.q {
        query.search = Some(q.clone());
    }
    let interrupt = Interrupt::watch()?;
    let connection = crate::cli::connect::connect(&args.api)?;
    let client = &connection.client;
    let started = now();
    let options = export::Options {
        output: output.clone(),
        format,
        shape,
        query: query.clone(),
        per_page: args.page_size,
        concurrency: args.concurrency,
        table: TableOptions {
            neutralize_formulas: !args.keep_formulas,
            sheet: {
                let name = entity.name();
                name[..1].to_uppercase() + &name[1..]
            },
        },
        quiet: args.quiet,
        already_exported: state
            .as_ref()
            .map(State::exported_at_boundary)
            .unwrap_or_default(),
        interrupt: Some(interrupt.clone()),
    };
    let exported = match entity {
        export::Entity::Contacts => export::run(client, &options),
        other => export::entities::run(client, other, &options),
    }?;
    let export::Exported { summary, file } = exported;
    let (Some(output), Some(file)) = (output, file) else {
        return Ok(ExitCode::SUCCESS);
    };
    // Nothing visible changes until the whole run has succeeded: the output, its manifest,
    // the merged snapshot and its manifest, and the state are each written aside, then put
    // in place in that order, the state last (a run stopped between two of them is caught
    // up by the next, which starts from the old state).
    let manifest = Manifest {
        entity: entity.name(),
        file: output.display().to_string(),
        format: format_name(format).to_string(),
        filters: query
            .filters
            .iter()
            .cloned()
            .chain(query.search.iter().map(|q| ("q".to_string(), q.clone())))
            .collect(),
        rows: summary.rows,
        columns: summary.columns,
        sha256: export::sha256_file(file.staged_path())?,
        bytes: std::fs::metadata(file.staged_path())?.len(),
        started: started.clone(),
        finished: now(),
        watermark: summary.watermark.clone(),
        summary: summary.clone(),
        bcetl: env!("CARGO_PKG_VERSION"),
    };
    let manifest_file = manifest.stage(&output)?;
    let manifest_path = manifest_file.path().to_path_buf();
    let mut lines = vec![format!(
        "{} {} → {} ({:.1} s, {} requests, {} retries, {} rate-limited)",
        summary.rows,
        entity.name(),
        output.display(),
        summary.seconds,
        summary.requests,
        summary.retries,
        summary.rate_limited
    )];
    if summary.fetch.passes > 1 {
        lines.push(format!(
            "the listing changed while it was read: totalcount {} at the start, {} at the end; {} pass(es), {} contact(s) found by re-reading, {} read twice and skipped{}",
            opt(summary.fetch.first_total),
            opt(summary.fetch.last_total),
            summary.fetch.passes,
            summary.fetch.found_by_rereading,
            summary.fetch.duplicates_skipped,
            if summary.fetch.still_drifting { "; it was still changing: run again for a settled copy" } else { "" }
        ));
    }
    for (list, n) in &summary.left_out {
        lines.push(format!(
            "{n} {list} value(s) had no column in this layout and are not in the file (JSON lines keep everything)"
        ));
    }
    if summary.unchanged_skipped > 0 {
        lines.push(format!(
            "{} contact(s) at the last run's watermark were unchanged and skipped",
            summary.unchanged_skipped
        ));
    }
    let mut snapshot_files = Vec::new();
    if let Some(snapshot) = &args.merge {
        let mut sweep = ContactQuery {
            filters: filters.clone(),
            ..ContactQuery::default()
        };
        sweep.search = args.q.clone();
        let live = export::live_ids(client, &sweep, args.page_size, args.concurrency, args.quiet)?;
        let changes = export::incremental::Changes {
            path: file.staged_path(),
            header: &summary.header,
            rows: summary.rows,
        };
        let (merged_file, merged) = export::incremental::merge(
            snapshot,
            changes,
            snapshot_format(snapshot, format)?,
            id_column.as_deref(),
            &live,
            options.table.clone(),
        )?;
        let snapshot_manifest = Manifest {
            file: snapshot.display().to_string(),
            filters: filters
                .iter()
                .cloned()
                .chain(args.q.iter().map(|q| ("q".to_string(), q.clone())))
                .collect(),
            rows: merged.rows,
            columns: if summary.header.is_empty() {
                0
            } else {
                merged.columns
            },
            sha256: export::sha256_file(merged_file.staged_path())?,
            bytes: std::fs::metadata(merged_file.staged_path())?.len(),
            ..manifest.clone()
        };
        lines.push(format!(
            "{}: {} rows ({} replaced, {} added, {} deleted contact(s) dropped)",
            snapshot.display(),
            merged.rows,
            merged.replaced,
            merged.added,
            merged.dropped
        ));
        snapshot_files.push(merged_file);
        snapshot_files.push(snapshot_manifest.stage(snapshot)?);
    }
    let state_file = match &args.state {
        Some(path) => {
            let previous = state.unwrap_or_default();
            // A run that exported nothing keeps the last watermark and its boundary.
            let (watermark, boundary) = match &summary.watermark {
                Some(w) => (Some(w.clone()), summary.boundary.clone()),
                None => (previous.watermark.clone(), previous.boundary.clone()),
            };
            let state = State {
                version: 1,
                watermark,
                boundary,
                filters: state_filters,
                last_run: now(),
                last_output: output.display().to_string(),
            };
            Some(state.stage(path)?)
        }
        None => None,
    };
    for staged in [file, manifest_file]
        .into_iter()
        .chain(snapshot_files)
        .chain(state_file)
    {
        staged.commit()?;
    }
    lines.push(format!("manifest: {}", manifest_path.display()));
    if !args.quiet {
        for line in lines {
            note!("{line}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The ten documented date filters and their values, in the documentation's order.
fn filters(args: &ExportArgs) -> Vec<(String, String)> {
    [
        ("updated", &args.updated),
        ("updated_lt", &args.updated_lt),
        ("updated_gt", &args.updated_gt),
        ("updated_lte", &args.updated_lte),
        ("updated_gte", &args.updated_gte),
        ("created", &args.created),
        ("created_lt", &args.created_lt),
        ("created_gt", &args.created_gt),
        ("created_lte", &args.created_lte),
        ("created_gte", &args.created_gte),
    ]
    .into_iter()
    .filter_map(|(name, value)| value.as_ref().map(|v| (name.to_string(), v.clone())))
    .collect()
}

/// The snapshot's format, by its own extension.
fn snapshot_format(snapshot: &Path, output: TableFormat) -> Result<TableFormat> {
    let format = TableFormat::from_path(snapshot).unwrap_or(output);
    anyhow::ensure!(
        format == output,
        "--merge {}: a {} snapshot cannot take {} changes; give a snapshot of the output's format",
        snapshot.display(),
        format_name(format),
        format_name(output)
    );
    Ok(format)
}

/// A format as `--format` names it.
fn format_name(format: TableFormat) -> &'static str {
    match format {
        TableFormat::Csv => "csv",
        TableFormat::Xlsx => "xlsx",
        TableFormat::JsonLines => "jsonl",
        TableFormat::Vcard => "vcf",
    }
}

fn shown(filters: &[(String, String)]) -> String {
    if filters.is_empty() {
        return "none".into();
    }
    filters
        .iter()
        .map(|(k, v)| format!("--{} {v}", k.replace('_', "-")))
        .collect::<Vec<_>>()
        .join(" ")
}

fn opt(n: Option<u64>) -> String {
    n.map_or("?".into(), |n| n.to_string())
}

fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}
