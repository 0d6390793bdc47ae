//! The API client's throughput against the sandbox, and how exactly it keeps a rate.
//!
//! Run: `cargo bench --bench client_throughput`.
//!
//! 1. Sandbox unthrottled: requests/s achieved by 1, 4 and 16 threads sharing one client
//!    (its own limit set out of the way), each thread sending a fixed count of
//!    `GET /api/contact/{id}`.
//! 2. `--rate 50` (burst 10) against a sandbox that itself allows 50/s per token: the
//!    achieved rate as a ratio of 50, and how many 429s the server had to send.

use std::time::Instant;

use bcetl::api::{Client, ClientConfig, ContactQuery, Secret, TokenSource};
use bcetl::sandbox::{FaultConfig, Sandbox, SandboxConfig};

fn client(url: &str, token: &str, rate: f64, burst: u32) -> Client {
    let mut config = ClientConfig::new(url, TokenSource::Environment(Secret::new(token)));
    config.rate = rate;
    config.burst = burst;
    Client::new(config).unwrap()
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let sandbox = Sandbox::start(SandboxConfig {
        seed: 2000,
        ..SandboxConfig::new(dir.path().join("a.sqlite"))
    })
    .unwrap();
    let token = sandbox.admin_token().to_string();
    let unlimited = client(&sandbox.url, &token, 1e6, 1_000_000);
    let ids: Vec<i64> = (1..=3)
        .flat_map(|page| {
            unlimited
                .contacts(&ContactQuery {
                    page,
                    results: Some(1000),
                    ..ContactQuery::default()
                })
                .unwrap()
                .items
        })
        .filter_map(|c| c.id)
        .collect();
    println!("| threads | requests | requests/s |");
    println!("|---:|---:|---:|");
    for threads in [1usize, 4, 16] {
        let per_thread = 6000 / threads;
        let started = Instant::now();
        std::thread::scope(|s| {
            for t in 0..threads {
                let (client, ids) = (&unlimited, &ids);
                s.spawn(move || {
                    for i in 0..per_thread {
                        client
                            .contact(ids[(t * 7919 + i * 104_729) % ids.len()])
                            .unwrap();
                    }
                });
            }
        });
        let rate = (threads * per_thread) as f64 / started.elapsed().as_secs_f64();
        println!("| {threads} | {} | {rate:.0} |", threads * per_thread);
    }
    drop(unlimited);
    sandbox.stop().unwrap();

    let limited = Sandbox::start(SandboxConfig {
        faults: FaultConfig {
            rate: Some(50),
            burst: Some(50),
            ..FaultConfig::default()
        },
        ..SandboxConfig::new(dir.path().join("b.sqlite"))
    })
    .unwrap();
    let polite = client(&limited.url, limited.admin_token(), 50.0, 10);
    let (threads, per_thread) = (8, 60);
    let started = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                for _ in 0..per_thread {
                    polite.users().unwrap();
                }
            });
        }
    });
    let elapsed = started.elapsed();
    let achieved = (threads * per_thread) as f64 / elapsed.as_secs_f64();
    let stats: serde_json::Value =
        reqwest::blocking::get(format!("{}/_sandbox/stats", limited.url))
            .unwrap()
            .json()
            .unwrap();
    println!(
        "--rate 50, {threads} threads, {} requests in {:.2} s: {achieved:.1} requests/s = {:.3} of 50; 429s: {}",
        threads * per_thread,
        elapsed.as_secs_f64(),
        achieved / 50.0,
        stats["rate_limited"]
    );
}
