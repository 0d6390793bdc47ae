//! The second stage of the API flags: `ApiArgs` into a ready client (the base URL, where the
//! token comes from, and the in-process sandbox for `--sandbox`), rejecting what cannot work.

use std::path::Path;

use anyhow::{Context, Result};

use crate::api::{auth, Client, ClientConfig, Secret, TokenSource, DEFAULT_BASE_URL};
use crate::cli::ApiArgs;
use crate::sandbox::{Sandbox, SandboxConfig};

/// A client, and the sandbox it talks to when `--sandbox` started one.
pub struct Connection {
    pub client: Client,
    /// Which server this is, as the same command would name it again: the base URL, or the
    /// sandbox's database (its URL changes with every start).
    pub target: String,
    /// Held so the in-process sandbox serves as long as the client needs it.
    _sandbox: Option<Sandbox>,
}

/// The client secret: `BIGCONTACTS_CLIENT_SECRET`, or `--client-secret-file`.
pub fn client_secret(args: &ApiArgs) -> Result<Option<Secret>> {
    if let Some(path) = &args.client_secret_file {
        return auth::read_token_file(path)
            .map(Some)
            .with_context(|| format!("{}: the client secret", path.display()));
    }
    Ok(args.client_secret.clone().filter(|s| !s.is_empty()))
}

/// Where the token comes from, in the documented order.
pub fn token_source(args: &ApiArgs, base_url: &str, credentials: &Path) -> Result<TokenSource> {
    if let Some(token) = args.token.clone().filter(|s| !s.is_empty()) {
        return Ok(TokenSource::Environment(token));
    }
    if let Some(path) = &args.token_file {
        return Ok(TokenSource::File(path.clone()));
    }
    let secret = client_secret(args)?;
    let stored = auth::load_login(credentials)?;
    if stored
        .as_ref()
        .is_some_and(|l| l.base_url.trim_end_matches('/') == base_url.trim_end_matches('/'))
    {
        return Ok(TokenSource::StoredLogin {
            path: credentials.to_path_buf(),
            client_secret: secret,
        });
    }
    if let (Some(client_id), Some(client_secret)) = (&args.client_id, secret) {
        return Ok(TokenSource::ClientCredentials {
            client_id: client_id.clone(),
            client_secret,
        });
    }
    anyhow::bail!(
        "no credentials for {base_url}: set BIGCONTACTS_TOKEN, give --token-file, run bcetl login, \
         or give --client-id with BIGCONTACTS_CLIENT_SECRET for unattended runs (or try --sandbox)"
    )
}

pub fn connect(args: &ApiArgs) -> Result<Connection> {
    anyhow::ensure!(
        args.rate > 0.0,
        "--rate {}: give a positive number of requests per second",
        args.rate
    );
    let configured = |base_url: String, token: TokenSource| {
        let mut config = ClientConfig::new(base_url, token);
        config.rate = args.rate;
        config.burst = args.burst;
        config
    };
    if args.sandbox {
        let db = crate::sandbox::default_db()?;
        let sandbox = Sandbox::start(SandboxConfig::new(db.clone()))?;
        let token = TokenSource::Environment(Secret::new(sandbox.admin_token()));
        let mut client = Client::new(configured(sandbox.url.clone(), token))?;
        client.source = format!(
            "the sandbox's admin token (sandbox database {})",
            db.display()
        );
        return Ok(Connection {
            client,
            target: format!("sandbox {}", db.display()),
            _sandbox: Some(sandbox),
        });
    }
    let base_url = args
        .base_url
        .clone()
        .unwrap_or_else(|| DEFAULT_BASE_URL.to_string());
    // Checked before anything repeats the URL (a password in it is never shown).
    crate::api::check_base_url(&base_url)?;
    let source = token_source(args, &base_url, &auth::credentials_path()?)?;
    Ok(Connection {
        client: Client::new(configured(base_url.clone(), source))?,
        target: base_url.trim_end_matches('/').to_string(),
        _sandbox: None,
    })
}
