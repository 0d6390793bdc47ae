//! `bcetl export --entity activities` from an account of 10,000 contacts with 0 to 5
//! activities each, at `--rate 50` against a sandbox allowing 50 requests/s: requests per
//! contact, activities/s, and the achieved rate as a ratio of 50.
//!
//! Run: `cargo bench --bench activity_export` (or `-- CONTACTS`). The rate-limited part
//! takes about CONTACTS / 50 seconds (one request per contact).

use std::process::Command;
use std::time::Instant;

use bcetl::sandbox::{FaultConfig, Sandbox, SandboxConfig};

fn main() {
    let contacts: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(10_000);
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("bench.sqlite");
    // Seed contacts, then activities over HTTP (8 threads), with no limit.
    let seeding = Sandbox::start(SandboxConfig {
        seed: contacts,
        ..SandboxConfig::new(db.clone())
    })
    .unwrap();
    let token = seeding.admin_token().to_string();
    let ids: Vec<i64> = {
        let conn = rusqlite::Connection::open(&db).unwrap();
        let mut stmt = conn.prepare("SELECT id FROM contacts ORDER BY id").unwrap();
        stmt.query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    let started = Instant::now();
    let made: usize = std::thread::scope(|s| {
        let handles: Vec<_> = (0..8)
            .map(|t| {
                let (ids, token, url) = (&ids, &token, &seeding.url);
                s.spawn(move || {
                    let http = reqwest::blocking::Client::new();
                    let mut made = 0;
                    for (i, id) in ids.iter().enumerate().filter(|(i, _)| i % 8 == t) {
                        for k in 0..(i * 7 % 6) {
                            let body = serde_json::json!({"title": format!("Call {k}"), "activity_type": "Phone call", "description": "Talked"});
                            let status = http
                                .post(format!("{url}/api/contact/{id}/activity.json"))
                                .bearer_auth(token)
                                .json(&body)
                                .send()
                                .unwrap()
                                .status();
                            // Private contacts of other users refuse: they are not exported either.
                            made += usize::from(status.is_success());
                        }
                    }
                    made
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).sum()
    });
    println!(
        "{contacts} contacts, {made} activities on the ones the admin sees (created in {:.1} s)",
        started.elapsed().as_secs_f64()
    );
    seeding.stop().unwrap();

    let limited = Sandbox::start(SandboxConfig {
        faults: FaultConfig {
            rate: Some(50),
            ..FaultConfig::default()
        },
        ..SandboxConfig::new(db)
    })
    .unwrap();
    let out = dir.path().join("activities.csv");
    let run = Command::new(env!("CARGO_BIN_EXE_bcetl"))
        .arg("export")
        .arg(&out)
        .args([
            "--entity",
            "activities",
            "--rate",
            "50",
            "--burst",
            "10",
            "--concurrency",
            "4",
            "-q",
        ])
        .args(["--base-url", &limited.url])
        .env("BIGCONTACTS_TOKEN", limited.admin_token())
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let manifest: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("activities.csv.manifest.json")).unwrap(),
    )
    .unwrap();
    let summary = &manifest["summary"];
    let (rows, requests, seconds) = (
        manifest["rows"].as_u64().unwrap(),
        summary["requests"].as_u64().unwrap(),
        summary["seconds"].as_f64().unwrap(),
    );
    // Counted by the server: activity listings asked for, and the contacts the admin sees.
    let stats: serde_json::Value =
        reqwest::blocking::get(format!("{}/_sandbox/stats", limited.url))
            .unwrap()
            .json()
            .unwrap();
    let activity_requests = stats["by_endpoint"]["GET /api/contact/{id}/activity"]
        .as_u64()
        .unwrap_or(0);
    let visible: u64 = {
        let conn = rusqlite::Connection::open(dir.path().join("bench.sqlite")).unwrap();
        conn.query_row(
            "SELECT COUNT(*) FROM contacts WHERE is_private = 0 OR assigned_to = \
             (SELECT id FROM users WHERE email = 'robert.hammond@live.com.ar')",
            [],
            |r| r.get(0),
        )
        .unwrap()
    };
    println!("| contacts read | activities | requests | activity requests per contact | seconds | activities/s | requests/s | ratio of 50 | 429s |");
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    println!(
        "| {visible} | {rows} | {requests} | {:.3} | {seconds:.1} | {:.0} | {:.2} | {:.3} | {} |",
        activity_requests as f64 / visible.max(1) as f64,
        rows as f64 / seconds,
        requests as f64 / seconds,
        requests as f64 / seconds / 50.0,
        summary["rate_limited"]
    );
    limited.stop().unwrap();
}
