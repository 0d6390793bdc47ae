//! The answer forms the documents allow a server to use, on demand, so tests can prove a
//! client tolerates each (`bcetl sandbox serve --answer-form NAME`): a delete success as the
//! bare list of the guide's XML sample, errors keyed `result`, errors without `payload`,
//! `results` capped silently, HTML pages for 502/503 (as a proxy in front would send),
//! JSON with escaped slashes and `\u` escapes, and timestamps in the server's own offset.

use bytes::Bytes;
use hyper::Method;
use serde_json::Value;

/// Which of the allowed forms to answer in; all off by default.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AnswerForms {
    /// A delete's success as `["success", "message"]` instead of an envelope.
    pub delete_as_list: bool,
    /// Every error envelope keyed `result` (the default uses `status` mostly).
    pub errors_keyed_result: bool,
    /// Error envelopes without a `payload`.
    pub errors_without_payload: bool,
    /// The most records a page holds; a larger `results` is capped without a word.
    pub max_results: Option<usize>,
    /// Injected 502 and 503 answers as an HTML page.
    pub html_proxy_errors: bool,
    /// `/` written `\/`, and every character past ASCII as `\uXXXX`.
    pub escaped_json: bool,
    /// Timestamps written in this offset from UTC, in minutes (`-180` for `-0300`); dates
    /// keep their calendar day and show the offset after midnight.
    pub utc_offset_minutes: Option<i32>,
    /// Request bodies read as JSON only: form-encoded ones are refused (400).
    pub json_bodies_only: bool,
}

impl AnswerForms {
    /// The names `--answer-form` takes.
    pub const NAMES: &'static [&'static str] = &[
        "delete-as-list",
        "errors-keyed-result",
        "errors-without-payload",
        "html-proxy-errors",
        "escaped-json",
        "json-bodies-only",
    ];

    /// Turns one form on by name.
    pub fn enable(&mut self, name: &str) -> Result<(), String> {
        match name {
            "delete-as-list" => self.delete_as_list = true,
            "errors-keyed-result" => self.errors_keyed_result = true,
            "errors-without-payload" => self.errors_without_payload = true,
            "html-proxy-errors" => self.html_proxy_errors = true,
            "escaped-json" => self.escaped_json = true,
            "json-bodies-only" => self.json_bodies_only = true,
            other => {
                return Err(format!(
                    "{other:?}: expected one of {}",
                    AnswerForms::NAMES.join(", ")
                ))
            }
        }
        Ok(())
    }

    /// An envelope (or OAuth answer) rewritten into the chosen forms.
    pub fn rewrite(&self, method: &Method, mut body: Value) -> Value {
        let is_error = ["status", "result"]
            .iter()
            .any(|k| body.get(k).and_then(Value::as_str) == Some("error"));
        if is_error {
            if let Some(map) = body.as_object_mut() {
                if self.errors_keyed_result {
                    if let Some(state) = map.remove("status") {
                        map.insert("result".into(), state);
                    }
                }
                if self.errors_without_payload {
                    map.remove("payload");
                }
            }
            return body;
        }
        if self.delete_as_list && method == Method::DELETE && body.get("status").is_some() {
            let message = body.get("message").cloned().unwrap_or(Value::Null);
            return Value::Array(vec!["success".into(), message]);
        }
        if let Some(minutes) = self.utc_offset_minutes {
            shift_times(&mut body, None, minutes);
        }
        body
    }

    /// The bytes of a JSON body in the chosen form.
    pub fn render(&self, body: &Value) -> Bytes {
        let text = body.to_string();
        if !self.escaped_json {
            return Bytes::from(text);
        }
        let mut out = String::with_capacity(text.len() + text.len() / 8);
        for c in text.chars() {
            match c {
                '/' => out.push_str("\\/"),
                c if !c.is_ascii() => {
                    let mut units = [0u16; 2];
                    for unit in c.encode_utf16(&mut units) {
                        out.push_str(&format!("\\u{unit:04x}"));
                    }
                }
                c => out.push(c),
            }
        }
        Bytes::from(out)
    }

    /// The body of an injected server error.
    pub fn server_error(&self, status: u16) -> Option<(Bytes, &'static str)> {
        (self.html_proxy_errors && matches!(status, 502 | 503)).then(|| {
            let page = format!(
                "<html><head><title>{status} Bad Gateway</title></head><body><center><h1>{status} Bad Gateway</h1></center><hr><center>nginx</center></body></html>"
            );
            (Bytes::from(page), "text/html")
        })
    }

    /// `results` as the server honours it.
    pub fn cap(&self, results: usize) -> usize {
        self.max_results.map_or(results, |max| results.min(max))
    }
}

/// Rewrites `+0000` timestamps into `minutes` east of UTC: instants (`created`, `updated`,
/// `last_login`) are converted; dates written at midnight keep their day.
fn shift_times(value: &mut Value, key: Option<&str>, minutes: i32) {
    match value {
        Value::Object(map) => {
            for (k, v) in map.iter_mut() {
                shift_times(v, Some(k), minutes);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| shift_times(v, key, minutes)),
        Value::String(text) if text.ends_with("+0000") && text.len() == 24 => {
            let Some(offset) = chrono::FixedOffset::east_opt(minutes * 60) else {
                return;
            };
            let suffix = offset.to_string().replace(':', "");
            let instant = matches!(key, Some("created" | "updated" | "last_login"));
            if instant {
                if let Ok(at) = chrono::DateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%z") {
                    *text = at
                        .with_timezone(&offset)
                        .format("%Y-%m-%dT%H:%M:%S%z")
                        .to_string();
                }
            } else if text[10..19] == *"T00:00:00" {
                *text = format!("{}{suffix}", &text[..19]);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn each_form_rewrites_what_it_names_only() {
        let forms = AnswerForms {
            delete_as_list: true,
            errors_keyed_result: true,
            errors_without_payload: true,
            utc_offset_minutes: Some(-180),
            ..AnswerForms::default()
        };
        let deleted = json!({"status": "success", "message": "The contact was successfully deleted!", "payload": []});
        assert_eq!(
            forms.rewrite(&Method::DELETE, deleted),
            json!(["success", "The contact was successfully deleted!"])
        );
        let error = json!({"status": "error", "message": "No such contact", "payload": []});
        assert_eq!(
            forms.rewrite(&Method::GET, error),
            json!({"result": "error", "message": "No such contact"})
        );
        let contact = json!({"status": "success", "payload": {"created": "2026-01-01T02:00:00+0000", "date_of_birth": "1934-12-30T00:00:00+0000"}});
        let shifted = forms.rewrite(&Method::GET, contact);
        assert_eq!(shifted["payload"]["created"], "2025-12-31T23:00:00-0300");
        assert_eq!(
            shifted["payload"]["date_of_birth"],
            "1934-12-30T00:00:00-0300"
        );
    }

    #[test]
    fn forms_are_named_as_the_command_line_takes_them() {
        let mut forms = AnswerForms::default();
        for name in AnswerForms::NAMES {
            forms.enable(name).unwrap();
        }
        assert!(forms.delete_as_list && forms.escaped_json && forms.html_proxy_errors);
        assert!(forms
            .enable("xml-please")
            .unwrap_err()
            .contains("delete-as-list"));
    }

    #[test]
    fn escaped_json_reads_back_the_same() {
        let forms = AnswerForms {
            escaped_json: true,
            ..AnswerForms::default()
        };
        let body = json!({"url": "http://x/y", "name": "Zoë 😀"});
        let bytes = forms.render(&body);
        let text = std::str::from_utf8(&bytes).unwrap();
        assert!(
            text.contains("http:\\/\\/x\\/y") && text.contains("Zo\\u00eb \\ud83d\\ude00"),
            "{text}"
        );
        assert_eq!(serde_json::from_slice::<Value>(&bytes).unwrap(), body);
    }
}
