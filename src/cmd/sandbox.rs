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
    let mut forms = sandbox::AnswerForms::default();
    for name in &args.answer_form {
        forms
            .enable(name)
            .map_err(|e| anyhow::anyhow!("--answer-form {e}"))?;
    }
    forms.max_results = args.max_results;
    if let Some(offset) = &args.utc_offset {
        forms.utc_offset_minutes = Some(parse_offset(offset)?);
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
        forms,
    })
}

/// `-03:00`, `+0530` or `0` as minutes east of UTC.
fn parse_offset(text: &str) -> Result<i32> {
    let bad = || anyhow::anyhow!("--utc-offset {text:?}: give an offset such as -03:00 or +05:30");
    let t = text.trim();
    if t == "0" || t.eq_ignore_ascii_case("z") {
        return Ok(0);
    }
    let (sign, rest) = match t.as_bytes().first() {
        Some(b'+') => (1, &t[1..]),
        Some(b'-') => (-1, &t[1..]),
        _ => return Err(bad()),
    };
    let digits: String = rest.chars().filter(|c| *c != ':').collect();
    if digits.len() != 4 || !digits.chars().all(|c| c.is_ascii_digit()) {
        return Err(bad());
    }
    let (h, m): (i32, i32) = (digits[..2].parse()?, digits[2..].parse()?);
    anyhow::ensure!(h < 24 && m < 60, bad());
    Ok(sign * (h * 60 + m))
}

pub fn serve(args: &SandboxArgs) -> Result<ExitCode> {
    let config = SandboxConfig {
        stop_on_ctrl_c: true,
        ..config(args)?
    };
    let db = config.db.clone();
    if config.seed > 0 {
        note!("seeding {} up to {} contacts…", db.display(), config.seed);
    }
    let sandbox = Sandbox::start(config)?;
    say!(
        "BigContacts sandbox at {}  (database {})",
        sandbox.url,
        db.display()
    );
    if sandbox.seeded > 0 {
        say!("seeded {} contacts", sandbox.seeded);
    }
    say!(
        "access tokens (valid {} s; these are the sandbox's own, not secrets):",
        args.token_ttl
    );
    for user in &sandbox.users {
        say!(
            "  {:<28} {:<10} customer {}  {}",
            user.email,
            user.role,
            user.customer_id,
            user.token
        );
    }
    say!(
        "OAuth client: {} / {}  redirect {}",
        sandbox::CLIENT_ID,
        sandbox::CLIENT_SECRET,
        sandbox::REDIRECT_URI
    );
    say!("stats: GET {}/_sandbox/stats   stop: Ctrl-C", sandbox.url);
    sandbox.wait()?;
    say!("sandbox stopped");
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::parse_offset;

    #[test]
    fn offsets_as_people_write_them() {
        assert_eq!(parse_offset("-03:00").unwrap(), -180);
        assert_eq!(parse_offset("+0530").unwrap(), 330);
        assert_eq!(parse_offset("0").unwrap(), 0);
        for bad in ["3", "-3:00", "+25:00", "+05:61", "UTC"] {
            assert!(parse_offset(bad).is_err(), "{bad}");
        }
    }
}
