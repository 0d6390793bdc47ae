//! `bcetl login`: the OAuth2 website flow, with the address pasted back.

use std::io::BufRead;
use std::process::ExitCode;

use anyhow::{Context, Result};
use rand::Rng;

use crate::api::{
    auth, check_base_url, http_client, token_request, ClientConfig, Secret, StoredLogin,
    TokenSource, DEFAULT_BASE_URL,
};
use crate::cli::LoginArgs;

pub fn run(args: &LoginArgs) -> Result<ExitCode> {
    let base_url = args
        .api
        .base_url
        .clone()
        .unwrap_or_else(|| DEFAULT_BASE_URL.to_string());
    let base = check_base_url(&base_url)?;
    let client_id = args.api.client_id.clone().context(
        "give --client-id (or set BIGCONTACTS_CLIENT_ID): the id of your BigContacts OAuth2 client",
    )?;
    let secret = crate::cli::connect::client_secret(&args.api)?.context("set BIGCONTACTS_CLIENT_SECRET (or give --client-secret-file): the secret of your OAuth2 client")?;
    let state: String = rand::rng()
        .sample_iter(rand::distr::Alphanumeric)
        .take(16)
        .map(char::from)
        .collect();
    let mut auth_url = base.join("/oauth/v2/auth")?;
    auth_url
        .query_pairs_mut()
        .append_pair("client_id", &client_id)
        .append_pair("redirect_uri", &args.redirect_uri)
        .append_pair("response_type", "code")
        .append_pair("state", &state);
    say!("Open this address, log in and allow access:\n\n  {auth_url}\n");
    say!("Then paste the address you were sent to (or its code) and press Enter:");
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("reading the pasted address")?;
    let code = code_from(line.trim(), &state)?;
    let defaults = ClientConfig::new(base.as_str(), TokenSource::Environment(Secret::new("")));
    let http = http_client(defaults.connect_timeout, defaults.timeout)?;
    let tokens = token_request(
        &http,
        &base,
        &[
            ("grant_type", "authorization_code"),
            ("client_id", &client_id),
            ("client_secret", secret.expose()),
            ("code", &code),
            ("redirect_uri", &args.redirect_uri),
        ],
    )
    .context("exchanging the code for tokens")?;
    let now = crate::clock::unix_now();
    let login = StoredLogin {
        base_url: base.as_str().trim_end_matches('/').to_string(),
        client_id,
        access_token: tokens.access_token,
        refresh_token: tokens.refresh_token,
        expires_at: tokens.expires_in.map(|s| now + s),
    };
    let path = auth::credentials_path()?;
    auth::save_login(&path, &login)?;
    say!(
        "logged in to {}; credentials stored in {} (readable by you only)",
        login.base_url,
        path.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// The authorization code in a pasted redirect address, or the pasted code itself.
fn code_from(pasted: &str, state: &str) -> Result<String> {
    anyhow::ensure!(!pasted.is_empty(), "nothing was pasted");
    let Ok(url) = url::Url::parse(pasted) else {
        return Ok(pasted.to_string());
    };
    let param = |name: &str| {
        url.query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    };
    if let Some(error) = param("error") {
        anyhow::bail!("the authorization was refused: {error}");
    }
    if let Some(returned) = param("state") {
        anyhow::ensure!(returned == state, "the pasted address belongs to another login attempt (its state does not match); start again");
    }
    param("code").context("the pasted address has no code parameter")
}

#[cfg(test)]
mod tests {
    use super::code_from;

    #[test]
    fn pasted_addresses_and_codes() {
        assert_eq!(
            code_from("http://127.0.0.1/cb?code=abc&state=s1", "s1").unwrap(),
            "abc"
        );
        assert_eq!(code_from("abc", "s1").unwrap(), "abc");
        assert!(code_from("http://127.0.0.1/cb?code=abc&state=other", "s1").is_err());
        assert!(code_from("http://127.0.0.1/cb?error=access_denied", "s1").is_err());
        assert!(code_from("", "s1").is_err());
    }
}
