//! What bcetl writes it reads back unchanged: an account seeded with hostile values (phones
//! and handles a spreadsheet would run as formulas, tab- and CR-led text, line breaks,
//! quotes, non-Latin text, every list, custom fields, one named like a layout column)
//! exported to CSV, XLSX and JSON lines, in the default layout and through a mapping that
//! reads unmapped columns as custom fields, imports back with `--mode update --match id` as
//! 0 updates and no write, and exports again to the same file.

mod util;

use std::collections::BTreeMap;

use serde_json::{json, Value};
use util::{repo_file, sandbox_with, Run, TestSandbox, Workdir};

fn bcetl(sb: &TestSandbox, dir: &Workdir, args: &[&str]) -> Run {
    sb.run(dir, args)
}

fn create(sb: &TestSandbox, body: Value) -> i64 {
    let (status, answer) = sb.call("POST", "/api/contacts.json", &sb.admin(), Some(body));
    assert_eq!(status, 200, "{answer}");
    answer["payload"]["id"]
        .as_i64()
        .or_else(|| answer["payload"][0]["id"].as_i64())
        .unwrap()
}

/// Contacts whose values break naive round trips.
fn seed_hostile(sb: &TestSandbox) {
    create(
        sb,
        json!({
            "first_name": "=1+1", "last_name": "-Smith", "title": "@ceo",
            "comments": "line one\nline two, \"quoted\"\r\nthird",
            "emails": [{"email": "eq@hostile.test"}, {"email": "work@hostile.test", "is_office": 1}],
            "phones": [{"phone": "+34 612 34 56 78", "type": "M"}, {"phone": "-0151 123 456", "type": "H"}],
            "social_media": [{"social_media_type": "Twitter", "name": "@maggie_dangelo"}],
            "im_services": [{"im_services_type": "Skype", "name": "=skype.me"}],
            "custom_fields": [{"name": "Legacy ID", "value": "=L-42"}, {"name": "Nickname", "value": "+a clash"}],
            "tags": ["vip", "+plus"],
            "interests": ["golf"],
        }),
    );
    create(
        sb,
        json!({
            "first_name": "\tTabbed", "last_name": "\rReturn", "nickname": "'=already guarded",
            "emails": [{"email": "tab@hostile.test"}],
            "addresses": [{"address": "1 Main St\nFloor 2", "city": "Zürich", "postal_code": "08001", "country": "CH"}],
            "spouse": {"first_name": "Maggie", "last_name": "@Home"},
            "custom_fields": [{"name": "Blood Type", "value": "-0"}],
        }),
    );
    create(
        sb,
        json!({
            "first_name": "東京", "last_name": "Ærøskøbing", "middle_name": "Ünïcødé",
            "emails": [{"email": "utf@hostile.test"}],
            "phones": [{"phone": "@home 555 0100", "type": "W"}],
            "categories": [{"name": "Industry", "value": "Software"}],
            "custom_fields": [{"name": "=Formula Name", "value": "x"}],
        }),
    );
}

/// A user's mapping that maps a few fields and reads every other column as a custom field.
const USER_MAPPING: &str = r#"
entity = "contact"
unmapped_columns = "custom_fields"

[fields]
id = "ID"
first_name = "Given"
last_name = "Family"
comments = "Notes"

[[emails]]
column = "Mail"

[[phones]]
column = "Mobile"
type = "M"

[[social_media]]
type = "Twitter"
column = "Twitter"
"#;

/// Requests that write (POST, PUT, DELETE) the sandbox has served.
fn writes(sb: &TestSandbox) -> u64 {
    let stats = sb.stats();
    stats["by_endpoint"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(k, _)| !k.starts_with("GET "))
        .map(|(_, v)| v.as_u64().unwrap())
        .sum()
}

/// Every cell of a workbook's first sheet, as calamine reads it.
fn xlsx_cells(path: &std::path::Path) -> Vec<Vec<calamine::Data>> {
    use calamine::{open_workbook_auto, Reader};
    let mut book = open_workbook_auto(path).unwrap();
    let sheet = book.worksheet_range_at(0).unwrap().unwrap();
    sheet.rows().map(|r| r.to_vec()).collect()
}

#[test]
fn hostile_values_come_back_unchanged_in_every_format_and_layout() {
    let sb = sandbox_with(|c| c.seed = 20);
    seed_hostile(&sb);
    let dir = Workdir::new();
    dir.write("user.toml", USER_MAPPING);
    let default_layout = repo_file("mappings/default-layout.toml");
    for ext in ["csv", "xlsx", "jsonl"] {
        for (layout, mapping) in [("default", default_layout.as_str()), ("user", "user.toml")] {
            let name = |n: u32| format!("{layout}-{n}.{ext}");
            let export = |file: &str| {
                // The default layout is what `export` writes without --mapping; JSON lines
                // without a mapping are whole records, so rows need the mapping named.
                let mut args = vec!["export", file, "-q"];
                if layout == "user" || ext == "jsonl" {
                    args.extend(["--mapping", mapping]);
                }
                let run = bcetl(&sb, &dir, &args);
                assert_eq!(run.code, 0, "{ext} {layout}: {}", run.stderr);
            };
            export(&name(1));

            let before = writes(&sb);
            let out = format!("{layout}-{ext}.import");
            let run = bcetl(
                &sb,
                &dir,
                &[
                    "import",
                    &name(1),
                    "--mapping",
                    mapping,
                    "--mode",
                    "update",
                    "--match",
                    "id",
                    "--out",
                    &out,
                    "--rate",
                    "1000",
                ],
            );
            assert_eq!(run.code, 0, "{ext} {layout}: {}{}", run.stdout, run.stderr);
            assert!(
                run.stdout.contains(" 0 updated") && run.stdout.contains(" 0 invalid"),
                "{ext} {layout}: every row unchanged: {}\n{}",
                run.stdout,
                dir.read(&format!("{out}/success.csv"))
            );
            assert_eq!(writes(&sb), before, "{ext} {layout}: nothing written");

            export(&name(2));
            if ext == "xlsx" {
                assert_eq!(
                    xlsx_cells(&dir.path(&name(1))),
                    xlsx_cells(&dir.path(&name(2))),
                    "{layout}: the same cells again"
                );
            } else {
                assert_eq!(
                    dir.read(&name(1)),
                    dir.read(&name(2)),
                    "{ext} {layout}: the same bytes again"
                );
            }
        }
    }

    // The guard is still there: no raw CSV cell would run as a formula…
    let mut raw = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_path(dir.path("default-1.csv"))
        .unwrap();
    let mut guarded = 0;
    for record in raw.records() {
        for cell in record.unwrap().iter() {
            assert!(
                !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                "a cell a spreadsheet would run: {cell:?}"
            );
            guarded += usize::from(cell.starts_with('\''));
        }
    }
    assert!(guarded >= 10, "the hostile cells are guarded ({guarded})");
    let text = dir.read("default-1.csv");
    assert!(text.contains("'+34 612 34 56 78") && text.contains("''=already guarded"));
    assert!(
        text.contains("Nickname (custom)"),
        "a custom field named like a column"
    );
    // …and the workbook holds text as string cells only, unguarded.
    let cells = xlsx_cells(&dir.path("default-1.xlsx"));
    assert!(cells
        .iter()
        .flatten()
        .all(|c| matches!(c, calamine::Data::String(_) | calamine::Data::Empty)));
    assert!(cells
        .iter()
        .flatten()
        .any(|c| c == &calamine::Data::String("+34 612 34 56 78".into())));

    // The user's mapping writes every custom field as a column of its own, after its own
    // columns, and says what it had no column for.
    let header = dir.read("user-1.csv").lines().next().unwrap().to_string();
    assert!(
        header.starts_with("ID,Given,Family,Notes,Mail,Mobile,Twitter,"),
        "{header}"
    );
    for column in ["Legacy ID", "Nickname", "Blood Type", "'=Formula Name"] {
        assert!(header.contains(column), "{column} in {header}");
    }
    let manifest: Value = serde_json::from_str(&dir.read("user-1.csv.manifest.json")).unwrap();
    let left_out: BTreeMap<String, u64> =
        serde_json::from_value(manifest["summary"]["left_out"].clone()).unwrap();
    for list in ["fields", "phones", "tags", "addresses", "spouse", "emails"] {
        assert!(
            left_out.get(list).copied().unwrap_or(0) > 0,
            "{list}: {left_out:?}"
        );
    }
}

/// An export or snapshot as id → its non-blank cells by column, whatever its format: tables
/// through bcetl's own reader (which takes the formula guard off), whole records by key.
fn by_id(path: &std::path::Path) -> BTreeMap<i64, BTreeMap<String, String>> {
    let is_jsonl = path.extension().is_some_and(|e| e == "jsonl");
    if is_jsonl {
        let text = std::fs::read_to_string(path).unwrap();
        return text
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|line| {
                let record: Value = serde_json::from_str(line).unwrap();
                let cells = record
                    .as_object()
                    .unwrap()
                    .iter()
                    .filter(|(_, v)| !v.is_null())
                    .map(|(k, v)| (k.clone(), v.to_string()))
                    .collect();
                (record["id"].as_i64().unwrap(), cells)
            })
            .collect();
    }
    let options = bcetl::read::ReadOptions {
        allow_no_rows: true,
        ..Default::default()
    };
    let table = bcetl::read::open(path, &options).unwrap();
    let id = table
        .headers
        .iter()
        .position(|h| h == "Contact ID")
        .unwrap();
    let headers = table.headers.clone();
    let mut out = BTreeMap::new();
    for row in table.rows {
        let row = row.unwrap();
        let cells = headers
            .iter()
            .zip(row.cells())
            .filter(|(_, c)| !c.is_empty())
            .map(|(h, c)| (h.clone(), c.to_string()))
            .collect();
        let previous = out.insert(row.cell(id).parse().unwrap(), cells);
        assert!(previous.is_none(), "{}: an id twice", path.display());
    }
    out
}

fn put(sb: &TestSandbox, id: i64, body: Value) {
    let (status, answer) = sb.call(
        "PUT",
        &format!("/api/contact/{id}.json"),
        &sb.admin(),
        Some(body),
    );
    assert_eq!(status, 200, "{answer}");
}

fn delete(sb: &TestSandbox, id: i64) {
    let (status, _) = sb.call(
        "DELETE",
        &format!("/api/contact/{id}.json"),
        &sb.admin(),
        None,
    );
    assert_eq!(status, 200);
}

/// The ids a fresh export holds.
fn ids(path: &std::path::Path) -> Vec<i64> {
    by_id(path).into_keys().collect()
}

/// Seven nights in one format: changes, creates, deletes, an update in the watermark's own
/// second and two quiet nights; after each the snapshot equals a fresh full export, and
/// every run exits 0.
fn seven_nights(ext: &str) {
    let sb = sandbox_with(|c| c.seed = 30);
    let dir = Workdir::new();
    let changes = format!("changes.{ext}");
    let snapshot = format!("snap.{ext}");
    let night = |n: u32| -> Run {
        let run = bcetl(
            &sb,
            &dir,
            &[
                "export", &changes, "--state", "s.json", "--merge", &snapshot, "-q",
            ],
        );
        assert_eq!(run.code, 0, "{ext} night {n}: {}", run.stderr);
        let fresh = format!("fresh-{n}.{ext}");
        assert_eq!(bcetl(&sb, &dir, &["export", &fresh, "-q"]).code, 0);
        assert_eq!(
            by_id(&dir.path(&snapshot)),
            by_id(&dir.path(&fresh)),
            "{ext} night {n}: the snapshot is a full export"
        );
        let manifest: Value =
            serde_json::from_str(&dir.read(&format!("{snapshot}.manifest.json"))).unwrap();
        assert_eq!(
            manifest["sha256"].as_str().unwrap(),
            bcetl::export::sha256_file(&dir.path(&snapshot)).unwrap(),
            "{ext} night {n}: the snapshot's manifest describes it"
        );
        run
    };
    night(1);
    let all = ids(&dir.path(&snapshot));
    assert!(all.len() >= 30);

    put(&sb, all[0], json!({"nickname": "Night two"}));
    put(
        &sb,
        all[1],
        json!({"phones": [{"phone": "+1 555 0100", "type": "W"}]}),
    );
    create(
        &sb,
        json!({"first_name": "New", "last_name": "Two", "emails": [{"email": "n2@night.test"}]}),
    );
    delete(&sb, all[2]);
    night(2);
    assert_eq!(ids(&dir.path(&changes)).len(), 3, "two changed, one new");

    // A quiet night: nothing changed, the run succeeds with an empty changes file.
    night(3);
    assert!(ids(&dir.path(&changes)).is_empty());
    assert!(dir.path(&changes).exists());

    // An update, and right after the run another one, most likely in the same second as
    // the watermark: the next night has it all the same.
    put(&sb, all[3], json!({"nickname": "Night four"}));
    night(4);
    put(
        &sb,
        all[4],
        json!({"nickname": "In the watermark's second"}),
    );
    night(5);
    assert!(ids(&dir.path(&changes)).contains(&all[4]));

    night(6);
    assert!(ids(&dir.path(&changes)).is_empty(), "a second quiet night");

    delete(&sb, all[5]);
    delete(&sb, all[6]);
    put(&sb, all[7], json!({"tags": ["late"]}));
    create(
        &sb,
        json!({"first_name": "New", "last_name": "Seven", "emails": [{"email": "n7@night.test"}]}),
    );
    let run = night(7);
    let _ = run;
    let now = ids(&dir.path(&snapshot));
    assert!(!now.contains(&all[5]) && !now.contains(&all[6]) && now.contains(&all[7]));
}

#[test]
fn seven_nights_keep_a_csv_snapshot_equal_to_a_full_export() {
    seven_nights("csv");
}

#[test]
fn seven_nights_keep_an_xlsx_snapshot_equal_to_a_full_export() {
    seven_nights("xlsx");
}

#[test]
fn seven_nights_keep_a_json_lines_snapshot_equal_to_a_full_export() {
    seven_nights("jsonl");
}

/// A nightly run killed at four moments leaves its files (changes, the snapshot, their
/// manifests, the state) as they were, and the next run catches up.
fn killed_nights(ext: &str) {
    let sb = sandbox_with(|c| {
        c.seed = 60;
        c.faults.latency = std::time::Duration::from_millis(60);
    });
    let dir = Workdir::new();
    let (changes, snapshot) = (format!("changes.{ext}"), format!("snap.{ext}"));
    let changes_manifest = format!("{changes}.manifest.json");
    let snapshot_manifest = format!("{snapshot}.manifest.json");
    let args = [
        "export",
        &changes,
        "--state",
        "s.json",
        "--merge",
        &snapshot,
        "--page-size",
        "5",
        "--concurrency",
        "1",
        "-q",
    ];
    assert_eq!(bcetl(&sb, &dir, &args).code, 0);
    let all = ids(&dir.path(&snapshot));
    for (i, id) in all.iter().take(20).enumerate() {
        put(&sb, *id, json!({"nickname": format!("Changed {i}")}));
    }
    delete(&sb, all[30]);
    let files = [
        changes.as_str(),
        &changes_manifest,
        &snapshot,
        &snapshot_manifest,
        "s.json",
    ];
    let before: Vec<Vec<u8>> = files
        .iter()
        .map(|f| std::fs::read(dir.path(f)).unwrap())
        .collect();
    // How long a whole run takes here, to kill within it.
    let started = std::time::Instant::now();
    let probe = Workdir::new();
    assert_eq!(
        bcetl(
            &sb,
            &probe,
            &[
                "export",
                "full.csv",
                "--page-size",
                "5",
                "--concurrency",
                "1",
                "-q"
            ]
        )
        .code,
        0
    );
    let listing = started.elapsed();
    for fraction in [0.2, 0.6, 1.1, 1.6] {
        // The run reads the changes, then sweeps every id: about twice the full listing.
        let finished = util::kill_after(sb.command(&dir, &args), listing.mul_f64(fraction));
        assert!(
            !finished,
            "the kill at {fraction} of the listing landed mid-run"
        );
        for (file, was) in files.iter().zip(&before) {
            assert_eq!(
                &std::fs::read(dir.path(file)).unwrap(),
                was,
                "{file} after a kill at {fraction}"
            );
        }
    }
    assert_eq!(bcetl(&sb, &dir, &args).code, 0);
    assert_eq!(ids(&dir.path(&changes)).len(), 20);
    // What a killed run left half-written beside the files is gone after the next run.
    let leftovers: Vec<String> = std::fs::read_dir(dir.path(""))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with('.'))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    let fresh = format!("fresh.{ext}");
    assert_eq!(bcetl(&sb, &dir, &["export", &fresh, "-q"]).code, 0);
    assert_eq!(by_id(&dir.path(&snapshot)), by_id(&dir.path(&fresh)));
}

#[test]
fn a_nightly_csv_run_killed_at_any_moment_changes_nothing_and_the_next_catches_up() {
    killed_nights("csv");
}

#[test]
fn a_nightly_xlsx_run_killed_at_any_moment_changes_nothing_and_the_next_catches_up() {
    killed_nights("xlsx");
}

#[test]
fn a_nightly_json_lines_run_killed_at_any_moment_changes_nothing_and_the_next_catches_up() {
    killed_nights("jsonl");
}

/// `bcetl export - | head -1` through a real pipe: the reader goes away, bcetl ends quietly.
#[test]
fn a_closed_pipe_ends_the_export_quietly() {
    let sb = sandbox_with(|c| c.seed = 300);
    for format in ["jsonl", "csv"] {
        let script = format!(
            "'{}' export - --format {format} --page-size 50 --base-url '{}' | head -1; exit ${{PIPESTATUS[0]}}",
            env!("CARGO_BIN_EXE_bcetl"),
            sb.sandbox.url
        );
        let out = std::process::Command::new("bash")
            .args(["-c", &script])
            .env("BIGCONTACTS_TOKEN", sb.admin())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{format}: {stderr}");
        assert!(stderr.is_empty(), "{format}: nothing on stderr: {stderr}");
        assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 1);
    }
}
