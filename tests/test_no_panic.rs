//! Whatever bytes a file holds, reading and checking it never panics: each run ends with
//! rows and findings, or with an error that names the file (property test).
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
    prop_oneof![
        Just(b",".to_vec()),
        Just(b";".to_vec()),
        Just(b"\t".to_vec()),
        Just(b"\"".to_vec()),
        Just(b"\"\"".to_vec()),
        Just(b"\n".to_vec()),
        Just(b"\r\n".to_vec()),
        Just(b"\r".to_vec()),
        Just(b"\xef\xbb\xbf".to_vec()),
        Just(b"\xff\xfe".to_vec()),
        Just(b"\xfe\xff".to_vec()),
        Just(b"\xc3".to_vec()),
        Just(b"\xe9".to_vec()),
        Just("é".as_bytes().to_vec()),
        Just(b"#N/A".to_vec()),
        Just(b"ada@example.com".to_vec()),
        Just(b"30.12.1934".to_vec()),
        Just(b"A,B,C,D,E\n".to_vec()),
        Just(b" ".to_vec()),
        "[a-zA-Z0-9]{1,6}".prop_map(String::into_bytes),
        proptest::collection::vec(any::<u8>(), 1..4),
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
                // `mapping init` on the same headers writes a mapping that parses.
                let guessed = infer_mapping(&table.headers, "in.csv");
                prop_assert!(parse_file(&guessed).is_ok(), "{guessed}");
                // The columns the mapping names may be missing: that is a mapping error,
                // reported, not a panic.
                let mapping = Mapping::compile(&file, Some(&table.headers)).ok();
                let mut last = 0;
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
                        }
                    }
                }
            }
        }
    }
}
