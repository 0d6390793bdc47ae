//! Credentials: where the access token comes from, how it is refreshed, and the file
//! `bcetl login` keeps it in.
//!
//! A [`Secret`] cannot be printed: its `Debug` shows `[redacted]` and it has no `Display`,
//! so a token cannot reach output, logs or error messages by accident. Tokens go only in the
//! `Authorization` header, never in a URL.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::write::AtomicFile;
use serde::{Deserialize, Serialize};

/// A token or client secret.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into().trim().to_string())
    }

    /// The value, for the one place that needs it: a header or a token request.
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[redacted]")
    }
}

/// What `bcetl login` stores: readable by its owner only.
///
/// The client secret is not stored; refreshing a stored login asks for it again through
/// `BIGCONTACTS_CLIENT_SECRET` or `--client-secret-file`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredLogin {
    pub base_url: String,
    pub client_id: String,
    pub access_token: Secret,
    pub refresh_token: Option<Secret>,
    /// Unix time at which the access token expires.
    pub expires_at: Option<i64>,
}

/// Where `bcetl login` keeps credentials: `bcetl/credentials.json` in the user's config
/// directory (`$XDG_CONFIG_HOME` or `~/.config` on Linux).
pub fn credentials_path() -> Result<PathBuf> {
    let base =
        dirs::config_dir().context("no configuration directory for this user (is HOME set?)")?;
    Ok(base.join("bcetl").join("credentials.json"))
}

pub fn load_login(path: &Path) -> Result<Option<StoredLogin>> {
    match std::fs::read(path) {
        Ok(bytes) => Ok(Some(serde_json::from_slice(&bytes).with_context(|| {
            format!(
                "{}: not a bcetl credentials file; run bcetl login again",
                path.display()
            )
        })?)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("{}: cannot read", path.display())),
    }
}

/// Writes the login atomically, created with mode 0600 so no other user can read it.
pub fn save_login(path: &Path, login: &StoredLogin) -> Result<()> {
    let dir = path.parent().context("credentials path has no folder")?;
    std::fs::create_dir_all(dir).with_context(|| format!("{}: cannot create", dir.display()))?;
    let mut file = AtomicFile::create_private(path)?;
    file.write_all(&serde_json::to_vec_pretty(login)?)
        .with_context(|| format!("{}: cannot write", path.display()))?;
    file.commit()
}

/// Removes stored credentials; true when there were some.
pub fn remove_login(path: &Path) -> Result<bool> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(e).with_context(|| format!("{}: cannot remove", path.display())),
    }
}

/// An OAuth2 token response.
#[derive(Debug, Clone, Deserialize)]
pub struct TokenResponse {
    pub access_token: Secret,
    #[serde(default)]
    pub refresh_token: Option<Secret>,
    #[serde(default)]
    pub expires_in: Option<i64>,
}

/// Where a client's token comes from, in the order they are looked for.
#[derive(Debug, Clone, PartialEq)]
pub enum TokenSource {
    /// `BIGCONTACTS_TOKEN`.
    Environment(Secret),
    /// `--token-file PATH`: the token as the file's only content.
    File(PathBuf),
    /// The client-credentials grant, for unattended runs.
    ClientCredentials {
        client_id: String,
        client_secret: Secret,
    },
    /// What `bcetl login` stored.
    StoredLogin {
        path: PathBuf,
        client_secret: Option<Secret>,
    },
}

impl TokenSource {
    /// For messages: where the token came from, never the token.
    pub fn describe(&self) -> String {
        match self {
            TokenSource::Environment(_) => "BIGCONTACTS_TOKEN".into(),
            TokenSource::File(path) => format!("token file {}", path.display()),
            TokenSource::ClientCredentials { client_id, .. } => {
                format!("client credentials of {client_id}")
            }
            TokenSource::StoredLogin { path, .. } => format!("bcetl login ({})", path.display()),
        }
    }
}

/// Reads a token file: its first line, trimmed.
pub fn read_token_file(path: &Path) -> Result<Secret> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("{}: cannot read the token file", path.display()))?;
    let token = Secret::new(text.lines().next().unwrap_or_default());
    anyhow::ensure!(
        !token.is_empty(),
        "{}: the token file is empty",
        path.display()
    );
    Ok(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_do_not_print() {
        let s = Secret::new("abc123");
        assert_eq!(format!("{s:?}"), "[redacted]");
        let login = StoredLogin {
            base_url: "x".into(),
            client_id: "c".into(),
            access_token: s.clone(),
            refresh_token: Some(s),
            expires_at: None,
        };
        assert!(!format!("{login:?}").contains("abc123"));
    }

    #[cfg(unix)]
    #[test]
    fn stored_login_is_private_to_its_owner() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bcetl").join("credentials.json");
        let login = StoredLogin {
            base_url: "x".into(),
            client_id: "c".into(),
            access_token: Secret::new("t"),
            refresh_token: None,
            expires_at: Some(5),
        };
        save_login(&path, &login).unwrap();
        assert_eq!(
            std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
        assert_eq!(load_login(&path).unwrap(), Some(login));
        assert!(remove_login(&path).unwrap());
        assert_eq!(load_login(&path).unwrap(), None);
    }
}
