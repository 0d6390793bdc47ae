//! `bcetl export` against the sandbox over HTTP: every contact exactly once whatever the
//! paging does (sizes, a capped `results`, contacts deleted and created mid-export, a page
//! that keeps failing), the mapping in reverse, nightly incremental runs, dates, formulas.

mod util;

use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::{json, Value};
use util::{repo_file, sandbox, sandbox_with, Run, TestSandbox, Workdir};

fn bcetl(sb: &TestSandbox, dir: &Workdir, args: &[&str]) -> Run {
    sb.run(dir, args)
}

/// The ids the admin may see, from the sandbox's database.
fn visible_ids(sb: &TestSandbox) -> HashSet<i64> {
    let conn = rusqlite::Connection::open(&sb.db).unwrap();
    let admin: i64 = conn
        .query_row(
            "SELECT id FROM users WHERE email = 'robert.hammond@live.com.ar'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let mut stmt = conn
        .prepare("SELECT id FROM contacts WHERE customer_id = 1 AND (is_private = 0 OR assigned_to = ?1)")
        .unwrap();
    let ids = stmt
        .query_map([admin], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    ids
}

/// The rows of an exported CSV, as header → cell maps.
fn csv_rows(path: &std::path::Path) -> Vec<HashMap<String, String>> {
    let mut reader = csv::Reader::from_path(path).unwrap();
    let headers: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            headers
                .iter()
                .cloned()
                .zip(r.iter().map(String::from))
                .collect()
        })
        .collect()
}

/// The Contact ID column of an export, every occurrence.
fn exported_ids(path: &std::path::Path) -> Vec<i64> {
    csv_rows(path)
        .iter()
        .map(|r| r["Contact ID"].parse().unwrap())
        .collect()
}

fn assert_once(ids: &[i64], expected: &HashSet<i64>) {
    let set: HashSet<i64> = ids.iter().copied().collect();
    assert_eq!(set.len(), ids.len(), "an id was written twice");
    let missing: Vec<_> = expected.difference(&set).collect();
    assert!(missing.is_empty(), "contacts missed: {missing:?}");
}

/// Creates a contact (with an email of its own when the body has none: the server requires
/// one) and returns its id.
fn create(sb: &TestSandbox, mut body: Value) -> i64 {
    if body.get("emails").is_none() {
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let k = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        body["emails"] = json!([{"email": format!("made{k}@export.test")}]);
    }
    let (status, answer) = sb.call("POST", "/api/contacts.json", &sb.admin(), Some(body));
    assert_eq!(status, 200, "{answer}");
    answer["payload"]["id"]
        .as_i64()
        .or_else(|| answer["payload"][0]["id"].as_i64())
        .unwrap()
}

#[test]
fn every_visible_contact_is_exported_once_with_a_manifest_that_checks_out() {
    let sb = sandbox_with(|c| c.seed = 1234);
    let dir = Workdir::new();
    let run = bcetl(&sb, &dir, &["export", "all.csv", "--page-size", "100"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let expected = visible_ids(&sb);
    assert!(
        expected.len() > 1100 && expected.len() < 1234,
        "some seeded contacts are private to others"
    );
    let ids = exported_ids(&dir.path("all.csv"));
    assert_once(&ids, &expected);
    assert_eq!(ids.len(), expected.len());

    let manifest: Value = serde_json::from_str(&dir.read("all.csv.manifest.json")).unwrap();
    assert_eq!(manifest["rows"], json!(expected.len()));
    assert_eq!(
        manifest["sha256"].as_str().unwrap(),
        bcetl::export::sha256_file(&dir.path("all.csv")).unwrap()
    );
    assert_eq!(
        manifest["summary"]["fetch"]["passes"],
        json!(1),
        "a quiet listing settles at once"
    );
    assert!(manifest["watermark"].as_str().is_some());
    // The header starts with the id, and custom fields have columns of their own.
    let header = dir.read("all.csv").lines().next().unwrap().to_string();
    assert!(header.starts_with("Contact ID,First Name,"), "{header}");
    assert!(header.contains(",Blood Type"), "{header}");
}

#[test]
fn page_counts_at_and_around_the_page_size_and_zero() {
    let sb = sandbox();
    let dir = Workdir::new();
    let mut made = 0;
    for count in [0, 9, 10, 11, 20] {
        while made < count {
            create(
                &sb,
                json!({"first_name": format!("P{made}"), "last_name": "Paging"}),
            );
            made += 1;
        }
        let run = bcetl(&sb, &dir, &["export", "p.csv", "--page-size", "10", "-q"]);
        assert_eq!(run.code, 0, "{count}: {}", run.stderr);
        let ids = exported_ids(&dir.path("p.csv"));
        assert_eq!(ids.len(), count, "{count} contacts");
        assert_once(&ids, &visible_ids(&sb));
    }
}

#[test]
fn a_server_that_caps_results_silently_still_gives_every_contact() {
    let sb = sandbox_with(|c| c.forms.max_results = Some(7));
    for i in 0..30 {
        create(
            &sb,
            json!({"first_name": format!("C{i}"), "last_name": "Capped"}),
        );
    }
    let dir = Workdir::new();
    let run = bcetl(&sb, &dir, &["export", "c.csv", "--page-size", "50", "-q"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let ids = exported_ids(&dir.path("c.csv"));
    assert_eq!(ids.len(), 30);
    assert_once(&ids, &visible_ids(&sb));
}

#[test]
fn contacts_deleted_and_created_during_the_export_miss_nothing_and_double_nothing() {
    // Slow pages, one at a time, while another client deletes early contacts (shifting every
    // later page forward) and creates new ones (shifting them back).
    let sb = sandbox_with(|c| {
        c.seed = 600;
        c.faults.latency = Duration::from_millis(40);
    });
    let before = visible_ids(&sb);
    let mut early: Vec<i64> = before.iter().copied().collect();
    early.sort();
    let dir = Workdir::new();
    let export = Command::new(env!("CARGO_BIN_EXE_bcetl"))
        .current_dir(dir.path(""))
        .args(["export", "d.csv", "--page-size", "25", "--concurrency", "1"])
        .args(["--base-url", &sb.sandbox.url])
        .env("BIGCONTACTS_TOKEN", sb.admin())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut deleted = HashSet::new();
    std::thread::sleep(Duration::from_millis(300));
    for (i, id) in early.iter().take(40).enumerate() {
        let (status, _) = sb.call(
            "DELETE",
            &format!("/api/contact/{id}.json"),
            &sb.admin(),
            None,
        );
        assert_eq!(status, 200);
        deleted.insert(*id);
        if i % 4 == 0 {
            create(
                &sb,
                json!({"first_name": format!("New{i}"), "last_name": "Drift"}),
            );
        }
        std::thread::sleep(Duration::from_millis(15));
    }
    let out = export.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let ids = exported_ids(&dir.path("d.csv"));
    let stayed: HashSet<i64> = before.difference(&deleted).copied().collect();
    assert_once(&ids, &stayed);
    assert!(
        stderr.contains("the listing changed while it was read"),
        "the drift is reported: {stderr}"
    );
    let manifest: Value = serde_json::from_str(&dir.read("d.csv.manifest.json")).unwrap();
    assert!(manifest["summary"]["fetch"]["passes"].as_u64().unwrap() >= 2);
}

#[test]
fn a_page_failing_every_retry_fails_the_export_and_leaves_the_previous_file() {
    let sb = sandbox_with(|c| c.faults.fail_rate = 1.0);
    let dir = Workdir::new();
    dir.write("keep.csv", "yesterday's export\n");
    let run = bcetl(&sb, &dir, &["export", "keep.csv", "-q"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("page 1 of the contacts"),
        "{}",
        run.stderr
    );
    assert_eq!(dir.read("keep.csv"), "yesterday's export\n");
    assert!(!dir.path("keep.csv.manifest.json").exists());
    let leftovers: Vec<_> = std::fs::read_dir(dir.path(""))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(
        leftovers.is_empty(),
        "no temporary file left: {leftovers:?}"
    );
}

/// The cells a row becomes after one trip through the API's shape, offline: what an export
/// with the same mapping must give back for it.
fn normalized(mapping_path: &str, input: &str) -> Vec<HashMap<String, String>> {
    let file = bcetl::mapping::load_file(std::path::Path::new(mapping_path)).unwrap();
    let table = bcetl::read::open(std::path::Path::new(input), &Default::default()).unwrap();
    let mapping = bcetl::mapping::Mapping::compile(&file, Some(&table.headers)).unwrap();
    let reverse = bcetl::mapping::Mapping::compile(&file, None).unwrap();
    table
        .rows
        .map(|row| {
            let row = row.unwrap();
            let mapped = mapping.apply(&row);
            let cells = reverse.reverse(&mapped.contact);
            reverse.columns.iter().cloned().zip(cells).collect()
        })
        .collect()
}

#[test]
fn import_then_export_with_the_same_mapping_gives_the_input_back() {
    let sb = sandbox();
    let dir = Workdir::new();
    let input = repo_file("samples/crm-export.csv");
    let mapping = repo_file("mappings/crm-export.toml");
    let run = bcetl(
        &sb,
        &dir,
        &["import", &input, "-m", &mapping, "--out", "imp", "-q"],
    );
    // The sample holds rows that are invalid on purpose; every valid one is created.
    assert!(run.code == 0 || run.code == 1, "{}", run.stderr);
    // The same mapping with the id added, to pair each exported row with its input row.
    let with_id = std::fs::read_to_string(&mapping)
        .unwrap()
        .replace("[fields]\n", "[fields]\nid = \"Contact ID\"\n");
    dir.write("with-id.toml", with_id);
    let run = bcetl(
        &sb,
        &dir,
        &[
            "export",
            "back.csv",
            "-m",
            "with-id.toml",
            "--keep-formulas",
            "-q",
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let exported: HashMap<String, HashMap<String, String>> = csv_rows(&dir.path("back.csv"))
        .into_iter()
        .map(|r| (r["Contact ID"].clone(), r))
        .collect();
    let created: Vec<(usize, String)> = csv_rows(&dir.path("imp/success.csv"))
        .iter()
        .map(|r| (r["row"].parse().unwrap(), r["contact_id"].clone()))
        .collect();
    let expected = normalized(&mapping, &input);
    for (row, id) in &created {
        let got = exported
            .get(id)
            .unwrap_or_else(|| panic!("row {row} (contact {id}) was not exported"));
        for (column, value) in &expected[row - 2] {
            // The server's defaults for what a row left blank: the owner is the creator, a
            // yes/no field is no.
            let value = match (column.as_str(), value.as_str()) {
                ("Owner Email", "") => "robert.hammond@live.com.ar",
                ("Unsubscribed", "") => "no",
                _ => value.as_str(),
            };
            assert_eq!(got[column], value, "row {row}, column {column}");
        }
    }
    assert!(
        created.len() >= 4,
        "the sample's valid rows: {} compared",
        created.len()
    );
    assert_eq!(
        created.len(),
        exported.len(),
        "nothing beyond the imported rows"
    );
}

#[test]
fn default_layout_export_imports_into_another_account_and_exports_identically() {
    let first = sandbox_with(|c| c.seed = 150);
    let dir = Workdir::new();
    let run = bcetl(
        &first,
        &dir,
        &["export", "one.csv", "--keep-formulas", "-q"],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let second = sandbox();
    let layout = repo_file("mappings/default-layout.toml");
    let run = bcetl(
        &second,
        &dir,
        &[
            "import",
            "one.csv",
            "-m",
            &layout,
            "--out",
            "imp",
            "-q",
            "--concurrency",
            "1",
        ],
    );
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let run = bcetl(
        &second,
        &dir,
        &["export", "two.csv", "--keep-formulas", "-q"],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    // Ids are the server's to give: compare everything else, row by row in export order.
    let strip = |rows: Vec<HashMap<String, String>>| -> Vec<Vec<(String, String)>> {
        rows.into_iter()
            .map(|r| {
                let mut cells: Vec<_> = r.into_iter().filter(|(k, _)| k != "Contact ID").collect();
                cells.sort();
                cells
            })
            .collect()
    };
    let one = strip(csv_rows(&dir.path("one.csv")));
    let two = strip(csv_rows(&dir.path("two.csv")));
    assert_eq!(one.len(), two.len());
    for (i, (a, b)) in one.iter().zip(&two).enumerate() {
        assert_eq!(a, b, "row {}", i + 2);
    }
    let header = |name: &str| {
        dir.read(name)
            .lines()
            .next()
            .unwrap()
            .replace("Contact ID,", "")
    };
    assert_eq!(header("one.csv"), header("two.csv"));
}

#[test]
fn nightly_runs_export_each_change_once_and_merge_into_the_snapshot() {
    let sb = sandbox_with(|c| c.seed = 60);
    let dir = Workdir::new();
    // The nightly command, the same each night (the second night with its progress on).
    let nightly = |extra: &[&str]| {
        let args = [
            "export",
            "changes.csv",
            "--state",
            "s.json",
            "--merge",
            "all.csv",
        ];
        let run = bcetl(&sb, &dir, &[&args[..], extra].concat());
        assert_eq!(run.code, 0, "{}", run.stderr);
        run
    };
    nightly(&["-q"]);
    let all = visible_ids(&sb);
    assert_once(&exported_ids(&dir.path("all.csv")), &all);
    assert_eq!(
        exported_ids(&dir.path("changes.csv")).len(),
        all.len(),
        "the first run is full"
    );

    // One change, one new contact, one deletion; changed within the watermark's second or
    // later: either way each must appear once.
    let mut ids: Vec<i64> = all.iter().copied().collect();
    ids.sort();
    let (changed, gone) = (ids[3], ids[5]);
    let (status, _) = sb.call(
        "PUT",
        &format!("/api/contact/{changed}.json"),
        &sb.admin(),
        Some(json!({"nickname": "Changed"})),
    );
    assert_eq!(status, 200);
    let new = create(&sb, json!({"first_name": "Brand", "last_name": "New"}));
    let (status, _) = sb.call(
        "DELETE",
        &format!("/api/contact/{gone}.json"),
        &sb.admin(),
        None,
    );
    assert_eq!(status, 200);

    let run = nightly(&[]);
    let mut second = exported_ids(&dir.path("changes.csv"));
    second.sort();
    let mut want = vec![changed, new];
    want.sort();
    assert_eq!(second, want, "exactly the changed and the new contact");
    let merged = csv_rows(&dir.path("all.csv"));
    let merged_ids: Vec<i64> = merged
        .iter()
        .map(|r| r["Contact ID"].parse().unwrap())
        .collect();
    let mut now = all.clone();
    now.remove(&gone);
    now.insert(new);
    assert_once(&merged_ids, &now);
    assert_eq!(
        merged_ids.len(),
        now.len(),
        "the deleted contact is dropped"
    );
    let row = merged
        .iter()
        .find(|r| r["Contact ID"] == changed.to_string())
        .unwrap();
    assert_eq!(row["Nickname"], "Changed");
    assert!(
        run.stderr.contains("1 deleted contact(s) dropped"),
        "{}",
        run.stderr
    );

    // Nothing changed since: nothing exported, the boundary contacts skipped.
    let run = bcetl(
        &sb,
        &dir,
        &["export", "changes.csv", "--state", "s.json", "-q"],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(exported_ids(&dir.path("changes.csv")).len(), 0);

    // A failed run leaves the output and the state as they were.
    let state = dir.read("s.json");
    let snapshot = dir.read("all.csv");
    let out = Command::new(env!("CARGO_BIN_EXE_bcetl"))
        .current_dir(dir.path(""))
        .args([
            "export",
            "changes.csv",
            "--state",
            "s.json",
            "--merge",
            "all.csv",
            "-q",
        ])
        .args(["--base-url", "http://127.0.0.1:9"])
        .env("BIGCONTACTS_TOKEN", sb.admin())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(dir.read("s.json"), state);
    assert_eq!(dir.read("all.csv"), snapshot);
}

#[test]
fn dates_are_calendar_dates_whatever_the_servers_offset() {
    for minutes in [-180, 330] {
        let sb = sandbox_with(|c| c.forms.utc_offset_minutes = Some(minutes));
        create(
            &sb,
            json!({"first_name": "Shirley", "last_name": "McRae", "date_of_birth": "1934-12-30",
            "spouse": {"first_name": "Maggie", "date_of_birth": "1936-01-01"}}),
        );
        let dir = Workdir::new();
        let run = bcetl(&sb, &dir, &["export", "d.csv", "-q"]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        let rows = csv_rows(&dir.path("d.csv"));
        assert_eq!(rows[0]["Date of Birth"], "1934-12-30", "offset {minutes}");
        assert_eq!(
            rows[0]["Spouse Date of Birth"], "1936-01-01",
            "offset {minutes}"
        );
        let run = bcetl(&sb, &dir, &["export", "d.jsonl", "-q"]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        let record = &dir.read_jsonl("d.jsonl")[0];
        assert_eq!(record["date_of_birth"], "1934-12-30", "offset {minutes}");
        assert_eq!(
            record["spouse"]["date_of_birth"], "1936-01-01",
            "offset {minutes}"
        );
        assert!(record["updated"]
            .as_str()
            .unwrap()
            .ends_with(if minutes < 0 { "-0300" } else { "+0530" }));
    }
}

#[test]
fn formulas_are_neutralized_in_csv_unless_kept_and_xlsx_holds_them_as_string_cells() {
    let sb = sandbox();
    create(
        &sb,
        json!({"first_name": "=HYPERLINK(\"http://x\")", "last_name": "@SUM(A1)"}),
    );
    let dir = Workdir::new();
    assert_eq!(bcetl(&sb, &dir, &["export", "f.csv", "-q"]).code, 0);
    let rows = csv_rows(&dir.path("f.csv"));
    assert_eq!(rows[0]["First Name"], "'=HYPERLINK(\"http://x\")");
    assert_eq!(rows[0]["Last Name"], "'@SUM(A1)");
    assert_eq!(
        bcetl(&sb, &dir, &["export", "k.csv", "--keep-formulas", "-q"]).code,
        0
    );
    assert_eq!(
        csv_rows(&dir.path("k.csv"))[0]["First Name"],
        "=HYPERLINK(\"http://x\")"
    );

    assert_eq!(bcetl(&sb, &dir, &["export", "f.xlsx", "-q"]).code, 0);
    use calamine::{open_workbook_auto, Reader};
    let mut book = open_workbook_auto(dir.path("f.xlsx")).unwrap();
    let sheet = book.worksheet_range_at(0).unwrap().unwrap();
    let header: Vec<String> = sheet
        .rows()
        .next()
        .unwrap()
        .iter()
        .map(|c| c.to_string())
        .collect();
    let at = header.iter().position(|h| h == "First Name").unwrap();
    // A string cell, never evaluated: the text as it is, without the CSV guard.
    assert_eq!(
        sheet.rows().nth(1).unwrap()[at],
        calamine::Data::String("=HYPERLINK(\"http://x\")".into())
    );
    let mut zip = zip::ZipArchive::new(std::fs::File::open(dir.path("f.xlsx")).unwrap()).unwrap();
    let mut xml = String::new();
    std::io::Read::read_to_string(
        &mut zip.by_name("xl/worksheets/sheet1.xml").unwrap(),
        &mut xml,
    )
    .unwrap();
    assert!(!xml.contains("<f>"), "no formula cell is written: {xml}");
}

#[test]
fn standard_output_closed_early_is_not_an_error() {
    let sb = sandbox_with(|c| c.seed = 400);
    let mut child = Command::new(env!("CARGO_BIN_EXE_bcetl"))
        .args([
            "export",
            "-",
            "--page-size",
            "50",
            "--base-url",
            &sb.sandbox.url,
        ])
        .env("BIGCONTACTS_TOKEN", sb.admin())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert!(first.starts_with("Contact ID,"), "{first}");
    // The reader is gone (like `| head -1`).
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains("rror"), "{stderr}");
}

#[test]
fn an_update_in_the_watermarks_own_second_is_not_missed_and_nothing_is_sent_twice() {
    let sb = sandbox_with(|c| c.seed = 20);
    let dir = Workdir::new();
    let ids: Vec<i64> = {
        let mut ids: Vec<i64> = visible_ids(&sb).into_iter().collect();
        ids.sort();
        ids
    };
    let updated_of = |id: i64| -> String {
        let (_, answer) = sb.call("GET", &format!("/api/contact/{id}.json"), &sb.admin(), None);
        answer["payload"]["updated"]
            .as_str()
            .or_else(|| answer["payload"][0]["updated"].as_str())
            .unwrap()
            .to_string()
    };
    let put = |id: i64, nickname: &str| {
        let (status, _) = sb.call(
            "PUT",
            &format!("/api/contact/{id}.json"),
            &sb.admin(),
            Some(json!({"nickname": nickname})),
        );
        assert_eq!(status, 200);
    };
    // Arrange: X updated, a full run whose watermark is X's second, then Y updated within
    // that same second (retried until the clock obliges; each try takes well under one).
    let (x, y) = (ids[0], ids[1]);
    let mut arranged = false;
    for attempt in 0..20 {
        let _ = std::fs::remove_file(dir.path("s.json"));
        put(x, &format!("x{attempt}"));
        let run = bcetl(&sb, &dir, &["export", "c.csv", "--state", "s.json", "-q"]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        put(y, &format!("y{attempt}"));
        let state: Value = serde_json::from_str(&dir.read("s.json")).unwrap();
        if state["watermark"].as_str() == Some(updated_of(y).as_str()) {
            arranged = true;
            break;
        }
    }
    assert!(
        arranged,
        "could not update a contact within the watermark's second in 20 tries"
    );
    let run = bcetl(&sb, &dir, &["export", "c.csv", "--state", "s.json", "-q"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        exported_ids(&dir.path("c.csv")),
        vec![y],
        "Y, saved in the watermark's second after the last run read it, is exported; X, exported then and unchanged, is not"
    );
}

#[test]
fn activities_tasks_and_users_export_with_their_own_layouts() {
    let sb = sandbox_with(|c| c.seed = 30);
    let token = sb.admin();
    let mut ids: Vec<i64> = visible_ids(&sb).into_iter().collect();
    ids.sort();
    // Contacts with 0 to 3 activities each.
    let mut expected = HashMap::new();
    for (i, id) in ids.iter().take(12).enumerate() {
        for k in 0..i % 4 {
            let (status, made) = sb.call(
                "POST",
                &format!("/api/contact/{id}/activity.json"),
                &token,
                Some(json!({"title": format!("Call {i}.{k}"), "activity_type": "Phone call", "description": "Talked"})),
            );
            assert_eq!(status, 200, "{made}");
            expected.insert(format!("Call {i}.{k}"), *id);
        }
    }
    let dir = Workdir::new();
    let run = bcetl(
        &sb,
        &dir,
        &["export", "activities.csv", "--entity", "activities"],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let rows = csv_rows(&dir.path("activities.csv"));
    assert_eq!(rows.len(), expected.len(), "every activity once");
    for row in &rows {
        assert_eq!(
            row["Contact ID"],
            expected[&row["Title"]].to_string(),
            "{row:?}"
        );
        assert_eq!(row["Type"], "Phone call");
        assert!(row["Contact Email"].contains('@'), "{row:?}");
    }
    let manifest: Value = serde_json::from_str(&dir.read("activities.csv.manifest.json")).unwrap();
    assert_eq!(manifest["entity"], "activities");
    // One request per contact (their activity fits a page), beside the contact listing.
    let activity_reads = sb.stats()["by_endpoint"]["GET /api/contact/{id}/activity"]
        .as_u64()
        .unwrap();
    assert_eq!(
        activity_reads as usize,
        ids.len(),
        "one request per contact"
    );

    // Tasks of the three kinds, assigned by email, with a contact.
    let client_email = csv_rows(&dir.path("activities.csv"))[0]["Contact Email"].clone();
    for (title, event) in [
        ("Follow up", "task_new"),
        ("Lunch", "meeting_new"),
        ("Remember", "note_new"),
    ] {
        let (status, made) = sb.call(
            "POST",
            "/api/tasks.json",
            &token,
            Some(json!({"title": title, "event": event, "due_date": "2024-01-25", "start_date": "2024-01-20",
                "assigned_to": ["paul.farnan@gmail.com"], "contacts": client_email})),
        );
        assert_eq!(status, 200, "{made}");
    }
    let run = bcetl(
        &sb,
        &dir,
        &["export", "tasks.csv", "--entity", "tasks", "-q"],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let tasks = csv_rows(&dir.path("tasks.csv"));
    let events: HashSet<&str> = tasks.iter().map(|t| t["Event"].as_str()).collect();
    assert_eq!(
        events,
        HashSet::from(["task_new", "meeting_new", "note_new"]),
        "{tasks:?}"
    );
    assert!(
        tasks
            .iter()
            .all(|t| t["Due Date"] == "2024-01-25" && t["Start Date"] == "2024-01-20"),
        "{tasks:?}"
    );
    assert!(
        tasks
            .iter()
            .all(|t| t["Assigned To"].contains("paul.farnan@gmail.com") || t["Assigned To"] == "3"),
        "{tasks:?}"
    );

    let run = bcetl(
        &sb,
        &dir,
        &["export", "users.jsonl", "--entity", "users", "-q"],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let users = dir.read_jsonl("users.jsonl");
    assert!(
        users
            .iter()
            .any(|u| u["email"] == "robert.hammond@live.com.ar"),
        "{users:?}"
    );

    // Options that belong to contacts are refused, not ignored.
    let run = bcetl(
        &sb,
        &dir,
        &[
            "export",
            "t.csv",
            "--entity",
            "tasks",
            "--updated-gte",
            "2024-01-01",
        ],
    );
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("select contacts"), "{}", run.stderr);
}

#[test]
fn bad_options_and_files_get_a_clear_error_and_leave_everything_as_it_was() {
    let sb = sandbox_with(|c| c.seed = 5);
    let dir = Workdir::new();
    let fails = |args: &[&str], message: &str| {
        let run = bcetl(&sb, &dir, args);
        assert_eq!(run.code, 2, "{args:?}: {}{}", run.stdout, run.stderr);
        assert!(
            run.stderr.contains(message),
            "{args:?}: expected {message:?} in {}",
            run.stderr
        );
        assert!(!run.stderr.contains("panicked"));
    };
    fails(
        &["export", "out.txt"],
        "out.txt: the extension says no format",
    );
    fails(
        &["export", "-", "--format", "xlsx"],
        "cannot go to standard output",
    );
    fails(&["export", "x.csv", "--format", "pdf"], "--format");
    dir.write(
        "no-id.toml",
        "[fields]\nfirst_name = \"First\"\n[[emails]]\ncolumn = \"Email\"\n",
    );
    fails(
        &[
            "export",
            "x.csv",
            "-m",
            "no-id.toml",
            "--state",
            "s.json",
            "--merge",
            "all.csv",
        ],
        "--merge: the mapping has no column for the contact id",
    );
    dir.write("bad-state.json", "{ this is not json");
    fails(
        &["export", "x.csv", "--state", "bad-state.json"],
        "bad-state.json: not an export state file",
    );
    // A state made with other filters is not mixed with these.
    let run = bcetl(
        &sb,
        &dir,
        &[
            "export",
            "x.csv",
            "--state",
            "s.json",
            "--created-gte",
            "2020-01-01",
            "-q",
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    fails(
        &["export", "x.csv", "--state", "s.json"],
        "the last run used other filters (--created-gte 2020-01-01)",
    );
    assert!(!dir.path("out.txt").exists() && !dir.path("all.csv").exists());
}

#[test]
fn ctrl_c_stops_the_export_and_leaves_the_previous_file() {
    let sb = sandbox_with(|c| {
        c.seed = 400;
        c.faults.latency = Duration::from_millis(100);
    });
    let dir = Workdir::new();
    dir.write("c.csv", "yesterday\n");
    let mut export = Command::new(env!("CARGO_BIN_EXE_bcetl"));
    export
        .current_dir(dir.path(""))
        .args(["export", "c.csv", "--page-size", "10", "--concurrency", "1"])
        .args(["--base-url", &sb.sandbox.url])
        .env("BIGCONTACTS_TOKEN", sb.admin());
    let (out, _) = util::interrupt_after(export, Duration::from_millis(800));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("stopped by Ctrl-C"), "{stderr}");
    assert_eq!(dir.read("c.csv"), "yesterday\n");
    assert!(!dir.path("c.csv.manifest.json").exists());
}

#[test]
fn activity_and_task_mappings_run_in_reverse_on_export() {
    let sb = sandbox();
    let token = sb.admin();
    let dir = Workdir::new();
    let mut ids = HashMap::new();
    for email in [
        "shirley33@hotmail.com",
        "robert.hammond@live.com.ar",
        "mcrae@acme-design.com",
    ] {
        let id = create(
            &sb,
            json!({"first_name": "A", "last_name": "B", "emails": [{"email": email}]}),
        );
        ids.insert(email.to_string(), id);
    }
    // What an import would send, from the dry run of each sample; sent here by hand.
    for (sample, mapping) in [("call-log", "call-log"), ("task-list", "task-list")] {
        let run = dir.bcetl(&[
            "validate",
            &repo_file(&format!("samples/{sample}.csv")),
            "-m",
            &repo_file(&format!("mappings/{mapping}.toml")),
            "--emit",
            &format!("{sample}.jsonl"),
        ]);
        assert_eq!(
            run.code, 1,
            "the samples hold bad rows on purpose: {}",
            run.stdout
        );
    }
    let mut calls = 0;
    for line in dir.read_jsonl("call-log.jsonl") {
        let Some(id) = ids.get(line["contact"].as_str().unwrap()) else {
            continue;
        };
        let (status, made) = sb.call(
            "POST",
            &format!("/api/contact/{id}/activity.json"),
            &token,
            Some(line["body"].clone()),
        );
        assert_eq!(status, 200, "{made}");
        calls += 1;
    }
    for line in dir.read_jsonl("task-list.jsonl") {
        let mut body = line["body"].clone();
        body["contacts"] = line["contact"].clone();
        let (status, made) = sb.call("POST", "/api/tasks.json", &token, Some(body));
        assert_eq!(status, 200, "{made}");
    }

    let run = bcetl(
        &sb,
        &dir,
        &[
            "export",
            "calls.csv",
            "--entity",
            "activities",
            "-m",
            &repo_file("mappings/call-log.toml"),
            "-q",
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let exported = csv_rows(&dir.path("calls.csv"));
    assert_eq!(exported.len(), calls);
    let input = csv_rows(std::path::Path::new(&repo_file("samples/call-log.csv")));
    for row in &exported {
        let source = input
            .iter()
            .find(|r| r["Subject"] == row["Subject"])
            .unwrap_or_else(|| panic!("{row:?} is not in the sample"));
        for column in ["Contact Email", "Subject", "Type", "Notes"] {
            assert_eq!(row[column], source[column], "{column} of {row:?}");
        }
        assert!(!row.contains_key("Date"), "the mapping has no Date column");
    }

    let run = bcetl(
        &sb,
        &dir,
        &[
            "export",
            "tasks.csv",
            "--entity",
            "tasks",
            "-m",
            &repo_file("mappings/task-list.toml"),
            "-q",
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let tasks = csv_rows(&dir.path("tasks.csv"));
    assert_eq!(tasks.len(), 4, "the sample's valid tasks");
    let input = csv_rows(std::path::Path::new(&repo_file("samples/task-list.csv")));
    for task in &tasks {
        let source = input
            .iter()
            .find(|r| r["Subject"] == task["Subject"])
            .unwrap();
        // The calendar dates, the priority word and the contact come back as written; the
        // kind as the mapping's code, and the owner as the first valid user (the API keeps one).
        for column in [
            "Due Date",
            "Start Date",
            "Priority",
            "Contact Email",
            "Done",
            "Details",
        ] {
            assert_eq!(task[column], source[column], "{column} of {task:?}");
        }
        assert_eq!(task["Kind"], source["Kind"].to_lowercase());
        assert!(source["Owner"].starts_with(&task["Owner"]), "{task:?}");
    }

    // A mapping of another entity is refused; so is updating activities (creates only).
    let run = bcetl(
        &sb,
        &dir,
        &[
            "export",
            "x.csv",
            "--entity",
            "tasks",
            "-m",
            &repo_file("mappings/call-log.toml"),
        ],
    );
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("maps rows to activity"),
        "{}",
        run.stderr
    );
    let run = bcetl(
        &sb,
        &dir,
        &[
            "import",
            &repo_file("samples/call-log.csv"),
            "-m",
            &repo_file("mappings/call-log.toml"),
            "--out",
            "imp",
            "--mode",
            "update",
        ],
    );
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .contains("this version creates activities and tasks"),
        "{}",
        run.stderr
    );
}

#[test]
fn users_export_through_a_user_mapping() {
    let sb = sandbox();
    let dir = Workdir::new();
    dir.write(
        "users.toml",
        "entity = \"user\"\n[fields]\nemail = \"Login\"\nfirst_name = \"Given\"\nlast_name = \"Family\"\n",
    );
    let run = bcetl(
        &sb,
        &dir,
        &[
            "export",
            "users.csv",
            "--entity",
            "users",
            "-m",
            "users.toml",
            "-q",
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let text = dir.read("users.csv");
    assert!(text.starts_with("Login,Given,Family"), "{text}");
    let rows = csv_rows(&dir.path("users.csv"));
    assert!(
        rows.iter()
            .any(|r| r["Login"] == "robert.hammond@live.com.ar" && !r["Given"].is_empty()),
        "{rows:?}"
    );
    // Users are read-only: a user mapping does not import.
    dir.write("u.csv", "Login,Given,Family\na@b.com,A,B\n");
    let run = bcetl(
        &sb,
        &dir,
        &["import", "u.csv", "-m", "users.toml", "--out", "u"],
    );
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("users are read-only"), "{}", run.stderr);
}

#[test]
fn faults_and_a_server_limit_below_the_clients_leave_every_contact_once() {
    let sb = sandbox_with(|c| {
        c.seed = 700;
        c.faults.fail_rate = 0.15;
        c.faults.drop_rate = 0.1;
        c.faults.rate = Some(20);
        c.faults.burst = Some(5);
        c.faults.seed = 3;
    });
    let dir = Workdir::new();
    let run = bcetl(
        &sb,
        &dir,
        &[
            "export",
            "f.csv",
            "--page-size",
            "50",
            "--rate",
            "40",
            "--burst",
            "10",
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let ids = exported_ids(&dir.path("f.csv"));
    let expected = visible_ids(&sb);
    assert_once(&ids, &expected);
    assert_eq!(ids.len(), expected.len());
    let summary: Value = serde_json::from_str(&dir.read("f.csv.manifest.json")).unwrap();
    let stats = sb.stats();
    assert!(
        summary["summary"]["retries"].as_u64().unwrap() > 0,
        "the faults hit: {stats}"
    );
    assert!(
        summary["summary"]["rate_limited"].as_u64().unwrap() > 0,
        "429s came: {summary}"
    );
    assert!(
        stats["failures_injected"].as_u64().unwrap() > 0
            && stats["dropped_after_write"].as_u64().unwrap()
                + stats["dropped_before_write"].as_u64().unwrap_or(0)
                > 0,
        "{stats}"
    );
}
