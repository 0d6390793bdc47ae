//! JSON lines input: one object per line, its keys the columns, as bcetl writes an export
//! or a snapshot through a mapping (`--format jsonl`). Streamed a line at a time.
//!
//! The first object's keys name the columns, in its order; a later line with a key the
//! first did not have is a problem on that row (its value is ignored). Strings are read as
//! they are, numbers and yes/no as their text, null as blank, and a nested value as its JSON.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;

use anyhow::{bail, Context, Result};
use serde_json::{Map, Value};

use super::{name_headers, CellProblem, Row, Table};

pub fn open(path: &Path) -> Result<Table> {
    let shown = path.display().to_string();
    let file = File::open(path).with_context(|| format!("{shown}: cannot open"))?;
    let mut lines = BufReader::new(file).lines().enumerate();
    let named = shown.clone();
    let object = move |lines: &mut dyn Iterator<Item = (usize, std::io::Result<String>)>| {
        let shown = &named;
        for (n, line) in lines {
            let line = line.with_context(|| format!("{shown}: line {}: cannot read", n + 1))?;
            let line = line.trim_start_matches('\u{feff}');
            if line.trim().is_empty() {
                continue;
            }
            return match serde_json::from_str::<Value>(line) {
                Ok(Value::Object(o)) => Ok(Some((n + 1, Ok(o)))),
                Ok(_) => Ok(Some((n + 1, Err("not a JSON object".to_string())))),
                Err(e) => Ok(Some((n + 1, Err(format!("not JSON: {e}"))))),
            };
        }
        Ok::<_, anyhow::Error>(None)
    };
    let Some((first_line, first)) = object(&mut lines)? else {
        bail!("{shown}: the file is empty; expected one JSON object per line");
    };
    let first = match first {
        Ok(o) => o,
        Err(e) => bail!("{shown}: line {first_line}: {e}; expected one JSON object per line"),
    };
    let headers = name_headers(path, first_line, first.keys().cloned().collect())?;
    let keys: Vec<String> = first.keys().cloned().collect();
    let mut pending = Some((first_line, Ok(first)));
    let rows = std::iter::from_fn(move || {
        let (number, parsed) = match pending.take() {
            Some(next) => next,
            None => match object(&mut lines) {
                Ok(Some(next)) => next,
                Ok(None) => return None,
                Err(e) => return Some(Err(e)),
            },
        };
        Some(Ok(row(number, parsed, &keys)))
    });
    Ok(Table {
        path: path.to_path_buf(),
        headers,
        header_row: 0,
        description: "JSON lines".to_string(),
        rows: Box::new(rows),
    })
}

/// A line's object as cells in the order of `keys`.
fn row(number: usize, parsed: Result<Map<String, Value>, String>, keys: &[String]) -> Row {
    let mut row = Row::new(number, vec![String::new(); keys.len()]);
    let object = match parsed {
        Ok(o) => o,
        Err(message) => {
            row.problems.push(CellProblem {
                column: None,
                message: format!("{message}; expected a JSON object like the first line's"),
            });
            return row;
        }
    };
    let mut cells = vec![String::new(); keys.len()];
    for (key, value) in object {
        let Some(at) = keys.iter().position(|k| *k == key) else {
            row.problems.push(CellProblem {
                column: None,
                message: format!(
                    "key {key:?} is not among the first line's keys; its value is ignored"
                ),
            });
            continue;
        };
        cells[at] = match value {
            Value::Null => String::new(),
            Value::String(s) => s,
            Value::Bool(b) => b.to_string(),
            Value::Number(n) => n.to_string(),
            nested => nested.to_string(),
        };
    }
    row.record = csv::StringRecord::from(cells);
    row
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn objects_become_rows_under_the_first_lines_keys() {
        let mut file = tempfile::Builder::new()
            .suffix(".jsonl")
            .tempfile()
            .unwrap();
        file.write_all(
            b"{\"Name\":\"Ada\",\"Phone\":\"+44 1\",\"Age\":36}\n\n{\"Phone\":null,\"Name\":\"Bob\",\"Extra\":1}\n[1]\n",
        )
        .unwrap();
        let table = open(file.path()).unwrap();
        assert_eq!(table.headers, ["Name", "Phone", "Age"]);
        let rows: Vec<Row> = table.rows.map(Result::unwrap).collect();
        assert_eq!(rows[0].to_vec(), ["Ada", "+44 1", "36"]);
        assert_eq!(
            (rows[1].number, rows[1].to_vec()),
            (3, vec!["Bob".into(), String::new(), String::new()])
        );
        assert!(rows[1].problems[0].message.contains("\"Extra\""));
        assert_eq!(rows[2].number, 4);
        assert!(rows[2].problems[0].message.contains("not a JSON object"));
    }
}
