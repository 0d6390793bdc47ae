//! `bcetl logout`: forget the stored login.

use std::process::ExitCode;

use anyhow::Result;

use crate::api::auth;

pub fn run() -> Result<ExitCode> {
    let path = auth::credentials_path()?;
    if auth::remove_login(&path)? {
        say!("logged out: removed {}", path.display());
    } else {
        say!("not logged in ({} does not exist)", path.display());
    }
    Ok(ExitCode::SUCCESS)
}
