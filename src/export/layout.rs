//! What an export's rows look like: the columns of a mapping run in reverse, or the default
//! layout (`mappings/default-layout.toml`, built in) with one column per custom field found.

use anyhow::{anyhow, Result};

use crate::mapping::{parse_file, LeftOut, Mapping, MappingFile, CUSTOM_SUFFIX};
use crate::schema::Contact;

/// The default layout's mapping, as shipped in `mappings/`: the file that reads an export
/// back in is the one that wrote it.
pub const DEFAULT_LAYOUT: &str = include_str!("../../mappings/default-layout.toml");

/// Read-only columns `--columns all` adds after the layout's own.
pub const EXTRA_COLUMNS: [&str; 4] = ["Created", "Updated", "Active", "Groups"];

/// Rows of an export: the mapping that writes them and whether the extra columns follow.
#[derive(Clone)]
pub struct Layout {
    pub mapping: Mapping,
    /// The mapping as written, to add a column per custom field once the contacts are known.
    file: MappingFile,
    extras: bool,
}

impl Layout {
    /// The default layout, with a column for each custom field in `custom_fields` (those
    /// named like one of the layout's own columns get " (custom)" added).
    pub fn default_layout<'a>(
        custom_fields: impl IntoIterator<Item = &'a String>,
        all_columns: bool,
    ) -> Result<Layout> {
        Layout::from_mapping(&default_file(), DEFAULT_LAYOUT)
            .map_err(|p| anyhow!("the built-in default layout: {p}"))?
            .with_custom_fields(custom_fields, all_columns)
    }

    /// A user's mapping file, its columns in the order the file names them (`text` is the
    /// file's TOML).
    pub fn from_mapping(file: &MappingFile, text: &str) -> Result<Layout> {
        let mut columns = Mapping::compile(file, None)
            .map_err(|p| anyhow!("{p}"))?
            .columns;
        columns.sort_by_key(|c| file_order(text, c));
        let mapping = Mapping::compile(file, Some(&columns)).map_err(|p| anyhow!("{p}"))?;
        Ok(Layout {
            mapping,
            file: file.clone(),
            extras: false,
        })
    }

    /// The layout with a column for each custom field in `custom_fields` that the mapping
    /// does not map by name, when the mapping reads unmapped columns as custom fields
    /// (`unmapped_columns = "custom_fields"`): the reverse of that rule, after the mapping's
    /// own columns, in the order given. A name that is already a column (or one the mapping
    /// ignores) gets " (custom)" added, which the import takes off again. `all_columns`
    /// adds the read-only [`EXTRA_COLUMNS`] last.
    pub fn with_custom_fields<'a>(
        self,
        custom_fields: impl IntoIterator<Item = &'a String>,
        all_columns: bool,
    ) -> Result<Layout> {
        let mut columns = self.mapping.columns.clone();
        if self.file.unmapped_columns.as_deref() == Some("custom_fields") {
            let mapped = |name: &str| {
                self.file
                    .custom_fields
                    .keys()
                    .any(|k| k.eq_ignore_ascii_case(name))
            };
            let ignored = |name: &str| {
                self.file
                    .ignore_columns
                    .iter()
                    .any(|i| i.eq_ignore_ascii_case(name))
                    || (all_columns && EXTRA_COLUMNS.iter().any(|e| e.eq_ignore_ascii_case(name)))
            };
            for name in custom_fields {
                if mapped(name) {
                    continue;
                }
                let taken = |n: &str| columns.iter().any(|c| c.eq_ignore_ascii_case(n));
                let column = if taken(name) || ignored(name) {
                    format!("{name}{CUSTOM_SUFFIX}")
                } else {
                    name.clone()
                };
                if !taken(&column) {
                    columns.push(column);
                }
            }
        }
        if all_columns {
            columns.extend(EXTRA_COLUMNS.iter().map(|c| c.to_string()));
        }
        let mapping = Mapping::compile(&self.file, Some(&columns)).map_err(|p| anyhow!("{p}"))?;
        Ok(Layout {
            mapping,
            extras: all_columns,
            ..self
        })
    }

    pub fn columns(&self) -> &[String] {
        &self.mapping.columns
    }

    /// A contact's cells; values without a column are counted in `left_out`.
    pub fn cells(&self, contact: &Contact, left_out: &mut LeftOut) -> Vec<String> {
        let mut cells = self.mapping.reverse_counting(&contact.to_input(), left_out);
        if self.extras {
            let n = cells.len();
            let text = |s: &Option<String>| s.clone().unwrap_or_default();
            cells[n - 4] = text(&contact.created);
            cells[n - 3] = text(&contact.updated);
            cells[n - 2] = contact
                .is_active
                .map(|a| if a { "yes" } else { "no" }.to_string())
                .unwrap_or_default();
            cells[n - 1] = contact
                .groups
                .iter()
                .map(|g| g.name.as_str())
                .collect::<Vec<_>>()
                .join("; ");
        }
        cells
    }
}

/// Where a column stands in a mapping file's `text`: where the file names it first, the
/// columns of a repeated group (`Child {n} Name`) member after member.
fn file_order(text: &str, column: &str) -> (usize, usize, usize) {
    let at = |needle: &str| text.find(needle).unwrap_or(usize::MAX);
    if let Some(found) = text.find(&format!("\"{column}\"")) {
        return (found, 0, 0);
    }
    // A family column: its number put back as {n} finds its template.
    let words: Vec<&str> = column.split(' ').collect();
    for (i, word) in words.iter().enumerate() {
        if let Ok(n) = word.parse::<usize>() {
            let mut template = words.clone();
            template[i] = "{n}";
            let found = at(&format!("\"{}\"", template.join(" ")));
            if found != usize::MAX {
                return (at("[family]"), n, found);
            }
        }
    }
    (usize::MAX, 0, 0)
}

fn default_file() -> MappingFile {
    parse_file(DEFAULT_LAYOUT).expect("the built-in default layout parses (a test checks it)")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn custom_fields_get_their_own_columns_without_clashing() {
        let names = ["Blood Type".to_string(), "Nickname".to_string()];
        let layout = Layout::default_layout(&names, true).unwrap();
        let columns = layout.columns();
        assert_eq!(columns[0], "Contact ID");
        assert!(columns.contains(&"Blood Type".to_string()));
        assert!(columns.contains(&"Nickname (custom)".to_string()));
        assert_eq!(
            &columns[columns.len() - 4..],
            &EXTRA_COLUMNS.map(String::from)
        );
    }
}
