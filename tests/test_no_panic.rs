//! Whatever bytes a file holds, reading and checking it never panics: each run ends with
//! rows and findings, or with an error that names the file; whatever a mapping file says, it
//! compiles or its problems are explained (property tests).
//!
//! The bytes are biased towards what breaks CSV readers: delimiters, quotes, line breaks of
//! every kind, byte order marks, bytes that are not UTF-8, spreadsheet error words.

use bcetl::mapping::{infer_mapping, parse_file, Mapping};
use bcetl::read::{open, ReadOptions};
use proptest::prelude::*;

const MAPPING: &str = r#"
[fields]
first_name = { column = "A", case = "title" }
last_name = { column = "B", default = "Unknown" }
date_of_birth = { column = "C", date = ["%d.%m.%Y"] }
gender = "D"
[[emails]]
column = "E"
[[phones]]
column = "C"
phone = "us"
[tags]
column = "D"
"#;

/// A piece of a hostile file.
fn piece() -> impl Strategy<Value = Vec<u8>> {
    let known: Vec<&'static [u8]> = vec![
        b",",
        b";",
        b"\t",
        b"\"",
        b"\"\"",
        b"\n",
        b"\r\n",
        b"\r",
        b"\xef\xbb\xbf",
        b"\xff\xfe",
        b"\xfe\xff",
        b"\xc3",
        b"\xe9",
        "é".as_bytes(),
        b"#N/A",
        b"ada@example.com",
        b"30.12.1934",
        b"A,B,C,D,E\n",
        b" ",
    ];
    prop_oneof![
        8 => prop::sample::select(known).prop_map(<[u8]>::to_vec),
        1 => "[a-zA-Z0-9]{1,6}".prop_map(String::into_bytes),
        1 => proptest::collection::vec(any::<u8>(), 1..4),
    ]
}

fn options() -> impl Strategy<Value = ReadOptions> {
    (
        proptest::option::of(0usize..4),
        proptest::option::of(prop_oneof![Just(b','), Just(b';'), Just(b'\t'), Just(b'"')]),
        proptest::option::of(prop_oneof![
            Just("utf-8".to_string()),
            Just("windows-1252".to_string()),
            Just("utf-16".to_string()),
            Just("no-such-encoding".to_string()),
        ]),
    )
        .prop_map(|(header_row, delimiter, encoding)| ReadOptions {
            header_row,
            delimiter,
            encoding,
            ..ReadOptions::default()
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn any_bytes_read_and_map_without_panicking(
        pieces in proptest::collection::vec(piece(), 0..60),
        options in options(),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("in.csv");
        std::fs::write(&path, pieces.concat()).unwrap();
        let file = parse_file(MAPPING).unwrap();
        match open(&path, &options) {
            Err(e) => prop_assert!(e.to_string().contains("in.csv"), "{e}"),
            Ok(table) => {
                // The columns the mapping names may be missing: that is a mapping error,
                // reported, not a panic.
                let mapping = Mapping::compile(&file, Some(&table.headers)).ok();
                let headers = table.headers.clone();
                let mut last = 0;
                let mut sample = Vec::new();
                for row in table.rows {
                    match row {
                        Err(e) => {
                            prop_assert!(e.to_string().contains("in.csv"), "{e}");
                            break;
                        }
                        Ok(row) => {
                            prop_assert!(row.number > last, "row numbers go up");
                            last = row.number;
                            if let Some(mapping) = &mapping {
                                let mapped = mapping.apply(&row);
                                prop_assert_eq!(mapped.row, row.number);
                                serde_json::to_string(&mapped.contact).unwrap();
                            }
                            sample.push(row.to_vec());
                        }
                    }
                }
                // `mapping init` on the same headers and rows writes a mapping that parses
                // and that `mapping check` accepts against the file.
                let guessed = infer_mapping(&headers, &sample, "in.csv");
                let parsed = parse_file(&guessed);
                prop_assert!(parsed.is_ok(), "{guessed}");
                let compiled = Mapping::compile(&parsed.unwrap(), Some(&headers));
                prop_assert!(compiled.is_ok(), "{:?}\n{guessed}", compiled.err());
            }
        }
    }
}

/// A mapping file from sections of keys and values, valid or not (unknown sections, fields
/// and transforms, templates with stray braces, bad date formats, wrong types).
fn mapping_text() -> impl Strategy<Value = String> {
    let section = prop::sample::select(vec![
        "[fields]",
        "[source]",
        "[[emails]]",
        "[[phones]]",
        "[[addresses]]",
        "[[im_services]]",
        "[[social_media]]",
        "[tags]",
        "[interests]",
        "[[categories]]",
        "[custom_fields]",
        "[spouse]",
        "[business]",
        "[family]",
        "[[notes]]",
        "[nonsense]",
    ]);
    let key = prop::sample::select(vec![
        "first_name",
        "last_name",
        "date_of_birth",
        "gender",
        "abcd",
        "email_opt_out",
        "column",
        "type",
        "is_office",
        "phone",
        "split",
        "count",
        "relation",
        "name",
        "address",
        "city",
        "postal_code",
        "header_row",
        "delimiter",
        "encoding",
        "sheet",
        "\"A\"",
        "no_such_field",
        "note",
        "subject",
    ]);
    let value = prop::sample::select(vec![
        "\"A\"",
        "\"B\"",
        "\"Child {n} Name\"",
        "\"missing\"",
        "\"\"",
        "0",
        "3",
        "-1",
        "true",
        "\"M\"",
        "\"X\"",
        "\";\"",
        "\"tab\"",
        "\"us\"",
        "\"utf-16\"",
        "\"Skype\"",
        "{ column = \"A\", date = [\"%d.%m.%Y\", \"%Q\"] }",
        "{ template = \"{A} {B}\" }",
        "{ template = \"{\" }",
        "{ template = \"{C}}\" }",
        "{ value = \"yes\" }",
        "{ column = \"B\", map = { Gold = \"A\" }, case = \"title\" }",
        "{ column = \"A\", bool = [\"Y\"] }",
        "{ column = \"A\", phone = \"fax\" }",
        "[\"x\", 1]",
        "{ }",
    ]);
    let top = prop::sample::select(vec![
        "",
        "entity = \"contact\"",
        "entity = \"task\"",
        "unmapped_columns = \"custom_fields\"",
    ]);
    let body = proptest::collection::vec((key, value), 0..5);
    (top, proptest::collection::vec((section, body), 0..7)).prop_map(|(top, sections)| {
        let mut text = format!("{top}\n");
        let mut seen_tables = Vec::new();
        for (section, body) in sections {
            // A plain table twice is a TOML error: keep the first.
            if !section.starts_with("[[") {
                if seen_tables.contains(&section) {
                    continue;
                }
                seen_tables.push(section);
            }
            text.push_str(section);
            text.push('\n');
            let mut keys = Vec::new();
            for (key, value) in body {
                if !keys.contains(&key) {
                    keys.push(key);
                    text.push_str(&format!("{key} = {value}\n"));
                }
            }
        }
        text
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn any_mapping_compiles_or_explains_without_panicking(
        text in mapping_text(),
        cells in proptest::collection::vec("[a-z0-9 ;./-]{0,8}", 3),
    ) {
        let Ok(file) = parse_file(&text) else {
            return Ok(());
        };
        let headers: Vec<String> = ["A", "B", "Child 1 Name"].map(String::from).to_vec();
        for against in [Some(&headers[..]), None] {
            match Mapping::compile(&file, against) {
                Err(problems) => prop_assert!(!problems.0.is_empty()),
                Ok(mapping) => {
                    let row = bcetl::read::Row::new(2, cells.clone());
                    let mapped = mapping.apply(&row);
                    let back = mapping.reverse(&mapped.contact);
                    prop_assert_eq!(back.len(), mapping.columns.len());
                }
            }
        }
    }
}
