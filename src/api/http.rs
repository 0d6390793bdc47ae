//! The one HTTP client builder, and the rule about which URLs a token may be sent to.

use std::time::Duration;

use reqwest::blocking::Client as Http;
use url::Url;

pub(super) const USER_AGENT: &str = concat!("bcetl/", env!("CARGO_PKG_VERSION"));

/// An HTTP client as every call of bcetl uses it: its user agent, the timeouts, and no
/// redirects (a redirect could carry the `Authorization` header to another host).
pub fn http_client(connect_timeout: Duration, timeout: Duration) -> reqwest::Result<Http> {
    Http::builder()
        .user_agent(USER_AGENT)
        .connect_timeout(connect_timeout)
        .timeout(timeout)
        .redirect(reqwest::redirect::Policy::none())
        .build()
}

/// The same client, async, for a thread that drives its own requests (see
/// `transport::send_here`).
pub fn async_client(
    connect_timeout: Duration,
    timeout: Duration,
) -> reqwest::Result<reqwest::Client> {
    reqwest::Client::builder()
        .user_agent(USER_AGENT)
        .connect_timeout(connect_timeout)
        .timeout(timeout)
        .redirect(reqwest::redirect::Policy::none())
        .build()
}

/// Refuses plain `http://` except to this machine: a token must not cross a network in clear.
/// Refuses a user name or password in the URL too (`https://user:pass@host`): bcetl signs in
/// with tokens, and a password there would be shown, logged and stored with the URL.
pub fn check_base_url(base: &str) -> anyhow::Result<Url> {
    let url = Url::parse(base.trim_end_matches('/'))
        .map_err(|e| anyhow::anyhow!("base URL {:?}: {e}", without_userinfo(base)))?;
    if !url.username().is_empty() || url.password().is_some() {
        let mut shown = url.clone();
        let _ = shown.set_username("");
        let _ = shown.set_password(None);
        anyhow::bail!(
            "base URL {shown}: remove the user name and password (user:password@) from it; \
             bcetl signs in with a token (BIGCONTACTS_TOKEN, --token-file, bcetl login), and \
             a password in the URL would be shown and stored with it"
        );
    }
    match url.scheme() {
        "https" => Ok(url),
        "http" => {
            let loopback = match url.host() {
                Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
                Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
                Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
                None => false,
            };
            anyhow::ensure!(loopback, "base URL {base}: plain http is only allowed to this machine (127.0.0.1, localhost); use https");
            Ok(url)
        }
        other => anyhow::bail!("base URL {base}: scheme {other:?} is not http or https"),
    }
}

/// A URL as text with anything between `://` and an `@` of its authority masked, for a
/// message about a URL that did not parse.
fn without_userinfo(text: &str) -> String {
    let Some(start) = text.find("://").map(|i| i + 3) else {
        return text.to_string();
    };
    let rest = &text[start..];
    let authority = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..authority].rfind('@') {
        Some(at) => format!("{}***{}", &text[..start], &rest[at..]),
        None => text.to_string(),
    }
}

/// A network error in words, with its causes (the URL, which never holds a token, included).
pub fn describe(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// The start of a body that is not what was expected, for a message.
pub fn snippet(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    if text.is_empty() {
        "(empty body)".into()
    } else {
        text.chars().take(200).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_only_to_this_machine() {
        assert!(check_base_url("https://app.bigcontacts.com").is_ok());
        for ok in [
            "http://127.0.0.1:8719",
            "http://localhost:1",
            "http://[::1]:80",
            "http://127.9.9.9",
        ] {
            assert!(check_base_url(ok).is_ok(), "{ok}");
        }
        for with_password in [
            "https://user:s3cret@app.bigcontacts.com",
            "https://user@app.bigcontacts.com",
            "http://u:s3cret@127.0.0.1:8719",
            "https://u:s3cret@exa mple.com",
        ] {
            let e = check_base_url(with_password).unwrap_err().to_string();
            assert!(!e.contains("s3cret") && !e.contains("user@"), "{e}");
        }
        let e = check_base_url("https://user:pw@app.bigcontacts.com").unwrap_err();
        assert!(
            e.to_string().contains("remove the user name and password"),
            "{e}"
        );
        for bad in [
            "http://app.bigcontacts.com",
            "http://10.0.0.5",
            "ftp://x",
            "not a url",
        ] {
            assert!(check_base_url(bad).is_err(), "{bad}");
        }
    }
}
