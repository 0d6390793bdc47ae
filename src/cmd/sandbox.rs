//! `bcetl sandbox serve`.

use std::process::ExitCode;
use std::time::Duration;

use anyhow::{bail, Result};

use crate::cli::SandboxArgs;
use crate::sandbox::{self, FaultConfig, Sandbox, SandboxConfig};

/// The sandbox settings the command line asks for.
pub fn config(args: &SandboxArgs) -> Result<SandboxConfig> {
    for (name, share) in [
        ("--fail-rate", args.fail_rate),
        ("--drop-rate", args.drop_rate),
    ] {
        if !(0.0..=1.0).contains(&share) {
            bail!("{name} {share}: give a share from 0 to 1, such as 0.05");
        }
    }
    if args.token_ttl < 1 {
        bail!("--token-ttl {}: give at least 1 second", args.token_ttl);
    }
    Ok(SandboxConfig {
        port: args.port,
        db: match &args.db {
            Some(db) => db.clone(),
            None => sandbox::default_db()?,
        },
        seed: args.seed,
        faults: FaultConfig {
            rate: args.rate,
            burst: args.burst,
            latency: Duration::from_millis(args.latency_ms),
            fail_rate: args.fail_rate,
            drop_rate: args.drop_rate,
            seed: args.fault_seed,
        },
        token_ttl: args.token_ttl,
        stop_on_ctrl_c: false,
    })
}

pub fn serve(args: &SandboxArgs) -> Result<ExitCode> {
    let config = SandboxConfig {
        stop_on_ctrl_c: true,
        ..config(args)?
    };
    let db = config.db.clone();
    if config.seed > 0 {
        eprintln!("seeding {} up to {} contacts…", db.display(), config.seed);
    }
    let sandbox = Sandbox::start(config)?;
    println!(
        "BigContacts sandbox at {}  (database {})",
        sandbox.url,
        db.display()
    );
    if sandbox.seeded > 0 {
        println!("seeded {} contacts", sandbox.seeded);
    }
    println!(
        "access tokens (valid {} s; these are the sandbox's own, not secrets):",
        args.token_ttl
    );
    for user in &sandbox.users {
        println!(
            "  {:<28} {:<10} customer {}  {}",
            user.email, user.role, user.customer_id, user.token
        );
    }
    println!(
        "OAuth client: {} / {}  redirect {}",
        sandbox::CLIENT_ID,
        sandbox::CLIENT_SECRET,
        sandbox::REDIRECT_URI
    );
    println!("stats: GET {}/_sandbox/stats   stop: Ctrl-C", sandbox.url);
    sandbox.wait()?;
    println!("sandbox stopped");
    Ok(ExitCode::SUCCESS)
}
