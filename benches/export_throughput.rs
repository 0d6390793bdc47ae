//! `bcetl export` from a seeded sandbox: contacts/s to CSV, XLSX and JSON lines against the
//! sandbox's own page-serving rate at the same concurrency, the exporter's peak memory, and
//! how exactly `--rate 50` is kept against a server that allows 50 requests/s.
//!
//! Run: `cargo bench --bench export_throughput` (100,000 contacts), or
//! `cargo bench --bench export_throughput -- 10000` for another count.
//!
//! The sandbox runs in this process; the exporter is the release `bcetl` binary, run under
//! `/usr/bin/time -f %M` for its peak RSS. The baseline is 4 plain reader threads fetching
//! every page of 1,000 (what the server can give, with no mapping, spool or file). All share
//! the machine's 2 cores, so the ratio is from one run, not two runs apart.

use std::process::Command;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Instant;

use bcetl::sandbox::{Sandbox, SandboxConfig};

const PER_PAGE: u64 = 1000;
const CONCURRENCY: usize = 4;

/// Contacts/s that 4 bare readers get from the sandbox.
fn served_rate(base: &str, token: &str) -> f64 {
    let next = AtomicU64::new(1);
    let received = AtomicUsize::new(0);
    let started = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..CONCURRENCY {
            s.spawn(|| {
                let client = reqwest::blocking::Client::new();
                loop {
                    let page = next.fetch_add(1, Ordering::Relaxed);
                    let body: serde_json::Value = client
                        .get(format!(
                            "{base}/api/contacts.json?results={PER_PAGE}&page={page}"
                        ))
                        .bearer_auth(token)
                        .send()
                        .unwrap()
                        .json()
                        .unwrap();
                    let n = body["payload"].as_array().map_or(0, Vec::len);
                    if n == 0 {
                        break;
                    }
                    received.fetch_add(n, Ordering::Relaxed);
                }
            });
        }
    });
    received.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64()
}

/// Runs the exporter; (seconds, peak RSS in MB, manifest).
fn export(
    base: &str,
    token: &str,
    out: &std::path::Path,
    extra: &[&str],
) -> (f64, f64, serde_json::Value) {
    let started = Instant::now();
    let run = Command::new("/usr/bin/time")
        .args(["-f", "%M"])
        .arg(env!("CARGO_BIN_EXE_bcetl"))
        .arg("export")
        .arg(out)
        .args(["--base-url", base, "--concurrency", "4", "-q"])
        .args(extra)
        .env("BIGCONTACTS_TOKEN", token)
        .output()
        .unwrap();
    let seconds = started.elapsed().as_secs_f64();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "{stderr}");
    let kb: f64 = stderr.lines().last().unwrap().trim().parse().unwrap();
    let mut manifest = out.as_os_str().to_owned();
    manifest.push(".manifest.json");
    let manifest = serde_json::from_str(&std::fs::read_to_string(manifest).unwrap()).unwrap();
    (seconds, kb / 1024.0, manifest)
}

fn main() {
    let seed: usize = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with("--"))
        .map(|a| a.parse().unwrap())
        .unwrap_or(100_000);
    let dir = tempfile::tempdir().unwrap();
    let sandbox = Sandbox::start(SandboxConfig {
        seed,
        ..SandboxConfig::new(dir.path().join("bench.sqlite"))
    })
    .unwrap();
    let token = sandbox.admin_token().to_string();
    let base = sandbox.url.clone();
    let served = served_rate(&base, &token);
    println!("{seed} contacts seeded; the sandbox serves {served:.0} contacts/s to {CONCURRENCY} bare readers at {PER_PAGE} per page");
    println!("| format | rows | seconds | contacts/s | ratio to served | peak RSS MB |");
    println!("|---|---:|---:|---:|---:|---:|");
    for ext in ["csv", "xlsx", "jsonl"] {
        let out = dir.path().join(format!("contacts.{ext}"));
        let (seconds, rss, manifest) = export(&base, &token, &out, &["--rate", "10000"]);
        let rows = manifest["rows"].as_u64().unwrap();
        let rate = rows as f64 / seconds;
        println!(
            "| {ext} | {rows} | {seconds:.2} | {rate:.0} | {:.2} | {rss:.1} |",
            rate / served
        );
    }
    sandbox.stop().unwrap();

    // A server allowing 50 requests/s per token, and the exporter asked to keep 50/s.
    let limited = Sandbox::start(SandboxConfig {
        faults: bcetl::sandbox::FaultConfig {
            rate: Some(50),
            ..Default::default()
        },
        ..SandboxConfig::new(dir.path().join("bench.sqlite"))
    })
    .unwrap();
    let token = limited.admin_token().to_string();
    let out = dir.path().join("limited.csv");
    let started = Instant::now();
    let (_, _, manifest) = export(
        &limited.url,
        &token,
        &out,
        &["--rate", "50", "--burst", "10", "--page-size", "100"],
    );
    let seconds = started.elapsed().as_secs_f64();
    let requests = manifest["summary"]["requests"].as_u64().unwrap();
    let reading = manifest["summary"]["fetch"]["seconds"].as_f64().unwrap();
    let achieved = requests as f64 / reading;
    println!(
        "--rate 50 against a server allowing 50/s: {requests} requests in {reading:.1} s of reading the listing ({seconds:.1} s in all, writing and start-up included): {achieved:.2} requests/s = {:.3} x 50; 429s: {}",
        achieved / 50.0,
        manifest["summary"]["rate_limited"]
    );
    limited.stop().unwrap();
}
