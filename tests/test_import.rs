//! `bcetl import` against the sandbox over HTTP: every valid row created exactly once, every
//! row listed once in success.csv or errors.csv, whatever the server, the network or the
//! operator does (faults, kill -9, Ctrl-C), checked in the sandbox's own database.

mod util;

use std::collections::HashMap;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::Value;
use util::{kill_after, sandbox, sandbox_with, Run, TestSandbox, Workdir};

const MAPPING: &str = r#"
[fields]
first_name = "First"
last_name = "Last"
date_of_birth = { column = "Birthday", date = ["%m/%d/%Y"] }
[[emails]]
column = "Email"
[[phones]]
column = "Phone"
type = "M"
[[addresses]]
city = "City"
[custom_fields]
"Legacy ID" = "Legacy"
"#;

/// `n` rows; every row whose index is a multiple of `bad_every` has an email that is not one.
fn people(n: usize, bad_every: usize) -> String {
    let mut text = String::from("First,Last,Email,Phone,City,Birthday,Legacy\n");
    for i in 0..n {
        let email = if bad_every > 0 && i % bad_every == bad_every - 1 {
            format!("not-an-email-{i}")
        } else {
            format!("p{i}@example.com")
        };
        text.push_str(&format!(
            "F{i},L{i},{email},+1 404 555 {:04},City {},12/{:02}/1980,LEG-{i}\n",
            i % 10_000,
            i % 7,
            i % 28 + 1
        ));
    }
    text
}

fn bcetl_import(sb: &TestSandbox, dir: &Workdir, extra: &[&str]) -> Command {
    bcetl_import_to(sb, dir, "out", extra)
}

fn bcetl_import_to(sb: &TestSandbox, dir: &Workdir, out: &str, extra: &[&str]) -> Command {
    let mut cmd = sb.command(
        dir,
        &[
            "import",
            "in.csv",
            "--mapping",
            "m.toml",
            "--out",
            out,
            "-q",
        ],
    );
    cmd.args(extra);
    cmd
}

fn run(cmd: Command) -> Run {
    util::run_command(cmd)
}

/// `bcetl rollback OUT --yes` against the sandbox.
fn bcetl_rollback(sb: &TestSandbox, dir: &Workdir, out: &str) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_bcetl"));
    cmd.current_dir(dir.path(""))
        .args(["rollback", out, "--yes", "--base-url", &sb.sandbox.url])
        .args(["--rate", "1000"])
        .env("BIGCONTACTS_TOKEN", sb.admin())
        .stdin(Stdio::null());
    run(cmd)
}

/// How many contacts hold each email, read from the sandbox's database.
fn contacts_by_email(db: &Path) -> HashMap<String, usize> {
    let conn = rusqlite::Connection::open(db).unwrap();
    let mut stmt = conn.prepare("SELECT doc FROM contacts").unwrap();
    let docs: Vec<String> = stmt
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let mut counts = HashMap::new();
    for doc in docs {
        let doc: Value = serde_json::from_str(&doc).unwrap();
        for list in ["emails", "office_emails"] {
            for e in doc[list].as_array().into_iter().flatten() {
                *counts
                    .entry(e["email"].as_str().unwrap().to_string())
                    .or_default() += 1;
            }
        }
    }
    counts
}

/// Asserts the import of `people(n, bad_every)` is complete and exactly once: in the
/// database and in the two output files.
fn assert_exactly_once(sb: &TestSandbox, dir: &Workdir, n: usize, bad_every: usize) {
    let counts = contacts_by_email(&sb.db);
    let mut missing = Vec::new();
    for i in 0..n {
        if bad_every > 0 && i % bad_every == bad_every - 1 {
            continue;
        }
        match counts.get(&format!("p{i}@example.com")) {
            Some(1) => {}
            Some(k) => panic!("p{i}@example.com exists {k} times"),
            None => missing.push(i),
        }
    }
    assert!(missing.is_empty(), "rows never created: {missing:?}");
    let valid = n - n.checked_div(bad_every).unwrap_or(0);
    assert_eq!(counts.len(), valid, "no contact beyond the file's");

    let mut rows: Vec<usize> = Vec::new();
    let success = csv::Reader::from_path(dir.path("out/success.csv")).unwrap();
    let mut ids = std::collections::HashSet::new();
    for record in success.into_records() {
        let record = record.unwrap();
        rows.push(record[0].parse().unwrap());
        assert!(
            ids.insert(record[2].to_string()),
            "contact {} twice",
            &record[2]
        );
    }
    assert_eq!(rows.len(), valid);
    let mut errors = csv::Reader::from_path(dir.path("out/errors.csv")).unwrap();
    let headers = errors.headers().unwrap().clone();
    assert_eq!(
        headers.iter().collect::<Vec<_>>(),
        ["First", "Last", "Email", "Phone", "City", "Birthday", "Legacy", "row", "reason"]
    );
    for record in errors.into_records() {
        rows.push(record.unwrap()[7].parse().unwrap());
    }
    rows.sort_unstable();
    let expected: Vec<usize> = (2..n + 2).collect();
    assert_eq!(rows, expected, "every row once, in one of the two files");
}

fn setup(n: usize, bad_every: usize) -> Workdir {
    let dir = Workdir::new();
    dir.write("in.csv", people(n, bad_every));
    dir.write("m.toml", MAPPING);
    dir
}

#[test]
fn a_migration_creates_every_valid_row_once_with_its_fields() {
    let sb = sandbox();
    let dir = setup(40, 10);
    let r = run(bcetl_import(&sb, &dir, &[]));
    assert_eq!(r.code, 1, "four invalid rows: {}{}", r.stdout, r.stderr);
    assert!(
        r.stdout
            .contains("36 created, 0 updated, 0 unchanged, 0 deleted, 4 invalid"),
        "{}",
        r.stdout
    );
    assert_exactly_once(&sb, &dir, 40, 10);
    let errors = dir.read("out/errors.csv");
    assert!(
        errors.contains(
            "F9,L9,not-an-email-9,'+1 404 555 0009,City 2,12/10/1980,LEG-9,11,\"Email: \"\"not-an-email-9\"\" is not an email address: no @\""
        ),
        "the row as read (guarded against formulas), its number and why: {errors}"
    );
    // The guard comes off when bcetl reads the file back: the fixed row imports as it was.
    let table = bcetl::read::open(&dir.path("out/errors.csv"), &Default::default()).unwrap();
    let first = table.rows.take(1).next().unwrap().unwrap();
    assert_eq!(first.cell(3), "+1 404 555 0009");

    // Field by field, one contact as the server holds it.
    let (_, found) = sb.call(
        "GET",
        "/api/contacts.json?q=p12@example.com",
        &sb.admin(),
        None,
    );
    let contact = &found["payload"][0];
    assert_eq!(contact["first_name"], "F12");
    assert_eq!(contact["phones"][0]["phone"], "+1 404 555 0012");
    assert_eq!(contact["phones"][0]["type"], "M");
    assert_eq!(contact["addresses"][0]["city"], "City 5");
    assert!(contact["date_of_birth"]
        .as_str()
        .unwrap()
        .starts_with("1980-12-13"));
    assert_eq!(contact["custom_fields"][0]["value"], "LEG-12");

    let summary: Value = serde_json::from_str(&dir.read("out/summary.json")).unwrap();
    assert_eq!(summary["rows"]["created"], 36);
    assert_eq!(summary["rows"]["invalid"], 4);
    assert_eq!(summary["this_run"]["creates_sent"], 36);

    // Run again: nothing is sent twice.
    let before = sb.stats()["by_endpoint"]["POST /api/contacts"].as_u64();
    let r = run(bcetl_import(&sb, &dir, &[]));
    assert_eq!(r.code, 1);
    assert_eq!(
        sb.stats()["by_endpoint"]["POST /api/contacts"].as_u64(),
        before
    );
    assert_exactly_once(&sb, &dir, 40, 10);
}

#[test]
fn faults_leave_every_row_exactly_once() {
    let sb = sandbox_with(|c| {
        c.faults.fail_rate = 0.1;
        c.faults.drop_rate = 0.04;
        c.faults.rate = Some(400);
        c.faults.seed = 7;
    });
    let dir = setup(600, 50);
    let r = run(bcetl_import(
        &sb,
        &dir,
        &["--rate", "1000", "--burst", "20", "--concurrency", "8"],
    ));
    let stats = sb.stats();
    assert!(
        stats["dropped_after_write"].as_u64().unwrap() > 0
            && stats["failures_injected"].as_u64().unwrap() > 0,
        "the faults happened: {stats}"
    );
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert_exactly_once(&sb, &dir, 600, 50);
}

#[test]
fn kill_9_at_several_moments_then_resume_is_exactly_once() {
    let sb = sandbox_with(|c| c.faults.latency = Duration::from_millis(5));
    let n = 400;
    let dir = setup(n, 0);
    for (round, after_ms) in [150u64, 400, 250, 600].into_iter().enumerate() {
        let import = bcetl_import(&sb, &dir, &["--rate", "1000", "--concurrency", "4"]);
        if kill_after(import, Duration::from_millis(after_ms)) {
            eprintln!("round {round}: finished before the kill");
        }
    }
    let r = run(bcetl_import(&sb, &dir, &["--rate", "1000"]));
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert_exactly_once(&sb, &dir, n, 0);
}

#[cfg(unix)]
#[test]
fn ctrl_c_stops_cleanly_and_the_same_command_resumes() {
    let sb = sandbox_with(|c| c.faults.latency = Duration::from_millis(20));
    let n = 300;
    let dir = setup(n, 0);
    let import = bcetl_import(&sb, &dir, &["--rate", "1000", "--concurrency", "2"]);
    let (out, _) = util::interrupt_after(import, Duration::from_millis(700));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    assert!(
        stderr.contains("Resume with:") && stderr.contains("import in.csv"),
        "{stderr}"
    );
    let done_before = contacts_by_email(&sb.db).len();
    assert!(
        done_before > 0 && done_before < n,
        "stopped part way: {done_before}"
    );

    let r = run(bcetl_import(&sb, &dir, &["--rate", "1000"]));
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert_exactly_once(&sb, &dir, n, 0);
}

/// A writer takes at least 4 rows at a time; at one request every two seconds that is 8 s of
/// work. Ctrl-C must not wait for it: the rows not sent are withdrawn from the journal, so
/// the next run sends them without a look-up.
#[cfg(unix)]
#[test]
fn ctrl_c_does_not_wait_for_a_slow_chunk_and_unsent_rows_need_no_lookup() {
    let sb = sandbox();
    let n = 40;
    let dir = setup(n, 0);
    let import = bcetl_import(
        &sb,
        &dir,
        &["--rate", "0.5", "--burst", "1", "--concurrency", "1"],
    );
    // After the first request, a second before the next: waiting for the chunk would be
    // waiting five more seconds.
    let (out, stopping) = util::interrupt_after(import, Duration::from_millis(1000));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    assert!(
        stopping < Duration::from_secs(3),
        "stopped after {stopping:?}, not at the end of the chunk"
    );
    let done_before = contacts_by_email(&sb.db).len();
    assert!(
        (1..n).contains(&done_before),
        "stopped part way: {done_before}"
    );

    let r = run(bcetl_import(&sb, &dir, &["--rate", "1000"]));
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let summary: Value = serde_json::from_str(&dir.read("out/summary.json")).unwrap();
    assert_eq!(
        summary["this_run"]["requests"].as_u64(),
        Some((n - done_before) as u64),
        "one create per row left, no look-ups: {summary}"
    );
    assert_exactly_once(&sb, &dir, n, 0);
}

/// A second import into a folder another one is using is refused with why, sends nothing,
/// and the first goes on to import every row once.
#[test]
fn a_second_import_into_a_folder_in_use_is_refused() {
    let sb = sandbox();
    let n = 30;
    let dir = setup(n, 0);
    let mut first = bcetl_import(&sb, &dir, &["--rate", "5", "--burst", "1"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(800));
    let second = run(bcetl_import(&sb, &dir, &["--rate", "1000"]));
    second.fails_with(2, "another bcetl is using this journal");
    assert!(first.try_wait().unwrap().is_none(), "the first still runs");
    let status = first.wait().unwrap();
    assert!(status.success(), "the first import finished: {status}");
    let creates = sb.stats()["by_endpoint"]["POST /api/contacts"].as_u64();
    assert_eq!(
        creates,
        Some(n as u64),
        "only the first sent creates, one per row"
    );
    assert_exactly_once(&sb, &dir, n, 0);
}

/// API calls go on bcetl's own HTTP client unless the environment names a proxy for the
/// server; then they go through the proxy (here one that is not there, so nothing is sent),
/// and `NO_PROXY` takes the server out again.
#[test]
fn a_proxy_named_in_the_environment_is_used_and_no_proxy_is_honoured() {
    let sb = sandbox();
    let dir = setup(3, 0);
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let proxy = format!("http://{}", dead.local_addr().unwrap());
    drop(dead);
    let mut through_proxy = bcetl_import(&sb, &dir, &[]);
    through_proxy
        .env("HTTP_PROXY", &proxy)
        .env("http_proxy", &proxy)
        .env_remove("NO_PROXY")
        .env_remove("no_proxy");
    let r = run(through_proxy);
    assert_ne!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let errors = dir.read("out/errors.csv");
    assert!(
        errors.lines().skip(1).count() == 3 && errors.contains("onnect"),
        "each row failed on the connection to the proxy: {errors}"
    );
    assert_eq!(
        contacts_by_email(&sb.db).len(),
        0,
        "nothing reached the server"
    );

    let mut excluded = bcetl_import(&sb, &dir, &[]);
    excluded
        .env("HTTP_PROXY", &proxy)
        .env("http_proxy", &proxy)
        .env("NO_PROXY", "127.0.0.1")
        .env("no_proxy", "127.0.0.1");
    let r = run(excluded);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert_exactly_once(&sb, &dir, 3, 0);
}

#[test]
fn a_journal_refuses_a_changed_input_and_a_dry_run_sends_nothing() {
    let sb = sandbox();
    let dir = setup(5, 0);
    let r = run(bcetl_import(&sb, &dir, &["--dry-run"]));
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let requests = dir.read_jsonl("out/requests.jsonl");
    assert_eq!(requests.len(), 5);
    assert_eq!(requests[0]["body"]["emails"][0]["email"], "p0@example.com");
    assert!(sb.stats()["by_endpoint"]
        .get("POST /api/contacts")
        .is_none());

    let r = run(bcetl_import(&sb, &dir, &[]));
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    dir.write("in.csv", people(6, 0));
    let r = run(bcetl_import(&sb, &dir, &[]));
    r.fails_with(2, "input differs");
    assert_eq!(
        contacts_by_email(&sb.db).len(),
        5,
        "nothing sent for the changed file"
    );

    // The same input against another server: the journal's rows were never sent there.
    dir.write("in.csv", people(5, 0));
    let other = sandbox();
    let r = run(bcetl_import(&other, &dir, &[]));
    r.fails_with(2, "server differs");
    assert_eq!(contacts_by_email(&other.db).len(), 0);
}

#[test]
fn rows_that_share_an_email_on_purpose_each_get_their_own_contact_under_faults() {
    let sb = sandbox_with(|c| {
        c.faults.drop_rate = 0.2;
        c.faults.seed = 3;
    });
    let dir = Workdir::new();
    let mut text = String::from("First,Last,Email,Phone,City,Birthday,Legacy\n");
    for i in 0..80 {
        // Rows 2k and 2k+1 are the same person twice.
        let k = i / 2;
        text.push_str(&format!("Twin{k},Same,t{k}@example.com,,,,\n"));
    }
    dir.write("in.csv", text);
    dir.write("m.toml", MAPPING);
    let r = run(bcetl_import(
        &sb,
        &dir,
        &["--rate", "1000", "--concurrency", "4"],
    ));
    let stats = sb.stats();
    assert!(
        stats["dropped_after_write"].as_u64().unwrap() > 0,
        "{stats}"
    );
    let counts = contacts_by_email(&sb.db);
    for k in 0..40 {
        let email = format!("t{k}@example.com");
        assert_eq!(
            counts.get(&email),
            Some(&2),
            "{email}: {}{}",
            r.stdout,
            r.stderr
        );
    }
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
}

#[test]
fn bad_input_is_refused_before_any_request() {
    let sb = sandbox();
    let dir = Workdir::new();
    dir.write("in.csv", "First,Last\nA,B\n");
    dir.write("m.toml", MAPPING);
    let r = run(bcetl_import(&sb, &dir, &[]));
    r.fails_with(2, "m.toml");
    assert!(
        r.stderr.contains("\"Email\" is not in the file"),
        "{}",
        r.stderr
    );
    assert_eq!(
        sb.stats()["by_endpoint"],
        serde_json::json!({}),
        "no API request"
    );
    let r = run(bcetl_import(
        &sb,
        &dir,
        &["--mode", "update", "--match", "name"],
    ));
    r.fails_with(2, "expected email, id, or custom:NAME");
    dir.write("in.csv", people(3, 0));
    let r = run(bcetl_import(
        &sb,
        &dir,
        &["--mode", "update", "--match", "id"],
    ));
    r.fails_with(
        2,
        "--match id: the mapping has no column for the contact id",
    );
    assert_eq!(
        sb.stats()["by_endpoint"],
        serde_json::json!({}),
        "no API request"
    );
}

#[test]
fn rollback_deletes_what_the_import_created_and_the_import_can_run_again() {
    let sb = sandbox_with(|c| {
        c.faults.drop_rate = 0.1;
        c.faults.seed = 11;
    });
    // A contact that was there before the import: the rollback must leave it. Sent until
    // the dice let it through (the sandbox drops a tenth of all requests).
    for _ in 0..50 {
        let _ = sb
            .http
            .post(sb.url("/api/contacts.json"))
            .bearer_auth(sb.admin())
            .json(&serde_json::json!({"first_name": "Kept", "last_name": "Before", "emails": [{"email": "p3@example.com"}]}))
            .send();
        if contacts_by_email(&sb.db).contains_key("p3@example.com") {
            break;
        }
    }
    assert_eq!(contacts_by_email(&sb.db).len(), 1);
    let n = 50;
    let dir = setup(n, 0);
    let r = run(bcetl_import(&sb, &dir, &["--rate", "1000"]));
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);

    let rollback = |yes: bool| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_bcetl"));
        cmd.current_dir(dir.path(""))
            .args([
                "rollback",
                "out",
                "--base-url",
                &sb.sandbox.url,
                "--rate",
                "1000",
            ])
            .env("BIGCONTACTS_TOKEN", sb.admin())
            .stdin(Stdio::null());
        if yes {
            cmd.arg("--yes");
        }
        run(cmd)
    };
    rollback(false).fails_with(2, "give --yes");
    let r = rollback(true);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains("50 contacts deleted") || r.stdout.contains("already gone"),
        "{}",
        r.stdout
    );
    let left = contacts_by_email(&sb.db);
    let kept: Vec<_> = left.keys().collect();
    assert_eq!(
        kept,
        ["p3@example.com"],
        "only the contact from before remains"
    );

    let r = rollback(true);
    assert!(
        r.stdout
            .contains("created or changed no contact that is still there"),
        "{}",
        r.stdout
    );

    // Imported again after the rollback: created again, once each.
    let r = run(bcetl_import(&sb, &dir, &["--rate", "1000"]));
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let counts = contacts_by_email(&sb.db);
    assert_eq!(
        counts.get("p3@example.com"),
        Some(&2),
        "the earlier one and the import's"
    );
    assert_eq!(counts.len(), n);
}

#[test]
fn every_answer_form_at_once_with_faults_then_rollback() {
    let sb = sandbox_with(|c| {
        c.forms = bcetl::sandbox::AnswerForms {
            delete_as_list: true,
            errors_keyed_result: true,
            errors_without_payload: true,
            max_results: Some(2),
            html_proxy_errors: true,
            escaped_json: true,
            utc_offset_minutes: Some(-180),
            json_bodies_only: true,
        };
        c.faults.fail_rate = 0.1;
        c.faults.drop_rate = 0.1;
        c.faults.seed = 21;
    });
    let dir = setup(120, 0);
    let r = run(bcetl_import(
        &sb,
        &dir,
        &["--rate", "1000", "--concurrency", "4"],
    ));
    assert!(
        sb.stats()["dropped_after_write"].as_u64().unwrap() > 0,
        "{}",
        sb.stats()
    );
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert_exactly_once(&sb, &dir, 120, 0);

    let r = bcetl_rollback(&sb, &dir, "out");
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(contacts_by_email(&sb.db).is_empty(), "{}", r.stdout);
}

/// The contact holding `email`, as the server returns it.
fn contact_with(sb: &TestSandbox, email: &str) -> Value {
    let (_, found) = sb.call(
        "GET",
        &format!("/api/contacts.json?q={email}"),
        &sb.admin(),
        None,
    );
    let all = found["payload"].as_array().cloned().unwrap_or_default();
    assert_eq!(all.len(), 1, "one contact with {email}: {found}");
    all[0].clone()
}

fn phones(contact: &Value) -> Vec<String> {
    contact["phones"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| p["phone"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn upsert_updates_what_changed_merges_lists_and_rollback_restores() {
    let sb = sandbox();
    let dir = setup(12, 0);
    let r = run(bcetl_import(&sb, &dir, &["--rate", "1000"]));
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let posts = |sb: &TestSandbox| sb.stats()["by_endpoint"]["POST /api/contacts"].as_u64();
    let puts = |sb: &TestSandbox| {
        sb.stats()["by_endpoint"]["PUT /api/contact/{id}"]
            .as_u64()
            .unwrap_or(0)
    };
    let upsert = |out: &str, extra: &[&str]| {
        let mut cmd = bcetl_import_to(&sb, &dir, out, &["--rate", "1000", "--mode", "upsert"]);
        cmd.args(extra);
        run(cmd)
    };

    // The same file again: nothing to change, nothing created.
    let before_posts = posts(&sb);
    let r = upsert("up1", &[]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains("0 created, 0 updated, 12 unchanged"),
        "{}",
        r.stdout
    );
    assert_eq!((posts(&sb), puts(&sb)), (before_posts, 0));

    // One cell changed: that contact alone is updated; its phones merged, not replaced.
    let mut text = people(12, 0);
    text = text.replace("+1 404 555 0005", "+1 404 555 9999");
    text.push_str("New,Person,new@example.com,+1 404 555 7777,City 0,01/01/1990,LEG-new\n");
    dir.write("in.csv", text);
    let r = upsert("up2", &[]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains("1 created, 1 updated, 11 unchanged"),
        "{}",
        r.stdout
    );
    assert_eq!(puts(&sb), 1);
    let p5 = contact_with(&sb, "p5@example.com");
    assert_eq!(phones(&p5), ["+1 404 555 0005", "+1 404 555 9999"]);
    assert_eq!(p5["first_name"], "F5", "fields the row did not change stay");
    let success = dir.read("up2/success.csv");
    assert!(
        success.contains(",updated,") && success.contains(",created,"),
        "{success}"
    );

    // --replace-lists sends the row's list alone.
    let r = upsert("up3", &["--replace-lists"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert_eq!(
        phones(&contact_with(&sb, "p5@example.com")),
        ["+1 404 555 9999"]
    );

    // Rollback of the merge run: p5 back as it was before it, the new contact deleted.
    let r = bcetl_rollback(&sb, &dir, "up3");
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("1 restored"), "{}", r.stdout);
    assert_eq!(
        phones(&contact_with(&sb, "p5@example.com")),
        ["+1 404 555 0005", "+1 404 555 9999"],
        "as up2 left it"
    );
    let r = bcetl_rollback(&sb, &dir, "up2");
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert_eq!(
        phones(&contact_with(&sb, "p5@example.com")),
        ["+1 404 555 0005"]
    );
    assert!(!contacts_by_email(&sb.db).contains_key("new@example.com"));
}

#[test]
fn update_and_upsert_never_guess_an_ambiguous_or_missing_key() {
    let sb = sandbox();
    for _ in 0..2 {
        let (status, _) = sb.call(
            "POST",
            "/api/contacts.json",
            &sb.admin(),
            Some(serde_json::json!({"first_name": "Twin", "last_name": "X", "emails": [{"email": "p1@example.com"}]})),
        );
        assert_eq!(status, 200);
    }
    let dir = setup(3, 0);
    let r = run(bcetl_import(&sb, &dir, &["--mode", "update"]));
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    let errors = dir.read("out/errors.csv");
    assert!(
        errors.contains("ambiguous: several contacts have the email p1@example.com"),
        "{errors}"
    );
    assert!(
        errors.contains("no contact has the email p0@example.com"),
        "{errors}"
    );
    assert_eq!(contacts_by_email(&sb.db).len(), 1, "update created nothing");

    let r = run(bcetl_import_to(&sb, &dir, "out2", &["--mode", "upsert"]));
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    let counts = contacts_by_email(&sb.db);
    assert_eq!(
        counts.get("p0@example.com"),
        Some(&1),
        "upsert created the missing"
    );
    assert_eq!(
        counts.get("p1@example.com"),
        Some(&2),
        "the ambiguous left alone"
    );
    assert!(dir.read("out2/errors.csv").contains("ambiguous"));
}

#[test]
fn upsert_under_faults_changes_each_contact_once_and_creates_no_duplicate() {
    let faulty = sandbox_with(|c| {
        c.faults.fail_rate = 0.1;
        c.faults.drop_rate = 0.15;
        c.faults.seed = 8;
    });
    let dir = setup(60, 0);
    let r = run(bcetl_import(&faulty, &dir, &["--rate", "1000"]));
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    // Every phone changed, ten new people.
    let mut text = people(60, 0).replace("+1 404 555 00", "+1 404 555 77");
    for i in 0..10 {
        text.push_str(&format!("N{i},M{i},n{i}@example.com,,,,\n"));
    }
    dir.write("in.csv", text);
    let r = run(bcetl_import_to(
        &faulty,
        &dir,
        "up",
        &["--rate", "1000", "--mode", "upsert", "--concurrency", "4"],
    ));
    assert!(
        faulty.stats()["dropped_after_write"].as_u64().unwrap() > 0,
        "{}",
        faulty.stats()
    );
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let counts = contacts_by_email(&faulty.db);
    assert_eq!(counts.len(), 70, "sixty updated, ten created");
    assert!(counts.values().all(|&n| n == 1), "no duplicate: {counts:?}");
    // Read in the database: the sandbox's faults would hit a check made through the API.
    let conn = rusqlite::Connection::open(&faulty.db).unwrap();
    for i in [0, 17, 59] {
        let email = format!("p{i}@example.com");
        let doc: String = conn
            .query_row(
                "SELECT doc FROM contacts WHERE instr(search, ?1) > 0",
                [&email],
                |r| r.get(0),
            )
            .unwrap();
        let c: Value = serde_json::from_str(&doc).unwrap();
        assert_eq!(
            phones(&c),
            [
                format!("+1 404 555 00{i:02}"),
                format!("+1 404 555 77{i:02}")
            ],
            "the old phone kept, the new added once"
        );
    }
}

#[test]
fn a_plan_reads_only_and_gives_the_counts_the_run_then_produces() {
    let sb = sandbox();
    let dir = setup(10, 0);
    let r = run(bcetl_import(&sb, &dir, &["--rate", "1000"]));
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    // Rows 0–9 exist; the file now changes one, adds four (one of them invalid), and
    // names an email two contacts share.
    for _ in 0..2 {
        sb.call(
            "POST",
            "/api/contacts.json",
            &sb.admin(),
            Some(serde_json::json!({"first_name": "Dup", "last_name": "Dup", "emails": [{"email": "p14@example.com"}]})),
        );
    }
    let text = people(15, 0)
        .replace("+1 404 555 0003", "+1 404 555 3333")
        .replace("p12@example.com", "not-an-email");
    dir.write("in.csv", text);
    let writes = |sb: &TestSandbox| {
        let e = &sb.stats()["by_endpoint"];
        e["POST /api/contacts"].as_u64().unwrap_or(0)
            + e["PUT /api/contact/{id}"].as_u64().unwrap_or(0)
    };
    let before = writes(&sb);
    let r = run(bcetl_import_to(
        &sb,
        &dir,
        "up",
        &["--mode", "upsert", "--plan", "--rate", "10"],
    ));
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert_eq!(writes(&sb), before, "a plan sends nothing");
    assert!(
        r.stdout
            .contains("3 to create, 1 to update, 0 to delete, 9 unchanged, 1 invalid, 1 refused"),
        "{}",
        r.stdout
    );
    let plan = dir.read("up/plan.csv");
    assert!(
        plan.contains("5,update,1003,p3@example.com,\"phones: + \"\"+1 404 555 3333\"\" (M)\""),
        "{plan}"
    );
    assert!(
        plan.contains("16,refused,,p14@example.com,\"ambiguous"),
        "{plan}"
    );

    let r = run(bcetl_import_to(
        &sb,
        &dir,
        "up",
        &["--mode", "upsert", "--rate", "1000"],
    ));
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout
            .contains("3 created, 1 updated, 9 unchanged, 0 deleted, 1 invalid, 1 rejected"),
        "the run does what the plan said: {}",
        r.stdout
    );
}

#[test]
fn upsert_matches_on_an_external_id_in_a_custom_field() {
    let sb = sandbox();
    let dir = setup(6, 0);
    let r = run(bcetl_import(&sb, &dir, &["--rate", "1000"]));
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    // The people changed their emails; the legacy id still names them.
    dir.write(
        "in.csv",
        people(6, 0).replace("@example.com", "@new.example.org"),
    );
    let r = run(bcetl_import_to(
        &sb,
        &dir,
        "by-id",
        &[
            "--mode",
            "upsert",
            "--match",
            "custom:Legacy ID",
            "--rate",
            "1000",
        ],
    ));
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("0 created, 6 updated"), "{}", r.stdout);
    let counts = contacts_by_email(&sb.db);
    assert_eq!(
        counts.len(),
        12,
        "each contact has its old and its new email"
    );
    assert_eq!(counts.get("p4@new.example.org"), Some(&1));
    let r = run(bcetl_import_to(
        &sb,
        &dir,
        "bad",
        &["--mode", "upsert", "--match", "legacy"],
    ));
    r.fails_with(2, "expected email, id, or custom:NAME");
}

#[test]
fn delete_asks_first_deletes_once_under_drops_and_rollback_recreates() {
    let sb = sandbox_with(|c| {
        c.faults.drop_rate = 0.2;
        c.faults.seed = 5;
    });
    let dir = setup(8, 0);
    let r = run(bcetl_import(&sb, &dir, &["--rate", "1000"]));
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    // Rows for p2..p5, and one for an email no contact has.
    let all = people(8, 0);
    let mut lines: Vec<&str> = all.lines().collect();
    let header = lines.remove(0);
    let mut text = format!("{header}\n");
    for line in &lines[2..6] {
        text.push_str(line);
        text.push('\n');
    }
    text.push_str("Gone,Person,gone@example.com,,,,\n");
    dir.write("in.csv", text);

    let mut cmd = bcetl_import_to(&sb, &dir, "del", &["--mode", "delete", "--rate", "1000"]);
    cmd.stdin(Stdio::null());
    run(cmd).fails_with(2, "would delete 4 contacts");
    assert_eq!(
        contacts_by_email(&sb.db).len(),
        8,
        "nothing deleted without --yes"
    );

    let r = run(bcetl_import_to(
        &sb,
        &dir,
        "del",
        &[
            "--mode",
            "delete",
            "--yes",
            "--rate",
            "1000",
            "--concurrency",
            "2",
        ],
    ));
    assert_eq!(r.code, 1, "the missing one: {}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("4 deleted"), "{}", r.stdout);
    let left: Vec<String> = {
        let mut v: Vec<String> = contacts_by_email(&sb.db).into_keys().collect();
        v.sort();
        v
    };
    assert_eq!(
        left,
        [
            "p0@example.com",
            "p1@example.com",
            "p6@example.com",
            "p7@example.com"
        ]
    );
    assert!(dir
        .read("del/errors.csv")
        .contains("no contact has the email gone@example.com"));

    let r = bcetl_rollback(&sb, &dir, "del");
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("4 re-created"), "{}", r.stdout);
    let counts = contacts_by_email(&sb.db);
    assert_eq!(counts.len(), 8, "{counts:?}");
    assert!(counts.values().all(|&n| n == 1), "{counts:?}");
}

#[test]
fn update_by_id_found_row_by_row_and_blank_cells_clear_when_asked() {
    let sb = sandbox();
    let dir = setup(12, 0);
    let r = run(bcetl_import(&sb, &dir, &["--rate", "1000"]));
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    // A file keyed by the ids the import gave: new first names, birthdays blanked, and a
    // row naming an id no contact has.
    let mut ids = HashMap::new();
    for record in csv::Reader::from_path(dir.path("out/success.csv"))
        .unwrap()
        .records()
    {
        let record = record.unwrap();
        ids.insert(
            record[0].parse::<usize>().unwrap() - 2,
            record[2].parse::<i64>().unwrap(),
        );
    }
    let mut text = String::from("Id,First,Email,Birthday\n");
    for i in 0..4 {
        text.push_str(&format!("{},G{i},p{i}@example.com,\n", ids[&i]));
    }
    text.push_str("999999,Nobody,nobody@example.com,\n");
    dir.write("by-id.csv", text);
    dir.write(
        "by-id.toml",
        "[fields]\nid = \"Id\"\nfirst_name = \"First\"\ndate_of_birth = { column = \"Birthday\", date = [\"%m/%d/%Y\"] }\n[[emails]]\ncolumn = \"Email\"\n",
    );
    let by_id = |out: &str, extra: &[&str]| {
        let mut cmd = sb.command(
            &dir,
            &[
                "import",
                "by-id.csv",
                "-m",
                "by-id.toml",
                "--out",
                out,
                "--match",
                "id",
                "--rate",
                "1000",
            ],
        );
        cmd.args(extra);
        run(cmd)
    };
    let gets_by_id = |sb: &TestSandbox| {
        sb.stats()["by_endpoint"]["GET /api/contact/{id}"]
            .as_u64()
            .unwrap_or(0)
    };
    let listings = |sb: &TestSandbox| {
        sb.stats()["by_endpoint"]["GET /api/contacts"]
            .as_u64()
            .unwrap_or(0)
    };

    // Leaving blanks (the default): names change, birthdays stay.
    let (gets, lists) = (gets_by_id(&sb), listings(&sb));
    let r = by_id("leave", &["--mode", "update", "--lookup", "per-row"]);
    assert_eq!(
        r.code, 1,
        "the unknown id is refused: {}{}",
        r.stdout, r.stderr
    );
    assert!(r.stdout.contains("0 created, 4 updated"), "{}", r.stdout);
    assert_eq!(gets_by_id(&sb) - gets, 5, "one read per row");
    assert_eq!(
        listings(&sb),
        lists,
        "no listing read: the rows were looked up one by one"
    );
    let p1 = contact_with(&sb, "p1@example.com");
    assert_eq!(p1["first_name"], "G1");
    assert!(
        p1["date_of_birth"]
            .as_str()
            .is_some_and(|d| d.starts_with("1980-12-02")),
        "{p1}"
    );
    assert!(dir
        .read("leave/errors.csv")
        .contains("no contact has the id 999999"));

    // --blank clear: the blank birthday clears the field.
    let r = by_id("clear", &["--mode", "update", "--blank", "clear"]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("0 created, 4 updated"), "{}", r.stdout);
    let p1 = contact_with(&sb, "p1@example.com");
    assert!(
        p1["date_of_birth"].as_str().is_none_or(str::is_empty),
        "{p1}"
    );
    assert_eq!(
        contact_with(&sb, "p5@example.com")["date_of_birth"]
            .as_str()
            .map(|d| &d[..10]),
        Some("1980-12-06"),
        "rows not in the file keep theirs"
    );

    // Upsert by id creates nothing for an id the server never gave.
    let r = by_id("upsert", &["--mode", "upsert"]);
    assert!(
        dir.read("upsert/errors.csv")
            .contains("an id cannot be given to a new contact"),
        "{}",
        r.stdout
    );
    assert_eq!(contacts_by_email(&sb.db).get("nobody@example.com"), None);
}

#[test]
fn per_row_lookup_by_email_matches_exactly_not_by_substring() {
    let sb = sandbox();
    let dir = setup(12, 0);
    let r = run(bcetl_import(&sb, &dir, &["--rate", "1000"]));
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    // p1@example.com is a substring of p11@example.com: q finds both, the key only one.
    dir.write("in.csv", people(12, 0).replace("F1,L1,", "Changed,L1,"));
    let r = run(bcetl_import_to(
        &sb,
        &dir,
        "per-row",
        &["--rate", "1000", "--mode", "update", "--lookup", "per-row"],
    ));
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains("0 created, 1 updated, 11 unchanged"),
        "{}",
        r.stdout
    );
    assert_eq!(contact_with(&sb, "p1@example.com")["first_name"], "Changed");
    assert_eq!(contact_with(&sb, "p11@example.com")["first_name"], "F11");
}

const CALLS: &str = r#"
entity = "activity"
[contact]
match = "email"
column = "Contact"
[fields]
title = "Subject"
activity_type = "Type"
description = "Notes"
"#;

/// `n` calls to the contacts c0…c49@calls.test, then one to nobody and one to the twins.
fn call_log(n: usize) -> String {
    let mut text = String::from("Contact,Subject,Type,Notes\n");
    for i in 0..n {
        text.push_str(&format!(
            "c{}@calls.test,Call {i},{},Notes {i}\n",
            i % 50,
            ["Phone call", "Meeting", "Email"][i % 3]
        ));
    }
    text.push_str("nobody@calls.test,Call to nobody,Phone call,\n");
    text.push_str("twin@calls.test,Call to a twin,Phone call,\n");
    text
}

/// The contacts the call log names, two of them sharing one email; imported by bcetl,
/// which keeps them exactly once whatever the sandbox's faults.
fn call_contacts(sb: &TestSandbox, dir: &Workdir, out: &str) {
    let mut text = String::from("First,Last,Email,Phone,City,Birthday,Legacy\n");
    for i in 0..50 {
        text.push_str(&format!("C,N{i},c{i}@calls.test,,,,\n"));
    }
    text.push_str("T,Twin,twin@calls.test,,,,\nT,Twin,twin@calls.test,,,,\n");
    dir.write("in.csv", text);
    dir.write("m.toml", MAPPING);
    let r = run(bcetl_import_to(sb, dir, out, &["--rate", "1000"]));
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
}

/// Activities by title, with their contact's id, from the sandbox's database.
fn activities_by_title(db: &Path) -> HashMap<String, Vec<i64>> {
    let conn = rusqlite::Connection::open(db).unwrap();
    let mut stmt = conn
        .prepare("SELECT contact_id, doc FROM activities")
        .unwrap();
    let mut out: HashMap<String, Vec<i64>> = HashMap::new();
    for row in stmt
        .query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))
        .unwrap()
    {
        let (contact, doc) = row.unwrap();
        let doc: Value = serde_json::from_str(&doc).unwrap();
        out.entry(doc["title"].as_str().unwrap().to_string())
            .or_default()
            .push(contact);
    }
    out
}

fn import_calls(sb: &TestSandbox, dir: &Workdir, out: &str, extra: &[&str]) -> Run {
    run(import_calls_command(sb, dir, out, extra))
}

fn import_calls_command(sb: &TestSandbox, dir: &Workdir, out: &str, extra: &[&str]) -> Command {
    let mut cmd = sb.command(
        dir,
        &[
            "import",
            "calls.csv",
            "-m",
            "calls.toml",
            "--out",
            out,
            "-q",
            "--rate",
            "1000",
        ],
    );
    cmd.args(extra);
    cmd
}

#[test]
fn a_call_log_is_imported_once_each_under_faults_and_rolled_back() {
    let dir = Workdir::new();
    dir.write("calls.csv", call_log(500));
    dir.write("calls.toml", CALLS);
    for (faulty, sb) in [
        (false, sandbox()),
        (
            true,
            sandbox_with(|c| {
                c.faults.fail_rate = 0.1;
                c.faults.drop_rate = 0.06;
                c.faults.seed = 11;
            }),
        ),
    ] {
        let out = if faulty { "faulty" } else { "clean" };
        call_contacts(&sb, &dir, &format!("{out}-contacts"));
        let r = import_calls(&sb, &dir, out, &[]);
        assert_eq!(
            r.code, 1,
            "two rows name no contact or two: {}{}",
            r.stdout, r.stderr
        );
        let found = activities_by_title(&sb.db);
        assert_eq!(
            found.len(),
            500,
            "{out}: every call, and nothing else: {}",
            dir.read(&format!("{out}/errors.csv"))
        );
        for i in 0..500 {
            let ids = &found[&format!("Call {i}")];
            assert_eq!(ids.len(), 1, "{out}: Call {i} exists {} times", ids.len());
        }
        let errors = dir.read(&format!("{out}/errors.csv"));
        assert!(
            errors.contains("no contact has nobody@calls.test"),
            "{errors}"
        );
        assert!(
            errors.contains("ambiguous: several contacts have twin@calls.test"),
            "{errors}"
        );
        let success = csv::Reader::from_path(dir.path(&format!("{out}/success.csv")))
            .unwrap()
            .into_records()
            .count();
        assert_eq!(success, 500, "{out}: each created row once in success.csv");
        assert!(dir
            .read(&format!("{out}/success.csv"))
            .starts_with("row,action,activity_id,key"));
        if faulty {
            let summary: Value = serde_json::from_str(&dir.read("faulty/summary.json")).unwrap();
            assert!(
                summary["this_run"]["retries"].as_u64().unwrap() > 0,
                "the faults hit: {summary}"
            );
            println!("under faults: {}", summary["this_run"]);
        }
        // Exported through the same mapping, the calls come back as they went in.
        if !faulty {
            let r = run(sb.command(
                &dir,
                &[
                    "export",
                    "back.csv",
                    "--entity",
                    "activities",
                    "-m",
                    "calls.toml",
                    "-q",
                    "--rate",
                    "1000",
                ],
            ));
            assert_eq!(r.code, 0, "{}", r.stderr);
            let mut back: Vec<Vec<String>> = csv::Reader::from_path(dir.path("back.csv"))
                .unwrap()
                .records()
                .map(|r| r.unwrap().iter().map(String::from).collect())
                .collect();
            let mut sent: Vec<Vec<String>> = csv::Reader::from_reader(call_log(500).as_bytes())
                .records()
                .map(|r| r.unwrap().iter().map(String::from).collect())
                .filter(|r: &Vec<String>| r[0].starts_with('c'))
                .collect();
            back.sort();
            sent.sort();
            assert_eq!(back, sent, "the same cells, row for row");
        }
        // The same command again: everything is done, nothing is sent.
        let again = import_calls(&sb, &dir, out, &[]);
        assert!(again.stdout.contains("0 created"), "{}", again.stdout);
        assert_eq!(activities_by_title(&sb.db).len(), 500);
        // Rollback removes exactly them.
        let r = bcetl_rollback(&sb, &dir, out);
        assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
        assert!(activities_by_title(&sb.db).is_empty(), "{out}: rolled back");
    }
}

#[test]
fn tasks_of_the_three_kinds_are_imported_with_their_assignees() {
    let sb = sandbox();
    for email in [
        "shirley33@hotmail.com",
        "robert.hammond@live.com.ar",
        "mcrae@acme-design.com",
    ] {
        let body =
            serde_json::json!({"first_name": "A", "last_name": "B", "emails": [{"email": email}]});
        assert_eq!(
            sb.call("POST", "/api/contacts.json", &sb.admin(), Some(body))
                .0,
            200
        );
    }
    let dir = Workdir::new();
    let r = run(sb.command(
        &dir,
        &[
            "import",
            &util::repo_file("samples/task-list.csv"),
            "-m",
            &util::repo_file("mappings/task-list.toml"),
            "--out",
            "tasks",
            "-q",
            "--rate",
            "1000",
        ],
    ));
    assert_eq!(
        r.code, 1,
        "two rows are invalid on purpose: {}{}",
        r.stdout, r.stderr
    );
    assert!(r.stdout.contains("4 created"), "{}", r.stdout);
    let conn = rusqlite::Connection::open(&sb.db).unwrap();
    let docs: Vec<Value> = conn
        .prepare("SELECT doc FROM tasks")
        .unwrap()
        .query_map([], |r| r.get::<_, String>(0))
        .unwrap()
        .map(|d| serde_json::from_str(&d.unwrap()).unwrap())
        .collect();
    assert_eq!(docs.len(), 4);
    let event = |title: &str| docs.iter().find(|d| d["title"] == title).unwrap().clone();
    assert_eq!(event("Follow up with Shirley")["event"], "task_new");
    assert_eq!(event("Quarterly review")["event"], "meeting_new");
    assert_eq!(event("Prefers morning calls")["event"], "note_new");
    assert_eq!(
        event("Follow up with Shirley")["assigned_to"]["email"],
        "paul.farnan@gmail.com"
    );
    assert_eq!(event("Send contract")["priority"], "u");
    assert_eq!(
        event("Follow up with Shirley")["due_date"]
            .as_str()
            .map(|d| &d[..10]),
        Some("2026-12-15")
    );
    let errors = dir.read("tasks/errors.csv");
    assert!(
        errors.contains("a start or due date is required"),
        "{errors}"
    );
    // Rollback deletes the tasks.
    let r = bcetl_rollback(&sb, &dir, "tasks");
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let left: i64 = conn
        .query_row("SELECT COUNT(*) FROM tasks", [], |r| r.get(0))
        .unwrap();
    assert_eq!(left, 0);
}

#[test]
fn activities_go_as_json_to_a_server_that_refuses_form_fields() {
    let sb = sandbox_with(|c| c.forms.json_bodies_only = true);
    let dir = Workdir::new();
    call_contacts(&sb, &dir, "contacts");
    dir.write("calls.csv", call_log(20));
    dir.write("calls.toml", CALLS);
    let r = import_calls(&sb, &dir, "json", &[]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("20 created"), "{}", r.stdout);
    let found = activities_by_title(&sb.db);
    assert_eq!(found.len(), 20);
    assert!(found.values().all(|ids| ids.len() == 1));
    // A form-encoded attempt per writer at most was refused (the four start at once), then
    // JSON for every activity.
    let posts = sb.stats()["by_endpoint"]["POST /api/contact/{id}/activity"]
        .as_u64()
        .unwrap();
    assert!(
        (21..=24).contains(&posts),
        "twenty JSON creates after 1 to 4 refused forms: {posts}"
    );
}

#[test]
fn tasks_under_faults_exist_once_each() {
    let sb = sandbox_with(|c| {
        c.faults.fail_rate = 0.1;
        c.faults.drop_rate = 0.08;
        c.faults.seed = 5;
    });
    let dir = Workdir::new();
    call_contacts(&sb, &dir, "contacts");
    let mut text = String::from("Subject,Kind,Due,Owner,Contact\n");
    for i in 0..120 {
        text.push_str(&format!(
            "Task {i},{},12/{:02}/2026,paul.farnan@gmail.com,c{}@calls.test\n",
            ["task", "meeting", "note"][i % 3],
            i % 28 + 1,
            i % 50
        ));
    }
    dir.write("tasks.csv", text);
    dir.write(
        "tasks.toml",
        "entity = \"task\"\n[contact]\nmatch = \"email\"\ncolumn = \"Contact\"\n[fields]\ntitle = \"Subject\"\nevent = \"Kind\"\ndue_date = { column = \"Due\", date = [\"%m/%d/%Y\"] }\nassigned_to = \"Owner\"\n",
    );
    let r = run(sb.command(
        &dir,
        &[
            "import",
            "tasks.csv",
            "-m",
            "tasks.toml",
            "--out",
            "t",
            "-q",
            "--rate",
            "1000",
        ],
    ));
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let conn = rusqlite::Connection::open(&sb.db).unwrap();
    let mut counts: HashMap<String, usize> = HashMap::new();
    for doc in conn
        .prepare("SELECT doc FROM tasks")
        .unwrap()
        .query_map([], |r| r.get::<_, String>(0))
        .unwrap()
    {
        let doc: Value = serde_json::from_str(&doc.unwrap()).unwrap();
        *counts
            .entry(doc["title"].as_str().unwrap().to_string())
            .or_default() += 1;
    }
    assert_eq!(counts.len(), 120);
    assert!(counts.values().all(|&n| n == 1), "{counts:?}");
    let summary: Value = serde_json::from_str(&dir.read("t/summary.json")).unwrap();
    assert!(
        summary["this_run"]["retries"].as_u64().unwrap() > 0,
        "the faults hit: {summary}"
    );
    assert!(
        summary["this_run"]["lost_answers_found_by_lookup"]
            .as_u64()
            .unwrap()
            > 0,
        "a task created with its answer lost was found, not sent twice: {summary}"
    );
}

#[test]
fn a_plan_of_a_call_log_gives_the_counts_the_run_then_produces() {
    let sb = sandbox();
    let dir = Workdir::new();
    call_contacts(&sb, &dir, "contacts");
    dir.write(
        "calls.csv",
        call_log(30) + "c1@calls.test,,Phone call,no subject\n",
    );
    dir.write("calls.toml", CALLS);
    let before = sb.stats()["by_endpoint"]["POST /api/contact/{id}/activity"].as_u64();
    let r = import_calls(&sb, &dir, "plan", &["--plan"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains(
            "plan: 30 to create, 0 to update, 0 to delete, 0 unchanged, 1 invalid, 2 refused"
        ),
        "{}",
        r.stdout
    );
    assert_eq!(
        sb.stats()["by_endpoint"]["POST /api/contact/{id}/activity"].as_u64(),
        before,
        "nothing written"
    );
    let plan = dir.read("plan/plan.csv");
    assert!(
        plan.contains(",refused,,twin@calls.test,ambiguous"),
        "{plan}"
    );
    let r = import_calls(&sb, &dir, "run", &[]);
    assert!(
        r.stdout.contains("30 created") && r.stdout.contains("1 invalid, 2 rejected"),
        "{}",
        r.stdout
    );
}

#[test]
fn a_call_log_import_killed_at_several_moments_resumes_exactly_once() {
    let sb = sandbox_with(|c| c.faults.latency = Duration::from_millis(5));
    let dir = Workdir::new();
    call_contacts(&sb, &dir, "contacts");
    dir.write("calls.csv", call_log(300));
    dir.write("calls.toml", CALLS);
    for after_ms in [150u64, 400, 250] {
        let import = import_calls_command(&sb, &dir, "k", &["--concurrency", "4"]);
        kill_after(import, Duration::from_millis(after_ms));
    }
    let r = import_calls(&sb, &dir, "k", &[]);
    assert_eq!(
        r.code, 1,
        "only the two rows without one contact: {}{}",
        r.stdout, r.stderr
    );
    let found = activities_by_title(&sb.db);
    assert_eq!(found.len(), 300);
    assert!(
        found.values().all(|ids| ids.len() == 1),
        "an activity was created twice"
    );
}

#[test]
fn errors_csv_gives_every_problem_of_a_row_as_the_report_does() {
    let sb = sandbox();
    let dir = Workdir::new();
    dir.write("m.toml", MAPPING);
    // Row 2 lacks its last name (a new contact needs one) and has a bad email and date.
    dir.write(
        "in.csv",
        "First,Last,Email,Phone,City,Birthday,Legacy\nAda,,not-an-email,,,13/45/1990,\nBob,Ok,b@x.io,,,,\n",
    );
    let r = run(bcetl_import(&sb, &dir, &[]));
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    let report = dir.bcetl(&["validate", "in.csv", "-m", "m.toml", "--report", "r.csv"]);
    assert_eq!(report.code, 1, "{}", report.stderr);
    let findings = dir.read("r.csv");
    let errors = dir.read("out/errors.csv");
    let reason = errors.lines().nth(1).unwrap();
    for column in ["Last", "Email", "Birthday"] {
        assert!(findings.contains(&format!(",{column},")), "{findings}");
        assert!(
            reason.contains(&format!("{column}: ")),
            "{column} in {reason}"
        );
    }
}

#[test]
fn standard_input_and_a_named_pipe_are_read_once_and_kept() {
    use std::io::Write;
    let sb = sandbox();
    let dir = setup(5, 0);
    let csv = dir.read("in.csv");
    let piped = |args: &[&str]| {
        let mut child = sb
            .command(&dir, args)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(csv.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned()
                + &String::from_utf8_lossy(&out.stderr),
        )
    };
    let import = [
        "import",
        "-",
        "--mapping",
        "m.toml",
        "--rate",
        "1000",
        "--out",
        "out",
    ];
    let (code, said) = piped(&import);
    assert_eq!(code, Some(0), "{said}");
    assert!(said.contains("5 created"), "{said}");
    assert_eq!(
        dir.read("out/input"),
        csv,
        "the input kept where the journal is"
    );
    // The same input again: nothing twice.
    let (code, said) = piped(&import);
    assert_eq!(code, Some(0), "{said}");
    assert!(said.contains("; 0 requests"), "nothing sent again: {said}");
    assert_exactly_once(&sb, &dir, 5, 0);

    // A named pipe, which a second open would wait on for ever.
    let fifo = dir.path("pipe.csv");
    assert!(std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    let writer = {
        let (fifo, csv) = (fifo.clone(), csv.clone());
        std::thread::spawn(move || std::fs::write(fifo, csv).unwrap())
    };
    let run = dir.bcetl(&["validate", "pipe.csv", "--mapping", "m.toml"]);
    // Had bcetl not read the pipe, the writer would wait for a reader for ever: one that
    // does not block (O_NONBLOCK) lets it finish, so the test fails instead of hanging.
    {
        use std::os::unix::fs::OpenOptionsExt;
        let _ = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(0o4000)
            .open(&fifo);
    }
    writer.join().unwrap();
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("5 rows, 5 valid"), "{}", run.stdout);
}

#[test]
fn an_input_rewritten_during_an_import_stops_it_before_a_row_of_the_new_one_is_sent() {
    let sb = sandbox_with(|c| c.faults.latency = std::time::Duration::from_millis(20));
    let dir = setup(400, 0);
    let original = dir.read("in.csv");
    let args = [
        "import",
        "in.csv",
        "--mapping",
        "m.toml",
        "--out",
        "out",
        "--rate",
        "1000",
        "--concurrency",
        "1",
    ];
    let mut child = sb
        .command(&dir, &args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Rewritten once some contacts are in, well before the 400th.
    let started = std::time::Instant::now();
    while sb.stats()["by_endpoint"]["POST /api/contacts"]
        .as_u64()
        .unwrap_or(0)
        < 20
    {
        assert!(
            started.elapsed().as_secs() < 60,
            "the import never got going"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert!(
        child.try_wait().unwrap().is_none(),
        "the rewrite lands mid-run"
    );
    dir.write(
        "in.csv",
        original.replace("@example.com", "@rewritten.example"),
    );
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("in.csv: the input changed while it was read"),
        "{stderr}"
    );
    let held = contacts_by_email(&sb.db);
    assert!(held.len() < 400, "stopped early: {}", held.len());
    assert!(
        held.keys().all(|e| e.ends_with("@example.com")),
        "no row of the new file"
    );
    assert!(held.values().all(|&n| n == 1), "none twice");

    // Put back, the same command finishes the work once.
    dir.write("in.csv", &original);
    let run = run(sb.command(&dir, &args));
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let held = contacts_by_email(&sb.db);
    assert_eq!(held.len(), 400);
    assert!(held.values().all(|&n| n == 1));
}
