//! Test helpers: a temporary working directory and a way to run the built `bcetl` in it.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub struct Workdir {
    dir: tempfile::TempDir,
}

/// What a run of `bcetl` printed and how it ended.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Asserts that the run exited with `code` and said `message` on standard error.
    pub fn fails_with(&self, code: i32, message: &str) {
        assert_eq!(self.code, code, "{}{}", self.stdout, self.stderr);
        assert!(self.stderr.contains(message), "{}", self.stderr);
    }
}

impl Workdir {
    pub fn new() -> Workdir {
        Workdir {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn write(&self, name: &str, contents: impl AsRef<[u8]>) -> PathBuf {
        let path = self.path(name);
        std::fs::write(&path, contents).expect("write fixture");
        path
    }

    pub fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.path(name)).expect("read output")
    }

    /// A JSON-lines output (`--emit`), one value per line.
    pub fn read_jsonl(&self, name: &str) -> Vec<serde_json::Value> {
        self.read(name)
            .lines()
            .map(|line| serde_json::from_str(line).expect("one JSON value per line"))
            .collect()
    }

    pub fn bcetl(&self, args: &[&str]) -> Run {
        let output: Output = Command::new(env!("CARGO_BIN_EXE_bcetl"))
            .args(args)
            .current_dir(self.dir.path())
            .output()
            .expect("run bcetl");
        let run = Run {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        };
        assert!(
            !run.stderr.contains("panicked"),
            "bcetl panicked: {}",
            run.stderr
        );
        run
    }
}

/// The repository's own files (samples, mappings).
pub fn repo_file(relative: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(relative)
        .display()
        .to_string()
}

/// A sandbox on an ephemeral port over a fresh database, and a plain HTTP client for it.
pub struct TestSandbox {
    pub sandbox: bcetl::sandbox::Sandbox,
    pub http: reqwest::blocking::Client,
    _dir: tempfile::TempDir,
    pub db: PathBuf,
}

pub fn sandbox() -> TestSandbox {
    sandbox_with(|_| {})
}

pub fn sandbox_with(configure: impl FnOnce(&mut bcetl::sandbox::SandboxConfig)) -> TestSandbox {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("sandbox.sqlite");
    let mut config = bcetl::sandbox::SandboxConfig::new(db.clone());
    configure(&mut config);
    let sandbox = bcetl::sandbox::Sandbox::start(config).expect("sandbox starts");
    let http = reqwest::blocking::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(std::time::Duration::from_secs(30))
        .build()
        .expect("client");
    TestSandbox {
        sandbox,
        http,
        _dir: dir,
        db,
    }
}

impl TestSandbox {
    pub fn token(&self, email: &str) -> String {
        self.sandbox
            .users
            .iter()
            .find(|u| u.email == email)
            .expect("a seeded user")
            .token
            .clone()
    }

    pub fn admin(&self) -> String {
        self.token("robert.hammond@live.com.ar")
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.sandbox.url)
    }

    /// `bcetl ARGS` run in `dir` against this sandbox, with the admin's token.
    #[allow(dead_code)] // not every test binary runs the command line
    pub fn command(&self, dir: &Workdir, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_bcetl"));
        cmd.current_dir(dir.path(""))
            .args(args)
            .args(["--base-url", &self.sandbox.url])
            .env("BIGCONTACTS_TOKEN", self.admin())
            .env_remove("BIGCONTACTS_CLIENT_SECRET");
        cmd
    }

    /// `bcetl ARGS` run in `dir` against this sandbox, to its end: how it ended and what
    /// it said (a panic fails the test).
    #[allow(dead_code)]
    pub fn run(&self, dir: &Workdir, args: &[&str]) -> Run {
        run_command(self.command(dir, args))
    }

    /// Sends a request with a bearer token and an optional JSON body; the status and the
    /// body as JSON (Null when it is not JSON).
    pub fn call(
        &self,
        method: &str,
        path: &str,
        token: &str,
        body: Option<serde_json::Value>,
    ) -> (u16, serde_json::Value) {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let mut req = self.http.request(method, self.url(path)).bearer_auth(token);
        if let Some(body) = body {
            req = req.json(&body);
        }
        let resp = req.send().expect("the sandbox answers");
        let status = resp.status().as_u16();
        let text = resp.text().expect("a body");
        (
            status,
            serde_json::from_str(&text).unwrap_or(serde_json::Value::Null),
        )
    }

    pub fn stats(&self) -> serde_json::Value {
        self.http
            .get(self.url("/_sandbox/stats"))
            .send()
            .unwrap()
            .json()
            .unwrap()
    }
}

/// Runs `cmd` with its output discarded and kills it (SIGKILL, as `kill -9`) after `after`,
/// unless it ended first: whether it had finished on its own.
#[allow(dead_code)] // not every test binary kills a run
pub fn kill_after(mut cmd: Command, after: std::time::Duration) -> bool {
    use std::process::Stdio;
    let mut child = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("bcetl starts");
    std::thread::sleep(after);
    let _ = child.kill(); // fails only when it has already ended
    child.wait().expect("bcetl ends").success()
}

/// Runs `cmd`, sends it Ctrl-C (SIGINT) after `after`, and waits for it: its output, and
/// how long it took to stop once signalled.
#[cfg(unix)]
#[allow(dead_code)] // not every test binary stops a run
pub fn interrupt_after(
    mut cmd: Command,
    after: std::time::Duration,
) -> (Output, std::time::Duration) {
    use std::process::Stdio;
    let child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("bcetl starts");
    std::thread::sleep(after);
    let signalled = std::time::Instant::now();
    let sent = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(sent.success(), "SIGINT delivered");
    let output = child.wait_with_output().expect("bcetl ends");
    (output, signalled.elapsed())
}

/// The contacts a file maps to through a mapping (a path or a built-in name), by their
/// first email, lists sorted so that only their contents count, and the flags a new
/// contact gets from the server when the file says nothing (not private…) taken out.
#[allow(dead_code)]
pub fn mapped_contacts(
    path: &Path,
    mapping: &str,
) -> std::collections::BTreeMap<String, bcetl::schema::ContactInput> {
    use bcetl::schema::{ScalarField, ScalarValue};
    let file = bcetl::mapping::load_file(Path::new(mapping)).unwrap();
    let table = bcetl::read::open(path, &bcetl::read::ReadOptions::default()).unwrap();
    let compiled = bcetl::mapping::Mapping::compile(&file, Some(&table.headers)).unwrap();
    let mut out = std::collections::BTreeMap::new();
    for row in table.rows {
        let mut contact = compiled.apply(&row.unwrap()).contact;
        contact.id = None;
        for flag in [
            ScalarField::IsPrivate,
            ScalarField::EmailOptOut,
            ScalarField::IsBusiness,
        ] {
            if contact.scalars.get(flag) == Some(&ScalarValue::Bool(false)) {
                contact.scalars.set(flag, None);
            }
        }
        let Some(key) = contact.emails.first().map(|e| e.email.clone()) else {
            continue;
        };
        contact.emails.sort_by(|a, b| a.email.cmp(&b.email));
        contact.phones.sort_by(|a, b| a.phone.cmp(&b.phone));
        contact.tags.sort_by(|a, b| a.name.cmp(&b.name));
        contact.custom_fields.sort_by(|a, b| a.name.cmp(&b.name));
        out.insert(key, contact);
    }
    out
}

/// Every contact sent comes back with the same values; the first difference is shown.
#[allow(dead_code)]
pub fn same_contacts(
    sent: &std::collections::BTreeMap<String, bcetl::schema::ContactInput>,
    back: &std::collections::BTreeMap<String, bcetl::schema::ContactInput>,
) {
    for (key, contact) in sent {
        let Some(other) = back.get(key) else {
            panic!("{key} did not come back");
        };
        assert_eq!(
            format!("{contact:#?}"),
            format!("{other:#?}"),
            "{key}: every value comes back"
        );
    }
    assert_eq!(sent.len(), back.len(), "no contact more");
}

/// Runs a prepared `bcetl` command to its end: how it ended and what it said (a panic fails
/// the test).
#[allow(dead_code)]
pub fn run_command(mut cmd: Command) -> Run {
    let out = cmd.output().expect("bcetl runs");
    let run = Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    run
}
