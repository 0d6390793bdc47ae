//! Mappings shipped with bcetl for the exports users bring (`--mapping google-contacts`),
//! built in so that they work without a file of one's own. Each is the file of the same
//! name in `mappings/`, where a user can copy it to edit.

use std::path::Path;

use anyhow::{Context, Result};

/// Name and text of each built-in mapping.
pub const PRESETS: &[(&str, &str)] = &[
    (
        "default-layout",
        include_str!("../../mappings/default-layout.toml"),
    ),
    (
        "google-contacts",
        include_str!("../../mappings/google-contacts.toml"),
    ),
    (
        "google-contacts-legacy",
        include_str!("../../mappings/google-contacts-legacy.toml"),
    ),
    ("outlook", include_str!("../../mappings/outlook.toml")),
    ("vcard", include_str!("../../mappings/vcard.toml")),
];

/// The text of a mapping: the file at `path`, or, when no such file exists and the path is
/// a bare name, the built-in mapping of that name (with or without `.toml`).
pub fn mapping_text(path: &Path) -> Result<String> {
    if !path.exists() && path.parent().is_none_or(|p| p.as_os_str().is_empty()) {
        let name = path.to_string_lossy();
        let name = name.strip_suffix(".toml").unwrap_or(&name);
        if let Some((_, text)) = PRESETS.iter().find(|(preset, _)| *preset == name) {
            return Ok(text.to_string());
        }
    }
    std::fs::read_to_string(path).with_context(|| {
        let names: Vec<&str> = PRESETS.iter().map(|(n, _)| *n).collect();
        format!(
            "{}: cannot read the mapping (the built-in ones are {})",
            path.display(),
            names.join(", ")
        )
    })
}

/// The product whose export a header row is, told by columns only its layout has: the
/// built-in mapping's name and the product's.
pub fn recognise(headers: &[String]) -> Option<(&'static str, &'static str)> {
    let has = |name: &str| headers.iter().any(|h| h.eq_ignore_ascii_case(name));
    let numbered = |suffix: &str| {
        headers.iter().any(|h| {
            h.strip_suffix(suffix)
                .and_then(|head| head.rsplit_once(' '))
                .is_some_and(|(_, n)| n.parse::<u32>().is_ok())
        })
    };
    if has("Given Name") && has("Family Name") && (has("Group Membership") || numbered(" - Type")) {
        return Some(("google-contacts-legacy", "Google Contacts (older layout)"));
    }
    if has("First Name")
        && has("Last Name")
        && (has("Labels") || has("File As"))
        && numbered(" - Label")
    {
        return Some(("google-contacts", "Google Contacts"));
    }
    if has("E-mail Address")
        && has("Job Title")
        && (has("Business Street") || has("Home Street") || has("Home Country/Region"))
    {
        return Some(("outlook", "Outlook"));
    }
    // The columns bcetl reads a .vcf into.
    if has("Formatted Name") && has("Given Name") && has("Phone 1 Type") {
        return Some(("vcard", "vCard"));
    }
    None
}

/// The built-in mapping for a recognised export, made this file's: a first comment naming
/// the product, and the columns blank in every sampled row that the mapping would send as
/// custom fields added to `ignore_columns` (named in a comment), so that none is created
/// empty. `None` when the header row is no known product's.
pub fn for_export(headers: &[String], rows: &[Vec<String>]) -> Option<String> {
    let (name, product) = recognise(headers)?;
    let (_, text) = PRESETS.iter().find(|(n, _)| *n == name)?;
    let mentioned = |column: &str| text.contains(&format!("\"{column}\""));
    let blank: Vec<&String> = headers
        .iter()
        .enumerate()
        .filter(|(i, h)| {
            !mentioned(h)
                && rows
                    .iter()
                    .all(|r| r.get(*i).is_none_or(|c| c.trim().is_empty()))
        })
        .map(|(_, h)| h)
        .collect();
    let quote = |s: &str| toml::Value::String(s.to_string()).to_string();
    let mut out = format!(
        "# Recognised as an export of {product}: the built-in mapping `{name}` (bcetl \
         import FILE --mapping {name}),\n# written here to edit.\n"
    );
    for line in text.lines() {
        match line.strip_prefix("ignore_columns = [") {
            Some(rest) if !blank.is_empty() => {
                let names: Vec<String> = blank.iter().map(|b| quote(b)).collect();
                out.push_str(&format!(
                    "# Blank in every row sampled, so left out: {}.\n",
                    blank
                        .iter()
                        .map(|b| b.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
                let rest = rest.trim_end_matches(']');
                out.push_str(&format!(
                    "ignore_columns = [{rest}, {}]\n",
                    names.join(", ")
                ));
            }
            _ => {
                out.push_str(line);
                out.push('\n');
            }
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_preset_compiles_and_is_found_by_name() {
        for (name, text) in PRESETS {
            let file = crate::mapping::parse_file(text).unwrap_or_else(|e| panic!("{name}: {e}"));
            crate::mapping::Mapping::compile(&file, None).unwrap_or_else(|p| panic!("{name}: {p}"));
            assert_eq!(mapping_text(Path::new(name)).unwrap(), *text);
            assert_eq!(
                mapping_text(Path::new(&format!("{name}.toml"))).unwrap(),
                *text
            );
        }
        let header = |file: &str| -> Vec<String> {
            let path = format!("{}/tests/data/formats/{file}", env!("CARGO_MANIFEST_DIR"));
            let text = std::fs::read_to_string(path).unwrap();
            text.lines()
                .next()
                .unwrap()
                .split(',')
                .map(|h| h.trim_matches('"').to_string())
                .collect()
        };
        assert_eq!(
            recognise(&header("google-contacts-current-header.csv"))
                .unwrap()
                .0,
            "google-contacts"
        );
        assert_eq!(
            recognise(&header("google-contacts-legacy-header.csv"))
                .unwrap()
                .0,
            "google-contacts-legacy"
        );
        assert_eq!(
            recognise(&header("outlook-header.csv")).unwrap().0,
            "outlook"
        );
        assert_eq!(
            recognise(&["First Name".into(), "Last Name".into(), "Email".into()]),
            None
        );
        let err = mapping_text(Path::new("no-such-preset")).unwrap_err();
        assert!(format!("{err:#}").contains("google-contacts"), "{err:#}");
    }
}
