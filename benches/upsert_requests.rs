//! Upsert of 10,000 rows into an account of 100,000 contacts: requests sent per row, with
//! the account's index and with per-row lookups.
//!
//! Run: `cargo bench --bench upsert_requests` (or `-- ROWS CONTACTS`).
//!
//! The sandbox is seeded with CONTACTS contacts; the file holds ROWS rows, nine in ten the
//! email of a seeded contact the admin can see (with a new job title, so each is an
//! update), one in ten a new email (a create). The real `bcetl import --mode upsert` runs
//! as a child, with `--lookup index` and then, into a fresh copy of the account, with
//! `--lookup auto` (which chooses by cost and says what it chose).

use std::process::Command;
use std::time::Instant;

use bcetl::sandbox::{Sandbox, SandboxConfig};

const MAPPING: &str = r#"
[fields]
first_name = "First"
last_name = "Last"
title = "Title"
[[emails]]
column = "Email"
"#;

fn main() {
    let numbers: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let rows = numbers.first().copied().unwrap_or(10_000);
    let contacts = numbers.get(1).copied().unwrap_or(100_000);
    let dir = tempfile::tempdir().unwrap();
    let seeded = dir.path().join("seeded.sqlite");
    let sandbox = Sandbox::start(SandboxConfig {
        seed: contacts,
        ..SandboxConfig::new(seeded.clone())
    })
    .unwrap();
    // Emails of contacts the admin sees (a twentieth of the seed is private to others).
    let emails: Vec<String> = {
        let conn = rusqlite::Connection::open(&seeded).unwrap();
        let mut stmt = conn
            .prepare("SELECT doc FROM contacts WHERE is_private = 0 ORDER BY id LIMIT ?1")
            .unwrap();
        stmt.query_map([rows as i64], |r| r.get::<_, String>(0))
            .unwrap()
            .map(|d| {
                let doc: serde_json::Value = serde_json::from_str(&d.unwrap()).unwrap();
                doc["emails"][0]["email"].as_str().unwrap().to_string()
            })
            .collect()
    };
    sandbox.stop().unwrap();
    let mut text = String::from("First,Last,Title,Email\n");
    for (i, seeded) in emails.iter().enumerate().take(rows) {
        let email = if i % 10 == 9 {
            format!("new{i}@upsert.test")
        } else {
            seeded.clone()
        };
        text.push_str(&format!("F{i},L{i},Upserted {i},{email}\n"));
    }
    std::fs::write(dir.path().join("in.csv"), text).unwrap();
    std::fs::write(dir.path().join("m.toml"), MAPPING).unwrap();

    println!("{rows} rows (90% updates, 10% creates) into {contacts} seeded contacts");
    println!("| lookup | seconds | requests | requests per row | created | updated | unchanged |");
    println!("|---|---:|---:|---:|---:|---:|---:|");
    for (n, lookup) in ["index", "auto"].iter().enumerate() {
        // A fresh copy of the seeded account for each run.
        let db = dir.path().join(format!("run{n}.sqlite"));
        std::fs::copy(&seeded, &db).unwrap();
        let sandbox = Sandbox::start(SandboxConfig::new(db)).unwrap();
        let out = format!("out-{lookup}");
        let started = Instant::now();
        let run = Command::new(env!("CARGO_BIN_EXE_bcetl"))
            .current_dir(dir.path())
            .args([
                "import", "in.csv", "-m", "m.toml", "--out", &out, "--mode", "upsert",
            ])
            .args([
                "--lookup",
                lookup,
                "--rate",
                "10000",
                "--burst",
                "1000",
                "--concurrency",
                "8",
            ])
            .args(["--base-url", &sandbox.url])
            .env("BIGCONTACTS_TOKEN", sandbox.admin_token())
            .output()
            .unwrap();
        let seconds = started.elapsed().as_secs_f64();
        let stderr = String::from_utf8_lossy(&run.stderr);
        assert!(run.status.success(), "{stderr}");
        if let Some(chose) = stderr.lines().find(|l| l.starts_with("finding contacts")) {
            println!("({lookup}: {chose})");
        }
        let summary: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(dir.path().join(&out).join("summary.json")).unwrap(),
        )
        .unwrap();
        let requests = summary["this_run"]["requests"].as_u64().unwrap();
        println!(
            "| {lookup} | {seconds:.1} | {requests} | {:.3} | {} | {} | {} |",
            requests as f64 / rows as f64,
            summary["rows"]["created"],
            summary["rows"]["updated"],
            summary["rows"]["unchanged"]
        );
        sandbox.stop().unwrap();
    }
}
