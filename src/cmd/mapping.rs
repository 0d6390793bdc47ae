//! `bcetl mapping init` and `bcetl mapping check`.

use std::path::Path;
use std::process::ExitCode;

use anyhow::{bail, Result};

use super::{read_options, same_file, write_output};
use crate::cli::ReadArgs;
use crate::mapping::{self, Mapping};
use crate::read;

pub fn init(file: &Path, output: Option<&Path>, force: bool, args: &ReadArgs) -> Result<ExitCode> {
    // A mapping is hand-edited after init: running init again must not wipe that work.
    if let Some(output) = output.filter(|o| o.exists()) {
        if same_file(output, file) {
            bail!(
                "--output {}: that is the input; choose another file name",
                output.display()
            );
        }
        if !force {
            bail!(
                "{}: already exists; give --force to replace it, or another --output",
                output.display()
            );
        }
    }
    let table = read::open(file, &read_options(Default::default(), args)?)?;
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    // A sample of the rows, streamed: a large file is never read whole.
    let mut rows = Vec::new();
    for row in table.rows.take(mapping::SAMPLE_ROWS) {
        rows.push(row?.to_vec());
    }
    let mut text = mapping::infer_mapping(&table.headers, &rows, &name);
    text.push_str(&source_section(args));
    write_output(output, &text)?;
    if let Some(output) = output {
        note!(
            "wrote {}; check it with: bcetl mapping check {} {}",
            output.display(),
            output.display(),
            file.display()
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// How the file was read, when the command line said: so that `validate` and `import` read
/// it the same way with this mapping alone.
fn source_section(args: &ReadArgs) -> String {
    use std::fmt::Write;
    let quote = |s: &str| toml::Value::String(s.to_string()).to_string();
    let mut lines = String::new();
    if let Some(sheet) = &args.sheet {
        let _ = writeln!(lines, "sheet = {}", quote(sheet));
    }
    if let Some(row) = args.header_row {
        let _ = writeln!(lines, "header_row = {row}");
    }
    if let Some(delimiter) = &args.delimiter {
        let _ = writeln!(lines, "delimiter = {}", quote(delimiter));
    }
    if let Some(encoding) = &args.encoding {
        let _ = writeln!(lines, "encoding = {}", quote(encoding));
    }
    if lines.is_empty() {
        return lines;
    }
    format!("\n# How the file is read (as given to mapping init).\n[source]\n{lines}")
}

pub fn check(mapping_path: &Path, file: Option<&Path>, args: &ReadArgs) -> Result<ExitCode> {
    let (mapping, remarks) = match file {
        Some(file) => {
            let (table, mapping) = super::open_with_mapping(file, mapping_path, args)?;
            let remarks = sample_remarks(table, &mapping)?;
            (mapping, remarks)
        }
        None => (Mapping::load(mapping_path, None)?, Vec::new()),
    };
    let against = file
        .map(|f| format!(" against {}", f.display()))
        .unwrap_or_default();
    say!(
        "{}: OK{against}: reads {} column(s)",
        mapping_path.display(),
        mapping.used_columns().len()
    );
    if !remarks.is_empty() {
        say!(
            "but in the first {} rows, values these rules will refuse (fix the mapping, a \
             `map`, or `on_invalid = \"blank\"`; bcetl validate lists every row):",
            mapping::SAMPLE_ROWS
        );
        for remark in remarks {
            say!("  warning: {remark}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// What a sample of the file's rows says the mapping will refuse: per column and rule, how
/// many rows and one example (the remarks `init` writes as comments, for a mapping written
/// or edited by hand).
fn sample_remarks(table: read::Table, mapping: &Mapping) -> Result<Vec<String>> {
    use std::collections::BTreeMap;
    let mut seen: BTreeMap<(String, &'static str), (usize, String)> = BTreeMap::new();
    for row in table.rows.take(mapping::SAMPLE_ROWS) {
        let row = row?;
        let mut mapped = mapping.apply(&row);
        crate::validate::check_record(mapping, &mut mapped);
        for f in mapped.findings {
            if f.severity != crate::finding::Severity::Error {
                continue;
            }
            let column = f.column.clone().unwrap_or_else(|| "(row)".into());
            let entry = seen.entry((column, f.rule)).or_insert((0, String::new()));
            entry.0 += 1;
            if entry.1.is_empty() {
                entry.1 = format!("row {}: {}", f.row, f.message);
            }
        }
    }
    Ok(seen
        .into_iter()
        .map(|((column, rule), (count, example))| {
            format!("column {column:?}: {count} row(s) fail {rule}, e.g. {example}")
        })
        .collect())
}
