//! Every kind of bad input gets one clear message naming the file (and the row and column
//! where there is one), a non-zero exit, and no panic.
//!
//! Whole-file problems stop the run with exit 2. Problems confined to one row or cell (bytes
//! that are not text, a ragged row, an open quote, an `#N/A` cell) are findings on that row:
//! the other rows are still checked, and the run exits 1.

mod util;

use util::Workdir;

const MAPPING: &str =
    "[fields]\nfirst_name = \"First\"\nlast_name = \"Last\"\n[[emails]]\ncolumn = \"Email\"\n";

fn validate(wd: &Workdir, input: &str) -> util::Run {
    wd.write("m.toml", MAPPING);
    wd.bcetl(&["validate", input, "-m", "m.toml", "--report", "r.csv"])
}

#[test]
fn missing_file() {
    let wd = Workdir::new();
    let run = validate(&wd, "nowhere.csv");
    run.fails_with(2, "nowhere.csv: no such file");
}

#[test]
fn empty_file() {
    let wd = Workdir::new();
    wd.write("in.csv", "");
    let run = validate(&wd, "in.csv");
    run.fails_with(2, "in.csv: the file is empty");
}

#[test]
fn header_only_file() {
    let wd = Workdir::new();
    wd.write("in.csv", "First,Last,Email\n");
    let run = validate(&wd, "in.csv");
    run.fails_with(2, "in.csv: the file has a header row but no data rows");
}

#[test]
fn duplicate_headers() {
    let wd = Workdir::new();
    wd.write("in.csv", "First,Last,Email,email\na,b,c@d.io,e\n");
    let run = validate(&wd, "in.csv");
    run.fails_with(
        2,
        "in.csv: row 1: duplicate column name \"email\" in columns C and D",
    );
}

#[test]
fn missing_sheet() {
    let wd = Workdir::new();
    let run = wd.bcetl(&[
        "validate",
        &util::repo_file("samples/leads.xlsx"),
        "-m",
        &util::repo_file("mappings/leads.toml"),
        "--sheet",
        "Contacts",
    ]);
    run.fails_with(
        2,
        "leads.xlsx: no sheet named \"Contacts\"; the sheets are: Read me, Leads",
    );
    let run = wd.bcetl(&[
        "validate",
        &util::repo_file("samples/leads.xlsx"),
        "-m",
        &util::repo_file("mappings/leads.toml"),
        "--sheet",
        "7",
    ]);
    run.fails_with(2, "no sheet 7: the workbook has 2");
}

#[test]
fn mapping_names_a_missing_column() {
    let wd = Workdir::new();
    wd.write("in.csv", "First Name,Last,E-mail\na,b,c@d.io\n");
    let run = validate(&wd, "in.csv");
    run.fails_with(2, "m.toml: 2 problem(s) with in.csv");
    assert!(run.stderr.contains("[fields] first_name: column \"First\" is not in the file; did you mean \"First Name\"?"), "{}", run.stderr);
    assert!(
        run.stderr.contains(
            "[[emails]] #1: column \"Email\" is not in the file; did you mean \"E-mail\"?"
        ),
        "{}",
        run.stderr
    );
}

#[test]
fn broken_toml() {
    let wd = Workdir::new();
    wd.write("in.csv", "First,Last,Email\na,b,c@d.io\n");
    wd.write(
        "broken.toml",
        "[fields]\nfirst_name = \"First\nlast_name = \"Last\"\n",
    );
    let run = wd.bcetl(&["validate", "in.csv", "-m", "broken.toml"]);
    run.fails_with(2, "broken.toml: not a valid mapping");
    assert!(
        run.stderr.contains("line 2"),
        "the TOML error names its line: {}",
        run.stderr
    );
}

#[test]
fn a_file_is_read_as_what_its_bytes_are_not_what_its_name_says() {
    let wd = Workdir::new();
    // Text named .xlsx is the CSV it is.
    wd.write("fake.xlsx", "First,Last\n");
    let run = validate(&wd, "fake.xlsx");
    run.fails_with(2, "fake.xlsx: the file has a header row but no data rows");
    // Binary bytes named .csv are refused, never read as text.
    let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    png.extend((0u8..=255).cycle().take(4000));
    wd.write("photo.csv", &png);
    let run = validate(&wd, "photo.csv");
    run.fails_with(
        2,
        "photo.csv: this is not text, nor an XLSX, XLS or ODS workbook",
    );
    let run = wd.bcetl(&["mapping", "init", "photo.csv", "-o", "init.toml"]);
    run.fails_with(2, "photo.csv: this is not text");
    assert!(
        !wd.path("init.toml").exists(),
        "no mapping from binary bytes"
    );
    // A workbook renamed .csv is read as the workbook it is.
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (c, text) in ["First", "Last", "Email"].iter().enumerate() {
        sheet.write_string(0, c as u16, *text).unwrap();
    }
    for (c, text) in ["Ada", "Lovelace", "ada@example.com"].iter().enumerate() {
        sheet.write_string(1, c as u16, *text).unwrap();
    }
    book.save(wd.path("book.csv")).unwrap();
    let run = validate(&wd, "book.csv");
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("1 valid"), "{}", run.stdout);
    // A zip that is no workbook is refused as a workbook.
    wd.write("archive.csv", b"PK\x03\x04 not really a zip");
    let run = validate(&wd, "archive.csv");
    run.fails_with(2, "archive.csv: cannot open as a workbook");
}

#[test]
fn a_directory_instead_of_a_file() {
    let wd = Workdir::new();
    std::fs::create_dir(wd.path("dir.csv")).unwrap();
    let run = validate(&wd, "dir.csv");
    run.fails_with(2, "dir.csv: is a folder");
}

#[test]
fn unknown_report_format() {
    let wd = Workdir::new();
    wd.write("m.toml", MAPPING);
    wd.write("in.csv", "First,Last,Email\na,b,c@d.io\n");
    let run = wd.bcetl(&["validate", "in.csv", "-m", "m.toml", "--report", "r.pdf"]);
    run.fails_with(2, "r.pdf: cannot write a report as \"pdf\"");
}

/// The findings of the CSV report as (row, column, rule).
fn findings(wd: &Workdir) -> Vec<(String, String, String)> {
    csv::Reader::from_reader(wd.read("r.csv").as_bytes())
        .records()
        .map(|r| {
            let r = r.unwrap();
            (r[0].to_string(), r[1].to_string(), r[4].to_string())
        })
        .collect()
}

#[test]
fn undecodable_bytes_are_a_finding_on_their_cell_and_other_rows_go_on() {
    let wd = Workdir::new();
    let mut bytes = b"First,Last,Email\n".to_vec();
    for i in 0..8000 {
        bytes.extend(format!("P{i},Q,p{i}@example.com\n").as_bytes());
    }
    bytes.extend(b"Jos\xe9,Lima,jose@example.com\nLast,Row,last@example.com\n");
    wd.write("in.csv", bytes);
    let run = validate(&wd, "in.csv");
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains("8002 rows, 8001 valid, 1 invalid"),
        "{}",
        run.stdout
    );
    assert_eq!(
        findings(&wd),
        vec![("8002".into(), "First".into(), "read".into())]
    );
    assert!(wd.read("r.csv").contains("--encoding windows-1252"));
}

#[test]
fn ragged_rows_are_warnings_on_their_row() {
    let wd = Workdir::new();
    wd.write(
        "in.csv",
        "First,Last,Email\nAda,Lovelace,ada@example.com,surplus\nAlan,Turing\n",
    );
    let run = validate(&wd, "in.csv");
    assert_eq!(run.code, 1, "the short row has no email: {}", run.stdout);
    let found = findings(&wd);
    assert!(
        found.contains(&("2".into(), "".into(), "read".into())),
        "{found:?}"
    );
    assert!(
        found.contains(&("3".into(), "".into(), "read".into())),
        "{found:?}"
    );
    assert!(
        found.contains(&("3".into(), "Email".into(), "required".into())),
        "{found:?}"
    );
}

#[test]
fn an_unclosed_quote_is_an_error_on_its_cell() {
    let wd = Workdir::new();
    let mut text = String::from("First,Last,Email\nAda,\"Lovelace,ada@example.com\n");
    for i in 0..150 {
        text.push_str(&format!("P{i},Q,p{i}@example.com\n"));
    }
    wd.write("in.csv", text);
    let run = validate(&wd, "in.csv");
    assert_eq!(run.code, 1);
    let found = findings(&wd);
    assert!(
        found.contains(&("2".into(), "Last".into(), "read".into())),
        "{found:?}"
    );
    assert!(wd.read("r.csv").contains("quote"));
}

#[test]
fn bad_flags_are_usage_errors() {
    let wd = Workdir::new();
    wd.write("m.toml", MAPPING);
    wd.write("in.csv", "First,Last,Email\na,b,c@d.io\n");
    let run = wd.bcetl(&["validate", "in.csv", "-m", "m.toml", "--delimiter", "::"]);
    run.fails_with(2, "--delimiter \"::\"");
    let run = wd.bcetl(&[
        "validate",
        "in.csv",
        "-m",
        "m.toml",
        "--encoding",
        "klingon",
    ]);
    run.fails_with(2, "in.csv: unknown encoding \"klingon\"");
    let run = wd.bcetl(&["validate", "in.csv"]);
    assert_eq!(run.code, 2, "clap's own usage errors exit 2 too");
}

#[test]
fn a_blank_header_row_in_a_workbook() {
    let wd = Workdir::new();
    let path = wd.path("in.xlsx");
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet
        .write_string(0, 0, "Contacts, exported today")
        .unwrap();
    sheet.write_string(2, 0, "Ada").unwrap();
    book.save(&path).unwrap();
    wd.write("m.toml", MAPPING);
    let run = wd.bcetl(&["validate", "in.xlsx", "-m", "m.toml", "--header-row", "2"]);
    run.fails_with(
        2,
        "in.xlsx: sheet \"Sheet1\": row 2 is blank; expected the column names",
    );
}

/// A workbook whose sheet breaks at row 300: a cell pointing past the shared-strings table.
fn workbook_broken_at_row_300(wd: &Workdir) -> std::path::PathBuf {
    use std::io::{Read, Write};
    let good = wd.path("good.xlsx");
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (c, name) in ["First", "Last", "Email"].iter().enumerate() {
        sheet.write_string(0, c as u16, *name).unwrap();
    }
    for r in 1..500u32 {
        sheet.write_string(r, 0, format!("F{r}")).unwrap();
        sheet.write_string(r, 1, format!("L{r}")).unwrap();
        sheet
            .write_string(r, 2, format!("p{r}@example.com"))
            .unwrap();
    }
    book.save(&good).unwrap();
    let mut archive = zip::ZipArchive::new(std::fs::File::open(&good).unwrap()).unwrap();
    let broken = wd.path("broken.xlsx");
    let mut out = zip::ZipWriter::new(std::fs::File::create(&broken).unwrap());
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).unwrap();
        let name = entry.name().unwrap().to_string();
        let mut bytes = Vec::new();
        entry.read_to_end(&mut bytes).unwrap();
        if name == "xl/worksheets/sheet1.xml" {
            let xml = String::from_utf8(bytes).unwrap();
            let xml = xml.replacen(
                "<row r=\"300\"",
                "<row r=\"300\"><c r=\"D300\" t=\"s\"><v>999999</v></c></row><row r=\"300\"",
                1,
            );
            assert!(xml.contains("999999"), "the sheet was changed");
            bytes = xml.into_bytes();
        }
        out.start_file(name, zip::write::SimpleFileOptions::default())
            .unwrap();
        out.write_all(&bytes).unwrap();
    }
    out.finish().unwrap();
    broken
}

#[test]
fn a_sheet_that_breaks_halfway_stops_the_run_and_keeps_the_old_reports() {
    let wd = Workdir::new();
    let broken = workbook_broken_at_row_300(&wd);
    wd.write("m.toml", MAPPING);
    wd.write("r.xlsx", "the report of an earlier run");
    wd.write("e.jsonl", "the bodies of an earlier run");
    let run = wd.bcetl(&[
        "validate",
        broken.to_str().unwrap(),
        "-m",
        "m.toml",
        "--report",
        "r.xlsx",
        "--emit",
        "e.jsonl",
    ]);
    run.fails_with(
        2,
        "broken.xlsx: sheet \"Sheet1\": cannot read the cells after row",
    );
    assert_eq!(wd.read("r.xlsx"), "the report of an earlier run");
    assert_eq!(wd.read("e.jsonl"), "the bodies of an earlier run");
    let leftovers: Vec<_> = std::fs::read_dir(wd.path("."))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(leftovers.is_empty(), "half-written files: {leftovers:?}");
}

#[test]
fn too_many_columns_for_an_xlsx_report() {
    let wd = Workdir::new();
    let mut header = String::from("First,Last,Email");
    for i in 0..16_400 {
        header.push_str(&format!(",C{i}"));
    }
    wd.write(
        "wide.csv",
        format!("{header}\nAda,Lovelace,ada@example.com\n"),
    );
    wd.write("m.toml", MAPPING);
    let run = wd.bcetl(&["validate", "wide.csv", "-m", "m.toml", "--report", "r.xlsx"]);
    run.fails_with(
        2,
        "r.xlsx: the input has 16403 columns, and an XLSX report holds 16382 beside its \
             Row and Problems columns; write a .csv report instead",
    );
    let run = wd.bcetl(&["validate", "wide.csv", "-m", "m.toml", "--report", "r.csv"]);
    assert_eq!(
        run.code, 0,
        "a .csv report has no such limit: {}",
        run.stderr
    );
}

#[test]
fn outputs_that_would_replace_the_input_or_each_other() {
    let wd = Workdir::new();
    wd.write("in.csv", "First,Last,Email\nAda,Lovelace,ada@example.com\n");
    wd.write("m.toml", MAPPING);
    for (args, says) in [
        (
            &["--report", "in.csv"][..],
            "--report in.csv: that is the input; choose another file name",
        ),
        (
            &["--emit", "./m.toml"][..],
            "--emit ./m.toml: that is the mapping; choose another file name",
        ),
        (
            &["--report", "out.csv", "--emit", "out.csv"][..],
            "--report and --emit name the same file out.csv",
        ),
    ] {
        let mut all = vec!["validate", "in.csv", "-m", "m.toml"];
        all.extend_from_slice(args);
        let run = wd.bcetl(&all);
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        assert!(run.stderr.contains(says), "{args:?}: {}", run.stderr);
    }
    assert_eq!(
        wd.read("in.csv"),
        "First,Last,Email\nAda,Lovelace,ada@example.com\n",
        "the input is untouched"
    );
}

#[test]
fn a_closed_or_full_standard_output_never_panics() {
    let wd = Workdir::new();
    wd.write("in.csv", "First,Last,Email\nAda,Lovelace,ada@example.com\n");
    let bin = env!("CARGO_BIN_EXE_bcetl");
    let shell = |script: &str| {
        let out = std::process::Command::new("bash")
            .args(["-c", script])
            .current_dir(wd.path(""))
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    for command in ["mapping init in.csv", "validate in.csv -m m.toml"] {
        wd.write("m.toml", MAPPING);
        let (code, stderr) = shell(&format!(
            "'{bin}' {command} | true; exit ${{PIPESTATUS[0]}}"
        ));
        assert_eq!(code, Some(0), "{command} | true: {stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
        let (code, stderr) = shell(&format!("'{bin}' {command} > /dev/full"));
        assert_eq!(code, Some(2), "{command} > /dev/full: {stderr}");
        assert!(
            stderr.contains("cannot write to standard output"),
            "{stderr}"
        );
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
    // Standard error full or closed: the exit code alone says what happened, no panic
    // (which would exit 101).
    for (command, expected) in [
        ("validate in.csv -m m.toml", 0),
        ("validate missing.csv -m m.toml", 2),
        ("mapping init in.csv -o init.toml --force", 0),
    ] {
        for redirect in ["2>/dev/full", "2>&-"] {
            let (code, _) = shell(&format!("'{bin}' {command} {redirect} >/dev/null"));
            assert_eq!(code, Some(expected), "{command} {redirect}");
        }
    }
}

#[test]
fn numeric_flags_out_of_range_and_a_password_in_the_url_are_refused_plainly() {
    let wd = Workdir::new();
    for rate in ["-5", "0", "inf", "1e308", "NaN", "20000"] {
        let run = wd.bcetl(&["export", "x.csv", "--sandbox", "--rate", rate]);
        run.fails_with(2, "give more than 0 and at most 10000 requests per second");
    }
    let run = wd.bcetl(&["export", "x.csv", "--sandbox", "--burst", "0"]);
    run.fails_with(2, "--burst");
    for url in [
        "https://jane:s3cret@app.bigcontacts.com",
        "http://jane:s3cret@127.0.0.1:9",
    ] {
        let run = wd.bcetl(&["whoami", "--base-url", url]);
        run.fails_with(2, "remove the user name and password");
        assert!(!run.stderr.contains("s3cret"), "{}", run.stderr);
    }
    let help = std::process::Command::new(env!("CARGO_BIN_EXE_bcetl"))
        .args(["export", "--help"])
        .env("BIGCONTACTS_URL", "https://jane:s3cret@app.bigcontacts.com")
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&help.stdout).contains("s3cret"));
    assert!(!wd.path("x.csv").exists());
}

#[test]
fn outputs_that_alias_an_input_or_each_other_are_refused_before_anything_is_written() {
    let wd = Workdir::new();
    wd.write("snap.csv", "Contact ID,First Name\n1,Ada\n2,Bob\n");
    wd.write("m.toml", MAPPING);
    wd.write("s.json", "{}");
    let cases: &[(&[&str], &str)] = &[
        (
            &[
                "export", "snap.csv", "--merge", "snap.csv", "--state", "s.json",
            ],
            "the output and --merge are the same file",
        ),
        (
            &[
                "export",
                "./snap.csv",
                "--merge",
                "snap.csv",
                "--state",
                "s.json",
            ],
            "the same file",
        ),
        (
            &[
                "export", "out.csv", "--merge", "snap.csv", "--state", "snap.csv",
            ],
            "--merge and --state are the same file",
        ),
        (
            &["export", "out.csv", "--state", "out.csv.manifest.json"],
            "the output's manifest and --state",
        ),
        (
            &["export", "m.toml", "--format", "csv", "--mapping", "m.toml"],
            "the output and --mapping",
        ),
    ];
    for (args, message) in cases {
        let mut args = args.to_vec();
        args.push("--sandbox");
        let run = wd.bcetl(&args);
        run.fails_with(2, message);
    }
    assert_eq!(wd.read("snap.csv"), "Contact ID,First Name\n1,Ada\n2,Bob\n");
    assert_eq!(wd.read("m.toml"), MAPPING);
    assert!(!wd.path("out.csv").exists());

    // An --out folder with someone else's outputs and no journal.
    std::fs::create_dir(wd.path("theirs")).unwrap();
    wd.write("theirs/success.csv", "row,action\n2,created\n");
    wd.write("in.csv", "First,Last,Email\nAda,Lovelace,ada@example.com\n");
    let run = wd.bcetl(&[
        "import",
        "in.csv",
        "-m",
        "m.toml",
        "--out",
        "theirs",
        "--sandbox",
    ]);
    run.fails_with(2, "holds success.csv but no journal");
    assert_eq!(wd.read("theirs/success.csv"), "row,action\n2,created\n");
}

#[test]
fn control_characters_huge_cells_and_unlikely_birth_dates_are_findings_on_their_cells() {
    let wd = Workdir::new();
    let mapping = "[fields]\nfirst_name = \"First\"\nlast_name = \"Last\"\ndate_of_birth = \"DOB\"\n[[emails]]\ncolumn = \"Email\"\n";
    wd.write("m.toml", mapping);
    let mut text = b"First,Last,Email,DOB\n".to_vec();
    text.extend(b"Nul\0l,Byte,nul@example.com,1980-01-01\n");
    text.extend(format!("Huge,{},huge@example.com,1980-01-01\n", "x".repeat(70_000)).as_bytes());
    text.extend(b"Old,Date,old@example.com,0001-01-01\n");
    text.extend(b"Future,Date,future@example.com,2999-01-01\n");
    text.extend(b"Fine,Row,fine@example.com,1980-01-01\n");
    wd.write("in.csv", &text);
    let run = wd.bcetl(&["validate", "in.csv", "-m", "m.toml", "--report", "r.csv"]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout
            .contains("5 rows, 3 valid, 2 invalid, 2 with warnings"),
        "{}",
        run.stdout
    );
    let report = wd.read("r.csv");
    assert!(
        report.contains("2,First,") && report.contains("control character U+0000"),
        "{report}"
    );
    assert!(
        report.contains("3,Last,") && report.contains("a cell holds at most 65536"),
        "{report}"
    );
    assert!(
        report.contains("4,DOB,date_of_birth,0001-01-01,date_of_birth_range,warning"),
        "{report}"
    );
    assert!(
        report.contains("5,DOB,date_of_birth,2999-01-01,date_of_birth_range,warning"),
        "{report}"
    );

    // A mapping that reads no column is a configuration error, not a file of bad rows.
    wd.write("empty.toml", "# everything commented out\n# [fields]\n");
    let run = wd.bcetl(&["validate", "in.csv", "-m", "empty.toml"]);
    run.fails_with(2, "it maps no column to any field");
}
