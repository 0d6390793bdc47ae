//! `bcetl validate` on the bundled samples and small inline files.

mod util;

use util::{repo_file, Workdir};

const MAPPING: &str = r#"
[fields]
first_name = "First"
last_name = "Last"
date_of_birth = { column = "DOB", date = "%m/%d/%Y" }
[[emails]]
column = "Email"
"#;

/// The part of an XLSX file that holds its cell notes.
fn notes_xml(path: &std::path::Path) -> String {
    zip_part(path, "xl/comments1.xml")
}

/// One part of an XLSX file, as text.
fn zip_part(path: &std::path::Path, name: &str) -> String {
    let mut archive = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
    let mut text = String::new();
    std::io::Read::read_to_string(&mut archive.by_name(name).unwrap(), &mut text).unwrap();
    text
}

#[test]
fn clean_file_exits_0_and_emits_one_body_per_row() {
    let wd = Workdir::new();
    wd.write("m.toml", MAPPING);
    wd.write("in.csv", "First,Last,Email,DOB\nAda,Lovelace,ada@example.com,12/10/1815\nAlan,Turing,alan@example.com,\n");
    let run = wd.bcetl(&["validate", "in.csv", "-m", "m.toml", "--emit", "out.jsonl"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains("2 rows, 2 valid, 0 invalid"),
        "{}",
        run.stdout
    );
    let bodies = wd.read_jsonl("out.jsonl");
    assert_eq!(bodies.len(), 2);
    assert_eq!(bodies[0]["date_of_birth"], "1815-12-10");
    assert_eq!(bodies[0]["emails"][0]["email"], "ada@example.com");
    assert!(
        bodies[1].get("date_of_birth").is_none(),
        "a blank cell is not sent"
    );
}

#[test]
fn invalid_rows_exit_1_and_the_csv_report_names_row_column_and_rule() {
    let wd = Workdir::new();
    wd.write("m.toml", MAPPING);
    wd.write("in.csv", "First,Last,Email,DOB\nAda,Lovelace,ada@example,02/30/1990\n,Turing,alan@example.com,\nGrace,Hopper,grace@example.com,\n");
    let run = wd.bcetl(&[
        "validate",
        "in.csv",
        "-m",
        "m.toml",
        "--report",
        "report.csv",
        "--emit",
        "out.jsonl",
    ]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains("3 rows, 1 valid, 2 invalid"),
        "{}",
        run.stdout
    );
    let text = wd.read("report.csv");
    let mut report = csv::Reader::from_reader(text.as_bytes());
    let rows: Vec<Vec<String>> = report
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect();
    let found: Vec<(&str, &str, &str)> = rows
        .iter()
        .map(|r| (r[0].as_str(), r[1].as_str(), r[4].as_str()))
        .collect();
    assert!(found.contains(&("2", "Email", "email_syntax")), "{found:?}");
    assert!(found.contains(&("2", "DOB", "date")), "{found:?}");
    assert!(found.contains(&("3", "First", "required")), "{found:?}");
    assert_eq!(found.len(), 3, "{found:?}");
    assert_eq!(
        wd.read("out.jsonl").lines().count(),
        1,
        "only the valid row is emitted"
    );
}

#[test]
fn json_report_holds_findings_and_summary() {
    let wd = Workdir::new();
    wd.write("m.toml", MAPPING);
    wd.write(
        "in.csv",
        "First,Last,Email,DOB\nAda,Lovelace,ada@example.com,\nAda,Byron,ADA@example.com,\n",
    );
    let run = wd.bcetl(&["validate", "in.csv", "-m", "m.toml", "--report", "r.json"]);
    assert_eq!(
        run.code, 0,
        "a duplicate email is a warning: {}",
        run.stdout
    );
    let report: serde_json::Value = serde_json::from_str(&wd.read("r.json")).unwrap();
    assert_eq!(report["findings"][0]["rule"], "duplicate_email");
    assert_eq!(report["findings"][0]["row"], 3);
    assert_eq!(report["summary"]["with_warnings"], 1);
}

#[test]
fn xlsx_report_copies_the_sheet_and_notes_each_bad_cell() {
    use calamine::{open_workbook, Reader, Xlsx};
    let wd = Workdir::new();
    wd.write("m.toml", MAPPING);
    wd.write("in.csv", "First,Last,Email,DOB\nAda,Lovelace,ada@example,\nGrace,Hopper,grace@example.com,13/45/2000\n");
    let run = wd.bcetl(&["validate", "in.csv", "-m", "m.toml", "--report", "r.xlsx"]);
    assert_eq!(run.code, 1);
    let mut book: Xlsx<_> = open_workbook(wd.path("r.xlsx")).unwrap();
    assert_eq!(
        book.sheet_names(),
        vec!["Summary", "Rows"],
        "the summary opens first"
    );
    let rows = book.worksheet_range("Rows").unwrap();
    assert_eq!(rows.get_value((0, 0)).unwrap().to_string(), "Row");
    assert_eq!(rows.get_value((0, 1)).unwrap().to_string(), "Problems");
    assert_eq!(rows.get_value((0, 4)).unwrap().to_string(), "Email");
    assert_eq!(
        rows.get_value((1, 0)).unwrap().to_string(),
        "2",
        "the row as the input counts it"
    );
    assert_eq!(
        rows.get_value((1, 4)).unwrap().to_string(),
        "ada@example",
        "the input is copied"
    );
    assert!(
        rows.get_value((1, 1))
            .unwrap()
            .to_string()
            .contains("Email: "),
        "Problems column"
    );
    assert!(rows
        .get_value((2, 1))
        .unwrap()
        .to_string()
        .contains("DOB: "));
    // Opened in a spreadsheet: a filter on the header and widths that fit it.
    let sheet_xml = zip_part(&wd.path("r.xlsx"), "xl/worksheets/sheet2.xml");
    assert!(
        sheet_xml.contains(r#"<autoFilter ref="A1:F3"/>"#),
        "{sheet_xml}"
    );
    assert!(sheet_xml.contains("<cols>"), "column widths are set");
    let summary = book.worksheet_range("Summary").unwrap();
    assert_eq!(
        summary.get_value((2, 1)).unwrap().to_string(),
        "2",
        "invalid rows"
    );
    // The Summary's table of problems: a frozen header, a filter, fitted widths.
    let summary_xml = zip_part(&wd.path("r.xlsx"), "xl/worksheets/sheet1.xml");
    assert!(
        summary_xml.contains(r#"<autoFilter ref="A6:F8"/>"#),
        "{summary_xml}"
    );
    assert!(summary_xml.contains(r#"state="frozen""#), "{summary_xml}");
    assert!(summary_xml.contains("<cols>"), "{summary_xml}");
    // The notes sit in the comments part, one per bad cell.
    let comments = notes_xml(&wd.path("r.xlsx"));
    assert!(
        comments.contains(r#"ref="E2""#) && comments.contains("not an email address"),
        "{comments}"
    );
    assert!(
        comments.contains(r#"ref="F3""#) && comments.contains("13/45/2000"),
        "{comments}"
    );
}

#[test]
fn bundled_samples_validate_with_their_mappings() {
    let wd = Workdir::new();
    for (input, mapping, rows, invalid) in [
        ("samples/crm-export.csv", "mappings/crm-export.toml", 7, 3),
        ("samples/crm-export.csv", "mappings/reference.toml", 7, 3),
        (
            "samples/kunden-windows.csv",
            "mappings/kunden-windows.toml",
            3,
            2,
        ),
        ("samples/leads.xlsx", "mappings/leads.toml", 4, 3),
    ] {
        let run = wd.bcetl(&[
            "validate",
            &repo_file(input),
            "-m",
            &repo_file(mapping),
            "-q",
        ]);
        assert_eq!(run.code, 1, "{input}: {}{}", run.stdout, run.stderr);
        let expected = format!("{rows} rows, {} valid, {invalid} invalid", rows - invalid);
        assert!(
            run.stdout.contains(&expected),
            "{input} with {mapping}: {}",
            run.stdout
        );
    }
}

#[test]
fn workbook_cells_keep_digits_zeros_and_dates() {
    let wd = Workdir::new();
    let run = wd.bcetl(&[
        "validate",
        &repo_file("samples/leads.xlsx"),
        "-m",
        &repo_file("mappings/leads.toml"),
        "--emit",
        "out.jsonl",
    ]);
    assert_eq!(run.code, 1);
    let ada = &wd.read_jsonl("out.jsonl")[0];
    assert_eq!(ada["addresses"][0]["postal_code"], "02134");
    assert_eq!(ada["phones"][0]["phone"], "(404) 657-0000");
    assert_eq!(ada["date_of_birth"], "1985-12-10");
}

/// Excel 97-2003 and OpenDocument files, written by other programs than ours
/// (tests/fixtures/make_legacy_workbooks.py): the sheet chosen by name, a header on row 3
/// below a title, dates, numbers and a formula read as a user sees them.
#[test]
fn xls_and_ods_files_read_like_xlsx() {
    let wd = Workdir::new();
    wd.write(
        "m.toml",
        r#"
[source]
sheet = "Leads"
header_row = 3
[fields]
first_name = "First Name"
last_name = "Last Name"
date_of_birth = "DOB"
[[emails]]
column = "Email"
[[phones]]
column = "Mobile"
type = "M"
[[addresses]]
postal_code = "Zip"
[custom_fields]
Amount = "Amount"
"#,
    );
    for file in ["tests/fixtures/leads.xls", "tests/fixtures/leads.ods"] {
        let run = wd.bcetl(&[
            "validate",
            &repo_file(file),
            "-m",
            "m.toml",
            "--emit",
            "out.jsonl",
        ]);
        assert_eq!(run.code, 0, "{file}: {}{}", run.stdout, run.stderr);
        assert!(
            run.stdout.contains("2 rows, 2 valid"),
            "{file}: {}",
            run.stdout
        );
        let bodies = wd.read_jsonl("out.jsonl");
        let ada = &bodies[0];
        assert_eq!(ada["first_name"], "Ada", "{file}");
        assert_eq!(ada["date_of_birth"], "1815-12-10", "{file}");
        assert_eq!(ada["phones"][0]["phone"], "4046574938", "{file}");
        assert_eq!(ada["addresses"][0]["postal_code"], "02134", "{file}");
        assert_eq!(ada["custom_fields"][0]["value"], "2.5", "{file}");
        assert_eq!(bodies[1]["date_of_birth"], "1912-06-23", "{file}");
        assert_eq!(bodies[1]["custom_fields"][0]["value"], "4", "{file}");
    }
}

#[test]
fn read_flags_override_the_mapping() {
    let wd = Workdir::new();
    wd.write("m.toml", MAPPING);
    wd.write(
        "in.txt",
        "junk line\nFirst|Last|Email|DOB\nAda|Lovelace|ada@example.com|\n",
    );
    let run = wd.bcetl(&[
        "validate",
        "in.txt",
        "-m",
        "m.toml",
        "--delimiter",
        "|",
        "--header-row",
        "2",
    ]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("delimiter '|'"), "{}", run.stdout);
}

#[test]
fn xlsx_report_notes_the_first_2000_bad_cells_and_highlights_the_rest() {
    use calamine::{open_workbook, Reader, Xlsx};
    let wd = Workdir::new();
    wd.write("m.toml", MAPPING);
    let mut text = String::from("First,Last,Email,DOB\n");
    for i in 0..2100 {
        text.push_str(&format!("F{i},L{i},bad{i}@nowhere,\n"));
    }
    wd.write("in.csv", text);
    let run = wd.bcetl(&["validate", "in.csv", "-m", "m.toml", "--report", "r.xlsx"]);
    assert_eq!(run.code, 1);
    let comments = notes_xml(&wd.path("r.xlsx"));
    assert_eq!(comments.matches("<comment ").count(), 2000);
    let mut book: Xlsx<_> = open_workbook(wd.path("r.xlsx")).unwrap();
    let rows = book.worksheet_range("Rows").unwrap();
    assert!(
        rows.get_value((2100, 1))
            .unwrap()
            .to_string()
            .contains("Email: "),
        "the last row still lists its problem"
    );
    let summary = book.worksheet_range("Summary").unwrap();
    let said: Vec<String> = summary.rows().map(|r| r[0].to_string()).collect();
    assert!(
        said.iter()
            .any(|s| s.contains("first 2000 bad cells; 100 more")),
        "{said:?}"
    );
}

/// Ctrl-C during a dry run: the run stops soon, exits 130, and writes nothing half-done.
#[test]
fn ctrl_c_stops_the_run_and_leaves_earlier_reports_as_they_were() {
    let wd = Workdir::new();
    wd.write("m.toml", MAPPING);
    let mut text = String::from("First,Last,Email,DOB\n");
    for i in 0..1_000_000 {
        text.push_str(&format!("F{i},L{i},p{i}@example.com,\n"));
    }
    wd.write("big.csv", text);
    wd.write("r.csv", "an earlier report");
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_bcetl"))
        .current_dir(wd.path("."))
        .args(["validate", "big.csv", "-m", "m.toml", "--report", "r.csv"])
        .args(["--emit", "e.jsonl"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // The report's hidden temporary file appears once the run is under way, and after
    // bcetl watches for Ctrl-C; a million rows take far longer than this wait.
    let hidden = || {
        std::fs::read_dir(wd.path("."))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with('.'))
            .collect::<Vec<_>>()
    };
    let started = std::time::Instant::now();
    while hidden().is_empty() {
        assert!(started.elapsed().as_secs() < 60, "the run never started");
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    let status = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("stopped by Ctrl-C after"), "{stderr}");
    assert_eq!(wd.read("r.csv"), "an earlier report");
    assert!(!wd.path("e.jsonl").exists(), "no half-written bodies");
    assert!(
        hidden().is_empty(),
        "temporary files removed: {:?}",
        hidden()
    );
}

/// Excel holds 32,767 characters in a cell; longer cells (and messages quoting them) are cut
/// in the XLSX report, said so on their row, and checked and sent whole.
#[test]
fn cells_longer_than_excel_allows_are_cut_in_the_xlsx_report_only() {
    use calamine::{open_workbook, Reader, Xlsx};
    let wd = Workdir::new();
    wd.write(
        "m.toml",
        MAPPING.replace("[[emails]]", "comments = \"Notes\"\n[[emails]]"),
    );
    // 40,000 characters in 60,000 bytes: past Excel's 32,767 characters, within the 64 KB a
    // cell may hold.
    let long = "é".repeat(20_000) + &"x".repeat(20_000);
    wd.write(
        "in.csv",
        format!(
            "First,Last,Email,DOB,Notes\nAda,Lovelace,ada@example.com,,{long}\nBob,Smith,{long}@x,,\n"
        ),
    );
    let run = wd.bcetl(&[
        "validate", "in.csv", "-m", "m.toml", "--report", "r.xlsx", "--emit", "e.jsonl",
    ]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    let mut book: Xlsx<_> = open_workbook(wd.path("r.xlsx")).unwrap();
    let rows = book.worksheet_range("Rows").unwrap();
    let notes = rows.get_value((1, 6)).unwrap().to_string();
    assert_eq!(notes.chars().count(), 32_767);
    assert!(notes.ends_with('…'));
    let problems = rows.get_value((1, 1)).unwrap().to_string();
    assert!(
        problems.contains("Notes: cut to 32767 characters"),
        "{problems}"
    );
    let bob = rows.get_value((2, 1)).unwrap().to_string();
    assert!(bob.contains("is not an email address"), "{}", &bob[..100]);
    assert_eq!(
        wd.read_jsonl("e.jsonl")[0]["comments"]
            .as_str()
            .unwrap()
            .chars()
            .count(),
        40_000,
        "the body holds the whole cell"
    );
}
