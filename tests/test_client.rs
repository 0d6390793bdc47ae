//! The API client against the sandbox over HTTP: every way to authenticate, every endpoint,
//! every error class, and the rate-limit and retry rules under injected faults.

mod util;

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::Duration;

use bcetl::api::retry::RetryPolicy;
use bcetl::api::{ApiError, Client, ClientConfig, ContactQuery, Secret, Sent, TokenSource};
use bcetl::schema::{
    ActivityInput, ContactInput, EmailInput, ScalarField, ScalarValue, TaskEvent, TaskInput,
};
use serde_json::json;
use util::{sandbox, sandbox_with, TestSandbox};

fn client(sb: &TestSandbox, token: &str) -> Client {
    client_with(sb, TokenSource::Environment(Secret::new(token)), |_| {})
}

fn client_with(
    sb: &TestSandbox,
    source: TokenSource,
    configure: impl FnOnce(&mut ClientConfig),
) -> Client {
    let mut config = ClientConfig::new(sb.sandbox.url.clone(), source);
    config.rate = 1000.0;
    config.burst = 100;
    config.retry = RetryPolicy {
        max_attempts: 5,
        base: Duration::from_millis(5),
        cap: Duration::from_millis(50),
    };
    configure(&mut config);
    Client::new(config).unwrap()
}

fn john(email: &str) -> ContactInput {
    let mut c = ContactInput::default();
    c.scalars.set(
        ScalarField::FirstName,
        Some(ScalarValue::Text("John".into())),
    );
    c.scalars
        .set(ScalarField::LastName, Some(ScalarValue::Text("Doe".into())));
    c.emails.push(EmailInput {
        email: email.into(),
        is_office: false,
    });
    c
}

fn bcetl(args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_bcetl"));
    cmd.args(args)
        .env_remove("BIGCONTACTS_TOKEN")
        .env_remove("BIGCONTACTS_CLIENT_SECRET")
        .env_remove("BIGCONTACTS_CLIENT_ID")
        .env_remove("BIGCONTACTS_URL");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

#[test]
fn whoami_by_environment_token_and_token_file_never_printing_the_token() {
    let sb = sandbox();
    let token = sb.admin();
    let config = tempfile::tempdir().unwrap();
    let xdg = config.path().to_str().unwrap();
    let (code, out, err) = bcetl(
        &["whoami", "--base-url", &sb.sandbox.url],
        &[("BIGCONTACTS_TOKEN", &token), ("XDG_CONFIG_HOME", xdg)],
    );
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("robert.hammond@live.com.ar") && out.contains("BIGCONTACTS_TOKEN"),
        "{out}"
    );
    assert!(!out.contains(&token) && !err.contains(&token));
    let file = config.path().join("token");
    std::fs::write(&file, format!("{}\n", sb.token("carl.olmann@gmail.com"))).unwrap();
    let (code, out, _) = bcetl(
        &[
            "whoami",
            "--base-url",
            &sb.sandbox.url,
            "--token-file",
            file.to_str().unwrap(),
        ],
        &[("XDG_CONFIG_HOME", xdg)],
    );
    assert_eq!(code, 0);
    assert!(out.contains("carl.olmann@gmail.com"), "{out}");
    // A refused token: a clear message, exit 2, and still no token in it.
    let (code, out, err) = bcetl(
        &["whoami", "--base-url", &sb.sandbox.url],
        &[
            ("BIGCONTACTS_TOKEN", "wrong-token-123"),
            ("XDG_CONFIG_HOME", xdg),
        ],
    );
    assert_eq!(code, 2);
    assert!(err.contains("GET /api/users.json: not authorized"), "{err}");
    assert!(!err.contains("wrong-token-123") && !out.contains("wrong-token-123"));
}

#[test]
fn login_website_flow_stores_tokens_privately_and_refreshes_them() {
    let sb = sandbox();
    let config = tempfile::tempdir().unwrap();
    let xdg = config.path().to_str().unwrap();
    let secret = bcetl::sandbox::CLIENT_SECRET;
    let mut login = Command::new(env!("CARGO_BIN_EXE_bcetl"))
        .args([
            "login",
            "--base-url",
            &sb.sandbox.url,
            "--client-id",
            bcetl::sandbox::CLIENT_ID,
            "--redirect-uri",
            bcetl::sandbox::REDIRECT_URI,
        ])
        .env("XDG_CONFIG_HOME", xdg)
        .env("BIGCONTACTS_CLIENT_SECRET", secret)
        .env_remove("BIGCONTACTS_TOKEN")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(login.stdout.take().unwrap());
    let mut printed = String::new();
    let auth_url = loop {
        let mut line = String::new();
        assert!(
            stdout.read_line(&mut line).unwrap() > 0,
            "login printed no URL: {printed}"
        );
        printed.push_str(&line);
        if let Some(at) = line.find("http") {
            break line[at..].trim().to_string();
        }
    };
    assert!(
        auth_url.contains("/oauth/v2/auth?client_id=sandbox-client"),
        "{auth_url}"
    );
    // The person allows access; the browser lands on the redirect URI with a code.
    let redirect = sb.http.get(&auth_url).send().unwrap();
    assert_eq!(redirect.status(), 302);
    let landed = redirect.headers()["location"].to_str().unwrap().to_string();
    writeln!(login.stdin.take().unwrap(), "{landed}").unwrap();
    let out = login.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let path = config.path().join("bcetl/credentials.json");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let stored: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    assert!(
        stored.get("client_secret").is_none(),
        "the secret is never stored"
    );
    let first_token = stored["access_token"].as_str().unwrap().to_string();

    let env = [("XDG_CONFIG_HOME", xdg)];
    let (code, out, _) = bcetl(&["whoami", "--base-url", &sb.sandbox.url], &env);
    assert_eq!(code, 0);
    assert!(
        out.contains("robert.hammond") && out.contains("bcetl login"),
        "{out}"
    );

    // The token expires: without the client secret bcetl says how to go on…
    sb.http
        .post(sb.url("/_sandbox/expire-tokens"))
        .send()
        .unwrap();
    let (code, _, err) = bcetl(&["whoami", "--base-url", &sb.sandbox.url], &env);
    assert_eq!(code, 2);
    assert!(err.contains("BIGCONTACTS_CLIENT_SECRET"), "{err}");
    // …and with it, refreshes once, retries, and stores the new tokens.
    let (code, out, err) = bcetl(
        &["whoami", "--base-url", &sb.sandbox.url],
        &[
            ("XDG_CONFIG_HOME", xdg),
            ("BIGCONTACTS_CLIENT_SECRET", secret),
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("robert.hammond"));
    let stored: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    assert_ne!(stored["access_token"].as_str().unwrap(), first_token);
    assert!(!out.contains(stored["access_token"].as_str().unwrap()));

    let (code, out, _) = bcetl(&["logout"], &env);
    assert_eq!(code, 0);
    assert!(out.contains("logged out"));
    assert!(!path.exists());
}

#[test]
fn client_credentials_for_unattended_runs_and_expiry_mid_run() {
    let sb = sandbox();
    let source = TokenSource::ClientCredentials {
        client_id: bcetl::sandbox::CLIENT_ID.into(),
        client_secret: Secret::new(bcetl::sandbox::CLIENT_SECRET),
    };
    let c = client_with(&sb, source, |_| {});
    assert_eq!(c.users().unwrap().1, Some(1));
    sb.http
        .post(sb.url("/_sandbox/expire-tokens"))
        .send()
        .unwrap();
    let (users, _) = c.users().expect("renewed after a 401 and retried");
    assert_eq!(users.len(), 3);
    let stats = sb.stats();
    assert_eq!(stats["by_status"]["401"], 1, "{stats}");
    let (code, out, err) = bcetl(
        &[
            "whoami",
            "--base-url",
            &sb.sandbox.url,
            "--client-id",
            bcetl::sandbox::CLIENT_ID,
        ],
        &[
            ("BIGCONTACTS_CLIENT_SECRET", bcetl::sandbox::CLIENT_SECRET),
            (
                "XDG_CONFIG_HOME",
                tempfile::tempdir().unwrap().path().to_str().unwrap(),
            ),
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("client credentials"), "{out}");
}

#[test]
fn every_endpoint_through_typed_calls() {
    let sb = sandbox_with(|c| c.seed = 30);
    let c = client(&sb, &sb.admin());
    let page = c
        .contacts(&ContactQuery {
            page: 2,
            results: Some(10),
            ..ContactQuery::default()
        })
        .unwrap();
    assert_eq!((page.items.len(), page.page), (10, 2));
    assert!(page.total.unwrap() >= 20);
    let found = c
        .contacts(&ContactQuery {
            page: 1,
            search: Some("@example.com".into()),
            filters: vec![("created_gte".into(), "2025-01-01".into())],
            ..ContactQuery::default()
        })
        .unwrap();
    assert_eq!(found.total, page.total);

    let made = c.create_contact(&john("john@example.com")).unwrap();
    let id = made.id.unwrap();
    assert_eq!(made.emails[0].email, "john@example.com");
    assert_eq!(
        c.contact(id).unwrap().scalars.get(ScalarField::FirstName),
        Some(&ScalarValue::Text("John".into()))
    );
    let updated = c.update_contact(id, &json!({"title": "CEO"})).unwrap();
    assert_eq!(
        updated.scalars.get(ScalarField::Title),
        Some(&ScalarValue::Text("CEO".into()))
    );

    let activity = ActivityInput {
        title: Some("Follow-up call".into()),
        activity_type: Some("Phone call".into()),
        description: Some("Renewal".into()),
    };
    let a = c.create_activity(id, &activity).unwrap();
    assert_eq!(a.activity_type.as_ref().unwrap().activity, "Phone call");
    let aid = a.id.unwrap();
    assert_eq!(c.activities(id, 1).unwrap().items.len(), 1);
    let changed = c
        .update_activity(
            id,
            aid,
            &ActivityInput {
                title: Some("Renewal call".into()),
                ..ActivityInput::default()
            },
        )
        .unwrap();
    assert_eq!(
        (changed.title.as_str(), changed.description.as_str()),
        ("Renewal call", "Renewal")
    );
    assert_eq!(c.activity(id, aid).unwrap().title, "Renewal call");
    c.delete_activity(id, aid).unwrap();

    let task = TaskInput {
        title: Some("Call back".into()),
        due_date: Some("2024-01-25".into()),
        contacts: Some(json!("john@example.com")),
        priority: Some("u".into()),
        ..TaskInput::default()
    };
    let t = c.create_task(&task).unwrap();
    let tid = t.id.unwrap();
    assert_eq!(c.tasks(TaskEvent::Task, 1).unwrap().items.len(), 1);
    assert!(c.tasks(TaskEvent::Note, 1).unwrap().items.is_empty());
    assert!(
        c.update_task(
            tid,
            &TaskInput {
                completed: Some(true),
                ..TaskInput::default()
            }
        )
        .unwrap()
        .completed
    );
    assert_eq!(c.task(tid).unwrap().title, "Call back");
    c.delete_task(tid).unwrap();
    c.delete_contact(id).unwrap();
    assert!(matches!(c.contact(id), Err(ApiError::NotFound { .. })));
}

#[test]
fn every_error_class() {
    let sb = sandbox();
    let c = client(&sb, &sb.admin());
    let made = c.create_contact(&john("j@example.com")).unwrap();
    let id = made.id.unwrap();

    let e = client(&sb, "nope").users().unwrap_err();
    assert!(
        matches!(&e, ApiError::Unauthorized { call, .. } if call == "GET /api/users.json"),
        "{e}"
    );
    assert!(e.is_rejection() && !e.may_have_been_applied());

    let e = client(&sb, &sb.token("carl.olmann@gmail.com"))
        .delete_contact(id)
        .unwrap_err();
    assert!(
        matches!(&e, ApiError::Forbidden { message, .. } if message == "You cannot delete this contact"),
        "{e}"
    );

    let e = c.contact(987654).unwrap_err();
    assert!(
        matches!(&e, ApiError::NotFound { message, .. } if message == "No such contact"),
        "{e}"
    );

    let mut nameless = john("x@example.com");
    nameless.scalars.set(ScalarField::FirstName, None);
    let e = c.create_contact(&nameless).unwrap_err();
    assert!(
        matches!(&e, ApiError::Rejected { status: 400, message, .. } if message.contains("first_name")),
        "{e}"
    );
    assert_eq!(
        e.to_string(),
        "POST /api/contacts.json: rejected: The field first_name is required"
    );

    let gone = sandbox();
    let url = gone.sandbox.url.clone();
    drop(gone);
    let mut config = ClientConfig::new(url, TokenSource::Environment(Secret::new("t")));
    config.retry = RetryPolicy {
        max_attempts: 2,
        base: Duration::from_millis(1),
        cap: Duration::from_millis(1),
    };
    let e = Client::new(config).unwrap().users().unwrap_err();
    assert!(matches!(e, ApiError::Network { sent: Sent::No, .. }), "{e}");
    assert!(!e.may_have_been_applied());
}

#[test]
fn rate_limited_and_server_errors_after_the_retries() {
    let sb = sandbox_with(|c| {
        c.faults.rate = Some(1);
        c.faults.burst = Some(1);
    });
    let c = client_with(
        &sb,
        TokenSource::Environment(Secret::new(sb.admin())),
        |c| c.retry.max_attempts = 1,
    );
    c.users().unwrap();
    let e = c.users().unwrap_err();
    assert!(
        matches!(e, ApiError::RateLimited { retry_after, .. } if retry_after >= Duration::from_secs(1)),
        "{e}"
    );

    let sb = sandbox_with(|c| c.faults.fail_rate = 1.0);
    let c = client(&sb, &sb.admin());
    let e = c.users().unwrap_err();
    assert!(matches!(e, ApiError::Server { .. }), "{e}");
    assert!(e.may_have_been_applied());
    assert_eq!(
        sb.stats()["by_endpoint"]["GET /api/users"],
        5,
        "a read is tried max_attempts times"
    );
    let e = c.create_contact(&john("k@example.com")).unwrap_err();
    assert!(matches!(e, ApiError::Server { .. }), "{e}");
    assert_eq!(
        sb.stats()["by_endpoint"]["POST /api/contacts"],
        1,
        "a create is not retried after a 5xx"
    );
}

#[test]
fn reads_survive_errors_and_drops_creates_are_never_resent_blindly() {
    let sb = sandbox_with(|c| {
        // Seeded dice: this seed's sequence has no run of 12 faults in its first 100
        // (seed 11's has a run of 13, which no retry budget of 12 survives).
        c.faults.fail_rate = 0.3;
        c.faults.drop_rate = 0.3;
        c.faults.seed = 12;
    });
    let c = client_with(
        &sb,
        TokenSource::Environment(Secret::new(sb.admin())),
        |c| c.retry.max_attempts = 12,
    );
    for i in 0..30 {
        match c.users() {
            Ok((users, _)) => assert_eq!(users.len(), 3),
            Err(e) => panic!("call {i}: {e}; {}", sb.stats()),
        }
    }
    let stats = sb.stats();
    assert!(
        stats["failures_injected"].as_u64().unwrap() > 0
            && stats["dropped_before"].as_u64().unwrap()
                + stats["dropped_after_write"].as_u64().unwrap()
                > 0,
        "{stats}"
    );

    let sb = sandbox_with(|c| {
        c.faults.drop_rate = 1.0;
        c.faults.seed = 5;
    });
    let c = client(&sb, &sb.admin());
    for i in 0..6 {
        let e = c
            .create_contact(&john(&format!("drop{i}@example.com")))
            .unwrap_err();
        assert!(
            matches!(
                e,
                ApiError::Network {
                    sent: Sent::Maybe,
                    ..
                }
            ),
            "{e}"
        );
        assert!(
            e.may_have_been_applied(),
            "the caller must check before sending again"
        );
    }
    assert_eq!(
        sb.stats()["by_endpoint"]["POST /api/contacts"],
        6,
        "one attempt each: no blind resend"
    );
}

#[test]
fn a_429_storm_with_many_threads_backs_off_together_and_finishes() {
    let sb = sandbox_with(|c| {
        c.faults.rate = Some(20);
        c.faults.burst = Some(20);
    });
    // The client is told 40/s: twice what the server allows.
    let c = client_with(
        &sb,
        TokenSource::Environment(Secret::new(sb.admin())),
        |c| {
            c.rate = 40.0;
            c.burst = 40;
            c.retry.max_attempts = 10;
        },
    );
    let threads = 8;
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                for _ in 0..20 {
                    c.users().expect("every request finally succeeds");
                }
            });
        }
    });
    let stats = sb.stats();
    let limited = stats["rate_limited"].as_u64().unwrap();
    assert!(limited >= 1, "the server's limit was reached: {stats}");
    assert!(limited <= threads, "after the first 429 no request went beyond the limit (only those already in flight): {stats}");
    assert_eq!(stats["by_status"]["200"], 160);
}

#[test]
fn whoami_against_an_in_process_sandbox() {
    let data = tempfile::tempdir().unwrap();
    let xdg = data.path().to_str().unwrap();
    let (code, out, err) = bcetl(
        &["whoami", "--sandbox"],
        &[("XDG_DATA_HOME", xdg), ("XDG_CONFIG_HOME", xdg)],
    );
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("robert.hammond@live.com.ar (Robert Hammond), user 1 at http://127.0.0.1:"),
        "{out}"
    );
    assert!(out.contains("the sandbox's admin token"), "{out}");
    assert!(
        data.path().join("bcetl/sandbox.sqlite").exists(),
        "the default sandbox database, in the data directory"
    );
}

#[test]
fn a_timeout_is_a_lost_answer_that_may_have_been_applied() {
    let sb = sandbox_with(|c| c.faults.latency = Duration::from_millis(400));
    let c = client_with(
        &sb,
        TokenSource::Environment(Secret::new(sb.admin())),
        |c| {
            c.timeout = Duration::from_millis(100);
            c.retry.max_attempts = 2;
        },
    );
    let e = c.users().unwrap_err();
    assert!(
        matches!(
            e,
            ApiError::Network {
                sent: Sent::Maybe,
                ..
            }
        ),
        "{e}"
    );
    assert!(
        e.to_string()
            .starts_with("GET /api/users.json: no response"),
        "{e}"
    );
    let e = c.create_contact(&john("slow@example.com")).unwrap_err();
    assert!(e.may_have_been_applied(), "{e}");
}

#[test]
fn retry_waits_go_through_the_clients_clock() {
    use governor::clock::{Clock, FakeRelativeClock, Reference};
    let sb = sandbox_with(|c| c.faults.fail_rate = 1.0);
    let mut config = ClientConfig::new(
        sb.sandbox.url.clone(),
        TokenSource::Environment(Secret::new(sb.admin())),
    );
    config.retry = RetryPolicy {
        max_attempts: 6,
        base: Duration::from_millis(250),
        cap: Duration::from_secs(15),
    };
    let clock = FakeRelativeClock::default();
    let start = clock.now();
    let c = Client::with_clock(config, clock.clone()).unwrap();
    let e = c.users().unwrap_err();
    assert!(matches!(e, ApiError::Server { .. }), "{e}");
    assert_eq!(sb.stats()["by_endpoint"]["GET /api/users"], 6);
    // Five waits, each in the upper half of its window: 250 ms, 500 ms, 1 s, 2 s, 4 s.
    let waited = Duration::from(clock.now().duration_since(start));
    assert!(
        waited >= Duration::from_millis(3875) && waited < Duration::from_millis(7750),
        "the fake clock moved {waited:?}"
    );
}

#[test]
fn every_page_of_a_listing_until_an_empty_one() {
    let sb = sandbox();
    let c = client(&sb, &sb.admin());
    for i in 0..7 {
        c.create_contact(&john(&format!("p{i}@example.com")))
            .unwrap();
    }
    let query = ContactQuery {
        results: Some(3),
        ..ContactQuery::default()
    };
    let pages: Vec<_> = c.all_contacts(&query).map(Result::unwrap).collect();
    let sizes: Vec<usize> = pages.iter().map(|p| p.items.len()).collect();
    assert_eq!(sizes, [3, 3, 1]);
    assert_eq!(pages.iter().map(|p| p.page).collect::<Vec<_>>(), [1, 2, 3]);
    let mut ids: Vec<i64> = pages
        .iter()
        .flat_map(|p| &p.items)
        .filter_map(|c| c.id)
        .collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 7, "every contact once");
    assert_eq!(
        sb.stats()["by_endpoint"]["GET /api/contacts"],
        4,
        "three pages and the empty one that ends the listing"
    );

    let empty = sandbox();
    let c = client(&empty, &empty.admin());
    assert_eq!(c.all_contacts(&ContactQuery::default()).count(), 0);
}

#[test]
fn help_never_shows_the_token_or_secret_from_the_environment() {
    let env = [
        ("BIGCONTACTS_TOKEN", "tok-3f9a-never-shown"),
        ("BIGCONTACTS_CLIENT_SECRET", "sec-77b1-never-shown"),
    ];
    for command in ["whoami", "login"] {
        let (code, out, err) = bcetl(&[command, "--help"], &env);
        assert_eq!(code, 0, "{err}");
        assert!(out.contains("--token-file"), "{out}");
        assert!(
            !out.contains("never-shown") && !err.contains("never-shown"),
            "{command} --help shows a secret:\n{out}{err}"
        );
    }
}

/// Every form the documents allow a server to answer in, one sandbox each, through the
/// typed calls: the client must read each the same way.
#[test]
fn every_answer_form_the_documents_allow() {
    use bcetl::sandbox::AnswerForms;
    let forms: Vec<(&str, AnswerForms)> = vec![
        (
            "delete as a bare list",
            AnswerForms {
                delete_as_list: true,
                ..AnswerForms::default()
            },
        ),
        (
            "errors keyed result",
            AnswerForms {
                errors_keyed_result: true,
                ..AnswerForms::default()
            },
        ),
        (
            "errors without payload",
            AnswerForms {
                errors_without_payload: true,
                ..AnswerForms::default()
            },
        ),
        (
            "results capped at 2",
            AnswerForms {
                max_results: Some(2),
                ..AnswerForms::default()
            },
        ),
        (
            "escaped JSON",
            AnswerForms {
                escaped_json: true,
                ..AnswerForms::default()
            },
        ),
        (
            "UTC-03:00",
            AnswerForms {
                utc_offset_minutes: Some(-180),
                ..AnswerForms::default()
            },
        ),
        (
            "UTC+05:30",
            AnswerForms {
                utc_offset_minutes: Some(330),
                ..AnswerForms::default()
            },
        ),
    ];
    for (name, forms) in forms {
        let sb = sandbox_with(|c| c.forms = forms.clone());
        let c = client(&sb, &sb.admin());
        let mut ids = Vec::new();
        for i in 0..5 {
            let mut input = john(&format!("f{i}@example.com"));
            input.scalars.set(
                ScalarField::DateOfBirth,
                Some(ScalarValue::Text("1934-12-30".into())),
            );
            input.scalars.set(
                ScalarField::FirstName,
                Some(ScalarValue::Text("Zoë/Ünal".into())),
            );
            ids.push(c.create_contact(&input).unwrap().id.unwrap());
        }
        let query = ContactQuery {
            results: Some(3),
            ..ContactQuery::default()
        };
        let listed: Vec<i64> = c
            .all_contacts(&query)
            .map(|p| p.unwrap())
            .flat_map(|p| p.items)
            .filter_map(|contact| contact.id)
            .collect();
        assert_eq!(
            listed, ids,
            "{name}: every contact once, whatever the page size"
        );
        let one = c.contact(ids[0]).unwrap();
        let input = one.to_input();
        assert_eq!(
            input.scalars.get(ScalarField::DateOfBirth),
            Some(&ScalarValue::Text("1934-12-30".into())),
            "{name}: the calendar day, whatever the offset"
        );
        assert_eq!(
            input.scalars.get(ScalarField::FirstName),
            Some(&ScalarValue::Text("Zoë/Ünal".into())),
            "{name}"
        );
        assert!(
            bcetl::schema::parse_timestamp(one.created.as_deref().unwrap()).is_some(),
            "{name}: {:?}",
            one.created
        );
        // A create whose answer is read only up to the new id, as the import sends them:
        // the id names the contact sent.
        let sent = john("early@example.com");
        let id = c
            .create_contact_json(&serde_json::to_string(&sent).unwrap())
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(!ids.contains(&id), "{name}: {id} was another's");
        let emails: Vec<String> = c
            .contact(id)
            .unwrap()
            .emails
            .into_iter()
            .map(|e| e.email)
            .collect();
        assert_eq!(emails, ["early@example.com"], "{name}");
        c.delete_contact(ids[0])
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let e = c.contact(ids[0]).unwrap_err();
        assert!(matches!(e, ApiError::NotFound { .. }), "{name}: {e}");
        let e = c.create_contact(&ContactInput::default()).unwrap_err();
        assert!(
            matches!(&e, ApiError::Rejected { message, .. } if message.contains("required")),
            "{name}: {e}"
        );
    }

    // HTML pages from a proxy on 502/503: server errors, and reads retried through them.
    let sb = sandbox_with(|c| {
        c.forms.html_proxy_errors = true;
        c.faults.fail_rate = 0.5;
        c.faults.seed = 4;
    });
    let c = client_with(
        &sb,
        TokenSource::Environment(Secret::new(sb.admin())),
        |c| c.retry.max_attempts = 12,
    );
    for _ in 0..10 {
        assert_eq!(c.users().unwrap().0.len(), 3);
    }
    let by_status = &sb.stats()["by_status"];
    assert!(
        by_status["502"].as_u64().unwrap_or(0) + by_status["503"].as_u64().unwrap_or(0) > 0,
        "{by_status}"
    );
}
