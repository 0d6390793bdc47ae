//! Sandbox requests per second on loopback, and its memory with many contacts seeded.
//!
//! Run: `cargo bench --bench sandbox_throughput` (20,000 contacts seeded), or
//! `cargo bench --bench sandbox_throughput -- 1000000` for a million.
//!
//! A sandbox is started in this process over a fresh database; client threads with their
//! own keep-alive connections then send a fixed number of requests each (no time limit), and
//! requests/s is that count over the wall time. GET fetches random seeded contacts by id;
//! POST creates new contacts. Peak RSS is read after seeding and after the runs; it includes
//! the client threads.

mod common;

use common::peak_rss_mb;

use std::time::Instant;

use bcetl::sandbox::{Sandbox, SandboxConfig};

/// Runs `per_thread` requests on each of `threads` clients; returns requests/s.
fn run(
    threads: usize,
    per_thread: usize,
    request: impl Fn(&reqwest::blocking::Client, usize, usize) -> u16 + Sync,
) -> f64 {
    let started = Instant::now();
    std::thread::scope(|s| {
        for t in 0..threads {
            let request = &request;
            s.spawn(move || {
                let client = reqwest::blocking::Client::new();
                for i in 0..per_thread {
                    let status = request(&client, t, i);
                    assert_eq!(status, 200);
                }
            });
        }
    });
    (threads * per_thread) as f64 / started.elapsed().as_secs_f64()
}

fn main() {
    let seed: usize = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with("--"))
        .map(|a| a.parse().unwrap())
        .unwrap_or(20_000);
    let dir = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let sandbox = Sandbox::start(SandboxConfig {
        seed,
        ..SandboxConfig::new(dir.path().join("bench.sqlite"))
    })
    .unwrap();
    let seconds = started.elapsed().as_secs_f64();
    let db_mb = std::fs::metadata(dir.path().join("bench.sqlite"))
        .unwrap()
        .len() as f64
        / 1e6;
    println!("seeded {seed} contacts in {seconds:.1} s ({:.0}/s); database {db_mb:.0} MB; peak RSS after seeding {:.0} MB", seed as f64 / seconds, peak_rss_mb());

    let token = sandbox.admin_token().to_string();
    let base = sandbox.url.clone();
    // The ids the admin may see (a twentieth of seeded contacts are private to others).
    let lister = reqwest::blocking::Client::new();
    let mut ids: Vec<i64> = Vec::new();
    for page in 1..=20 {
        let body: serde_json::Value = lister
            .get(format!("{base}/api/contacts.json?results=1000&page={page}"))
            .bearer_auth(&token)
            .send()
            .unwrap()
            .json()
            .unwrap();
        let items = body["payload"].as_array().cloned().unwrap_or_default();
        ids.extend(items.iter().filter_map(|c| c["id"].as_i64()));
        if items.len() < 1000 {
            break;
        }
    }
    let get = |client: &reqwest::blocking::Client, t: usize, i: usize| {
        let id = ids[(t * 7919 + i * 104_729) % ids.len()];
        client
            .get(format!("{base}/api/contact/{id}.json"))
            .bearer_auth(&token)
            .send()
            .unwrap()
            .status()
            .as_u16()
    };
    let post = |client: &reqwest::blocking::Client, t: usize, i: usize| {
        let body = serde_json::json!({"first_name": "Bench", "last_name": format!("T{t}"), "emails": [{"email": format!("b{t}.{i}@bench.io")}],
            "phones": [{"phone": "(404) 555-0100", "type": "M"}], "custom_fields": [{"name": "Blood Type", "value": "0+"}]});
        client
            .post(format!("{base}/api/contacts.json"))
            .bearer_auth(&token)
            .json(&body)
            .send()
            .unwrap()
            .status()
            .as_u16()
    };
    println!("| request | client threads | requests | requests/s |");
    println!("|---|---:|---:|---:|");
    for threads in [1, 4, 16] {
        let per_thread = 8000 / threads;
        println!(
            "| GET /api/contact/{{id}} | {threads} | {} | {:.0} |",
            threads * per_thread,
            run(threads, per_thread, get)
        );
    }
    for threads in [1, 4] {
        let per_thread = 2000 / threads;
        println!(
            "| POST /api/contacts | {threads} | {} | {:.0} |",
            threads * per_thread,
            run(threads, per_thread, post)
        );
    }
    println!("peak RSS after the runs: {:.0} MB", peak_rss_mb());
    sandbox.stop().unwrap();
}
