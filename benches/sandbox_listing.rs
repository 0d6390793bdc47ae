//! Contact listing pages served by the sandbox: contacts/s to concurrent readers, and the
//! cost of a deep page against the first.
//!
//! Run: `cargo bench --bench sandbox_listing` (100,000 contacts seeded), or
//! `cargo bench --bench sandbox_listing -- 20000` for another count.
//!
//! A sandbox is started in this process over a fresh database and seeded. Then 4 reader
//! threads (each with its own keep-alive connection) take page numbers from one counter and
//! fetch every page of `GET /api/contacts.json?results=500`; contacts/s is the contacts
//! received over the wall time. Finally the first and the last page are each fetched 5 times
//! by one reader and the medians compared. The readers share the 2 cores with the server.

mod common;

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Instant;

use bcetl::sandbox::{Sandbox, SandboxConfig};

const PER_PAGE: u64 = 500;

fn fetch(client: &reqwest::blocking::Client, base: &str, token: &str, page: u64) -> usize {
    let body: serde_json::Value = client
        .get(format!(
            "{base}/api/contacts.json?results={PER_PAGE}&page={page}"
        ))
        .bearer_auth(token)
        .send()
        .unwrap()
        .json()
        .unwrap();
    body["payload"].as_array().map_or(0, Vec::len)
}

fn median_seconds(mut f: impl FnMut()) -> f64 {
    let mut times: Vec<f64> = (0..5)
        .map(|_| {
            let started = Instant::now();
            f();
            started.elapsed().as_secs_f64()
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[2]
}

fn main() {
    let seed: usize = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with("--"))
        .map(|a| a.parse().unwrap())
        .unwrap_or(100_000);
    let dir = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let sandbox = Sandbox::start(SandboxConfig {
        seed,
        ..SandboxConfig::new(dir.path().join("bench.sqlite"))
    })
    .unwrap();
    println!(
        "seeded {seed} contacts in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let token = sandbox.admin_token().to_string();
    let base = sandbox.url.clone();

    let readers = 4;
    let next_page = AtomicU64::new(1);
    let received = AtomicUsize::new(0);
    let last_page = AtomicU64::new(0);
    let started = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..readers {
            s.spawn(|| {
                let client = reqwest::blocking::Client::new();
                loop {
                    let page = next_page.fetch_add(1, Ordering::Relaxed);
                    let n = fetch(&client, &base, &token, page);
                    if n == 0 {
                        break;
                    }
                    received.fetch_add(n, Ordering::Relaxed);
                    last_page.fetch_max(page, Ordering::Relaxed);
                }
            });
        }
    });
    let seconds = started.elapsed().as_secs_f64();
    let contacts = received.load(Ordering::Relaxed);
    let last = last_page.load(Ordering::Relaxed);
    println!(
        "{readers} readers, {PER_PAGE} per page: {contacts} contacts in {last} pages, {seconds:.2} s, {:.0} contacts/s",
        contacts as f64 / seconds
    );
    let client = reqwest::blocking::Client::new();
    let first = median_seconds(|| {
        fetch(&client, &base, &token, 1);
    });
    let deep = median_seconds(|| {
        fetch(&client, &base, &token, last);
    });
    println!(
        "page 1: {:.1} ms, page {last}: {:.1} ms (median of 5): last/first = {:.2}",
        first * 1e3,
        deep * 1e3,
        deep / first
    );
    println!("peak RSS: {:.0} MB", common::peak_rss_mb());
    sandbox.stop().unwrap();
}
