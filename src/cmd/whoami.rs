//! `bcetl whoami`: who the credentials authenticate, and where.

use std::process::ExitCode;

use anyhow::Result;

use crate::cli::ApiArgs;

pub fn run(args: &ApiArgs) -> Result<ExitCode> {
    let connection = crate::cli::connect::connect(args)?;
    let client = &connection.client;
    let (users, me) = client.users()?;
    let me = me.and_then(|id| users.iter().find(|u| u.id == id));
    match me {
        Some(u) => say!(
            "{} ({} {}), user {} at {}",
            u.email,
            u.first_name,
            u.last_name,
            u.id,
            client.base_url()
        ),
        None => say!(
            "an authenticated user (the server did not say which) at {}",
            client.base_url()
        ),
    }
    say!(
        "authenticated by {}; the account has {} users",
        client.source,
        users.len()
    );
    Ok(ExitCode::SUCCESS)
}
