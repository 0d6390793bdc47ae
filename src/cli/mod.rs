//! The command line, in two stages: this file mirrors it (every subcommand and flag, with
//! its help text, parsed by clap); [`connect`] turns the API flags into a ready client.
//! Commands in `cmd` call both; nothing here calls `cmd`.
//!
//! Exit status, for every command: 0 success; 1 finished, but some rows were rejected
//! (invalid rows in `validate`); 2 a usage, configuration or input error stopped the run;
//! 130 stopped by Ctrl-C.

pub mod connect;

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::api::Secret;

const AFTER_HELP: &str = "\
Exit status: 0 success; 1 finished, but rows were invalid or rejected; 2 usage, configuration
or input error; 130 stopped by Ctrl-C.

Examples:
  bcetl mapping init contacts.csv > my-mapping.toml
  bcetl mapping check my-mapping.toml contacts.csv
  bcetl validate contacts.csv --mapping my-mapping.toml --report report.xlsx";

/// Move contact data in and out of the BigContacts CRM in bulk.
///
/// Start with a dry run: `validate` reads a spreadsheet through a mapping and shows, row by
/// row and cell by cell, what is wrong before anything is sent.
#[derive(Debug, Parser)]
#[command(name = "bcetl", version, after_help = AFTER_HELP)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Dry run: map and check every row of a file, sending nothing.
    #[command(after_help = "\
Examples:
  bcetl validate contacts.csv --mapping mappings/crm-export.toml
  bcetl validate leads.xlsx --mapping leads.toml --sheet Leads --report leads-report.xlsx
  bcetl validate contacts.csv -m contacts.toml --report findings.csv --emit bodies.jsonl

The XLSX report opens on a Summary sheet; its Rows sheet is a copy of the input sheet with
each bad cell filled red (error) or yellow (warning) and a note saying why on the first
2,000 of them, with the row number and a Problems column (why, for every row) first. A .csv
or .json report lists every finding.

Ctrl-C stops the run cleanly: no report or bodies are written, and earlier ones are left as
they were. Reports are written under a hidden name and renamed when the run ends.

Exit status: 0 every row is valid (warnings allowed); 1 some rows are invalid; 2 the file or
the mapping could not be used; 130 stopped by Ctrl-C.")]
    Validate(ValidateArgs),
    /// Create every valid row of a file in BigContacts, exactly once, resumably.
    #[command(after_help = "\
The output folder (--out, or INPUT's name with .import beside it) holds the journal that
makes the import resumable: run the same command again after a crash, Ctrl-C or a lost
network and it goes on where it stopped, looking up creates whose answer was lost before
sending anything again. It also holds success.csv, errors.csv (the input's columns plus row
and reason: fix it and import it with the same mapping) and summary.json.

Examples:
  bcetl import contacts.csv --mapping m.toml --dry-run
  bcetl import contacts.csv --mapping m.toml --sandbox
  BIGCONTACTS_TOKEN=… bcetl import contacts.csv --mapping m.toml --rate 10 --concurrency 4")]
    Import(ImportArgs),
    /// Undo an import: delete every contact it created (resumable, rate limited).
    Rollback(RollbackArgs),
    /// Write every contact (or those the filters name) to CSV, XLSX or JSON lines.
    #[command(after_help = "\
Without --mapping, the default layout: the contact id first, every field a column, lists in
numbered columns, one column per custom field (mappings/default-layout.toml reads it back).
With --mapping, the import mapping runs in reverse: the same columns, value maps and dates.

The output is written under a hidden name and renamed into place when complete, with
OUTPUT.manifest.json beside it (rows, sha256, filters, watermark). A failed run leaves the
previous file, manifest and state untouched.

Nightly:
  bcetl export changes.csv --state export.state --merge contacts.csv
writes what changed since the last run to changes.csv and folds it into contacts.csv
(changed contacts replaced, new ones added, deleted ones dropped).

Examples:
  bcetl export contacts.csv --sandbox
  bcetl export contacts.xlsx --mapping mappings/crm-export.toml
  bcetl export - --updated-gte 2026-01-01 --format jsonl | jq .id

Exit status: 0 exported; 2 the export failed (nothing was replaced); 130 stopped by Ctrl-C.")]
    Export(ExportArgs),
    /// Write and check mapping files.
    #[command(subcommand)]
    Mapping(MappingCommand),
    /// A local BigContacts-compatible server to rehearse against.
    #[command(subcommand)]
    Sandbox(SandboxCommand),
    /// Log in with OAuth2 (the "website flow") and store the tokens for later commands.
    #[command(after_help = "\
bcetl prints the authorization URL; open it, allow access, and paste back the URL your
browser was redirected to (or just its code). The tokens are stored in
~/.config/bcetl/credentials.json, readable by you only. The client secret is read from
BIGCONTACTS_CLIENT_SECRET or --client-secret-file and is never stored.

Example:
  export BIGCONTACTS_CLIENT_SECRET=…
  bcetl login --client-id 1_abc --redirect-uri https://example.com/callback")]
    Login(LoginArgs),
    /// Remove the stored login.
    Logout,
    /// Show who the credentials belong to, and where they point.
    #[command(after_help = "\
Examples:
  BIGCONTACTS_TOKEN=… bcetl whoami
  bcetl whoami --sandbox")]
    Whoami(ApiArgs),
}

/// How to reach BigContacts. The access token is taken, in this order, from
/// BIGCONTACTS_TOKEN, --token-file, the stored `bcetl login`, or (for unattended runs) the
/// client-credentials grant with --client-id and BIGCONTACTS_CLIENT_SECRET.
#[derive(Debug, Args, Clone, Default)]
pub struct ApiArgs {
    /// The API's base URL. Plain http is refused except to this machine, and so is a user
    /// name or password in it.
    #[arg(
        long,
        env = "BIGCONTACTS_URL",
        hide_env_values = true,
        value_name = "URL"
    )]
    pub base_url: Option<String>,
    /// An access token. Meant for the environment only (a flag would show in `ps`), so the
    /// flag is hidden and the value never shown.
    #[arg(long = "access-token", env = "BIGCONTACTS_TOKEN", hide = true, hide_env_values = true, value_parser = secret)]
    pub token: Option<Secret>,
    /// A file holding an access token (its first line).
    #[arg(long, value_name = "PATH")]
    pub token_file: Option<PathBuf>,
    /// OAuth2 client id, for refreshing a login or the client-credentials grant.
    #[arg(long, env = "BIGCONTACTS_CLIENT_ID", value_name = "ID")]
    pub client_id: Option<String>,
    /// A file holding the OAuth2 client secret (instead of BIGCONTACTS_CLIENT_SECRET).
    #[arg(long, value_name = "PATH")]
    pub client_secret_file: Option<PathBuf>,
    /// The OAuth2 client secret, from the environment only (hidden, like the token).
    #[arg(long = "client-secret", env = "BIGCONTACTS_CLIENT_SECRET", hide = true, hide_env_values = true, value_parser = secret)]
    pub client_secret: Option<Secret>,
    /// Requests per second for the whole run, shared by every thread (more than 0, at most
    /// 10,000).
    #[arg(long, default_value_t = 5.0, allow_negative_numbers = true, value_parser = rate)]
    pub rate: f64,
    /// Requests that may go at once before --rate applies (1 or more).
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..))]
    pub burst: u32,
    /// Work against a sandbox started in this process (over the default sandbox database)
    /// instead of BigContacts.
    #[arg(long)]
    pub sandbox: bool,
}

#[derive(Debug, Args, Clone)]
pub struct LoginArgs {
    #[command(flatten)]
    pub api: ApiArgs,
    /// The redirect URI whitelisted for your OAuth2 client.
    #[arg(long, env = "BIGCONTACTS_REDIRECT_URI", value_name = "URI")]
    pub redirect_uri: String,
}

#[derive(Debug, Subcommand)]
pub enum SandboxCommand {
    /// Serve the sandbox on 127.0.0.1 until Ctrl-C.
    #[command(after_help = "\
The sandbox behaves like BigContacts as documented (users, contacts, contact activity, tasks,
OAuth2; JSON and XML), keeps its data in SQLite across restarts, and prints its URL and an
access token for each seeded user. It listens on the loopback address only.

Fault injection, for rehearsing bad days: --rate/--burst (per-token limit, HTTP 429 with
Retry-After), --latency-ms, --fail-rate (random 500/502/503), --drop-rate (connections closed
without an answer, half of them after the write was applied). Counters of what clients did
are served at GET /_sandbox/stats.

Examples:
  bcetl sandbox serve
  bcetl sandbox serve --port 8719 --db rehearsal.sqlite --seed 10000
  bcetl sandbox serve --rate 10 --burst 20 --fail-rate 0.05 --drop-rate 0.02 --fault-seed 7
  curl -H 'Authorization: Bearer TOKEN' http://127.0.0.1:8719/api/contacts.json?results=5")]
    Serve(SandboxArgs),
}

#[derive(Debug, Args, Clone)]
pub struct SandboxArgs {
    /// Port on 127.0.0.1 (0 for any free port).
    #[arg(long, default_value_t = 8719)]
    pub port: u16,
    /// The SQLite database (default: sandbox.sqlite in your data directory).
    #[arg(long, value_name = "PATH")]
    pub db: Option<PathBuf>,
    /// Make sure the database holds at least N realistic contacts (the same N every time).
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub seed: usize,
    /// Requests per second allowed per access token (default: no limit).
    #[arg(long)]
    pub rate: Option<u32>,
    /// Requests a token may send at once before --rate applies (default: the rate).
    #[arg(long)]
    pub burst: Option<u32>,
    /// Delay added to every API request.
    #[arg(long, value_name = "MS", default_value_t = 0)]
    pub latency_ms: u64,
    /// Share of API requests answered 500/502/503 without being applied (0 to 1).
    #[arg(long, value_name = "SHARE", default_value_t = 0.0)]
    pub fail_rate: f64,
    /// Share of API requests whose connection is closed without an answer (0 to 1).
    #[arg(long, value_name = "SHARE", default_value_t = 0.0)]
    pub drop_rate: f64,
    /// Seed of the fault dice, for repeatable runs.
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub fault_seed: u64,
    /// Lifetime of access tokens, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 3600)]
    pub token_ttl: i64,
    /// Answer in one of the other forms the documents allow (repeatable): delete-as-list,
    /// errors-keyed-result, errors-without-payload, html-proxy-errors, escaped-json.
    #[arg(long, value_name = "FORM")]
    pub answer_form: Vec<String>,
    /// Cap `results` at N per page without saying so, as a server may.
    #[arg(long, value_name = "N")]
    pub max_results: Option<usize>,
    /// Write timestamps in this offset from UTC, such as -03:00 or +05:30.
    #[arg(long, value_name = "OFFSET", allow_hyphen_values = true)]
    pub utc_offset: Option<String>,
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// The spreadsheet to check: CSV (any delimiter), XLSX, XLS or ODS.
    pub input: PathBuf,
    /// The mapping file (TOML) from columns to the contact schema.
    #[arg(short, long)]
    pub mapping: PathBuf,
    /// Write every finding to this file: .csv, .json, or .xlsx (the input with bad cells
    /// highlighted).
    #[arg(long, value_name = "PATH")]
    pub report: Option<PathBuf>,
    /// Write the JSON body an import would send for each valid row, one per line.
    #[arg(long, value_name = "PATH.jsonl")]
    pub emit: Option<PathBuf>,
    #[command(flatten)]
    pub read: ReadArgs,
    /// Print only the summary line.
    #[arg(short, long)]
    pub quiet: bool,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The spreadsheet to import: CSV (any delimiter), XLSX, XLS or ODS.
    pub input: PathBuf,
    /// The mapping file (TOML) from columns to the contact schema.
    #[arg(short, long)]
    pub mapping: PathBuf,
    /// The output folder: journal, success.csv, errors.csv, summary.json.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// What to do with each row.
    #[arg(long, value_enum, default_value_t = ImportMode::Create)]
    pub mode: ImportMode,
    /// How rows find their contact for update, upsert and delete: `email` (any of the
    /// contact's emails, ignoring case), `id` (the mapping's `[fields] id` column) or
    /// `custom:NAME` (a custom field holding an external id, such as `custom:Legacy ID`).
    #[arg(long = "match", value_name = "KEY", default_value = "email")]
    pub match_key: String,
    /// On update, send the row's lists (emails, phones, tags…) alone instead of adding them
    /// to the contact's.
    #[arg(long)]
    pub replace_lists: bool,
    /// On update, what a blank cell does: `leave` the field as it is, or `clear` it.
    #[arg(long, value_enum, default_value_t = BlankCells::Leave)]
    pub blank: BlankCells,
    /// How rows find their contact: `index` reads the whole account once (a request per
    /// page of 1,000), `per-row` asks for each row (a search by email, or a read by id);
    /// `auto` picks the one that costs fewer requests.
    #[arg(long, value_enum, default_value_t = LookupArg::Auto)]
    pub lookup: LookupArg,
    /// Rows sent at once (each on its own connection, all within --rate).
    #[arg(long, default_value_t = 4)]
    pub concurrency: usize,
    /// Send nothing: write the request bodies that would be sent to OUT/requests.jsonl.
    #[arg(long)]
    pub dry_run: bool,
    /// Read the account (and nothing else) and write OUT/plan.csv: each row's action and,
    /// for updates, what would change; with counts and the time the run would take.
    #[arg(long, conflicts_with = "dry_run")]
    pub plan: bool,
    /// With --mode delete: do not ask for confirmation.
    #[arg(long)]
    pub yes: bool,
    #[command(flatten)]
    pub api: ApiArgs,
    #[command(flatten)]
    pub read: ReadArgs,
    /// Print only the summary.
    #[arg(short, long)]
    pub quiet: bool,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The file to write (`-` for standard output); its extension gives the format.
    pub output: PathBuf,
    /// What to export: contacts, activities (every contact's; the date filters and --q pick
    /// the contacts), tasks (the three events, with an Event column) or users.
    #[arg(long, value_enum, default_value_t = ExportEntity::Contacts)]
    pub entity: ExportEntity,
    /// An import mapping to run in reverse; without one, the default layout.
    #[arg(short, long)]
    pub mapping: Option<PathBuf>,
    /// csv, xlsx or jsonl (default: from OUTPUT's extension; CSV for `-`).
    #[arg(long)]
    pub format: Option<String>,
    /// `all` adds the read-only Created, Updated, Active and Groups to the default layout.
    #[arg(long, value_enum, default_value_t = ExportColumns::Default)]
    pub columns: ExportColumns,
    /// Contacts updated on this date or time (any form the API takes: 2026-01-31,
    /// "2026-01-31 08:00:00", yesterday…); likewise the nine below.
    #[arg(long, value_name = "WHEN")]
    pub updated: Option<String>,
    #[arg(long, value_name = "WHEN")]
    pub updated_gt: Option<String>,
    #[arg(long, value_name = "WHEN")]
    pub updated_lt: Option<String>,
    #[arg(long, value_name = "WHEN")]
    pub updated_gte: Option<String>,
    #[arg(long, value_name = "WHEN")]
    pub updated_lte: Option<String>,
    #[arg(long, value_name = "WHEN")]
    pub created: Option<String>,
    #[arg(long, value_name = "WHEN")]
    pub created_gt: Option<String>,
    #[arg(long, value_name = "WHEN")]
    pub created_lt: Option<String>,
    #[arg(long, value_name = "WHEN")]
    pub created_gte: Option<String>,
    #[arg(long, value_name = "WHEN")]
    pub created_lte: Option<String>,
    /// Only contacts whose emails, company, or their or their family's names contain TEXT.
    #[arg(long, value_name = "TEXT")]
    pub q: Option<String>,
    /// Make the run incremental: the first run exports everything and records the latest
    /// update seen; later runs export what changed since.
    #[arg(long, value_name = "FILE")]
    pub state: Option<PathBuf>,
    /// Also fold the changes into this full snapshot (same format), dropping contacts that
    /// no longer exist.
    #[arg(long, value_name = "SNAPSHOT", requires = "state")]
    pub merge: Option<PathBuf>,
    /// Contacts asked for per page (a server may give fewer; paging uses what it gives).
    #[arg(long, default_value_t = 1000)]
    pub page_size: u32,
    /// Pages read at once (all within --rate).
    #[arg(long, default_value_t = 4)]
    pub concurrency: usize,
    /// CSV: keep cells that start with = + - @ as they are (by default they get a leading '
    /// so that a spreadsheet does not run them as formulas; bcetl's reader takes it off
    /// again). XLSX never needs it: text goes into string cells.
    #[arg(long)]
    pub keep_formulas: bool,
    #[command(flatten)]
    pub api: ApiArgs,
    /// Print nothing but errors.
    #[arg(short, long)]
    pub quiet: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportEntity {
    Contacts,
    Activities,
    Tasks,
    Users,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum BlankCells {
    Leave,
    Clear,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LookupArg {
    Auto,
    Index,
    PerRow,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportColumns {
    Default,
    All,
}

#[derive(Debug, Args)]
pub struct RollbackArgs {
    /// The output folder of the import to undo (it holds journal.sqlite).
    pub dir: PathBuf,
    /// Deletes sent at once (all within --rate).
    #[arg(long, default_value_t = 4)]
    pub concurrency: usize,
    /// Do not ask for confirmation.
    #[arg(long)]
    pub yes: bool,
    #[command(flatten)]
    pub api: ApiArgs,
    /// Print only the summary.
    #[arg(short, long)]
    pub quiet: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ImportMode {
    /// Post every valid row as a new contact.
    Create,
    /// Change the contact the row's key names (never creates).
    Update,
    /// Change the contact the row's key names, or create one when none has it.
    Upsert,
    /// Delete the contact the row's key names (asks first, or give --yes).
    Delete,
}

/// How to read the input; each overrides the mapping's `[source]` section.
#[derive(Debug, Args, Clone, Default)]
pub struct ReadArgs {
    /// Workbook sheet, by name or 1-based position.
    #[arg(long)]
    pub sheet: Option<String>,
    /// The row holding the column names (1-based); 0 when the file has none.
    #[arg(long, value_name = "N")]
    pub header_row: Option<usize>,
    /// CSV delimiter: one character or `tab`. Default: detected.
    #[arg(long, value_name = "CHAR")]
    pub delimiter: Option<String>,
    /// CSV encoding: utf-8, utf-16, windows-1252… Default: detected.
    #[arg(long)]
    pub encoding: Option<String>,
    /// CSV: keep a leading ' before = + - @ (by default it is read as the formula guard
    /// that bcetl's exports and reports write, and taken off).
    #[arg(long)]
    pub keep_apostrophes: bool,
}

#[derive(Debug, Subcommand)]
pub enum MappingCommand {
    /// Write a starting mapping guessed from a file's column names.
    #[command(after_help = "\
Columns are recognized by their usual names in English, French, German, Spanish and
Portuguese (E-mail, Mobile, Handy, Zip, PLZ, Code postal, DOB, Company…). Columns that
could not be placed are listed as commented custom fields, for you to decide.

Example:
  bcetl mapping init contacts.csv -o contacts.toml")]
    Init {
        /// The spreadsheet whose header row to read.
        file: PathBuf,
        /// Where to write the mapping (default: standard output). An existing file is left
        /// alone unless --force is given.
        #[arg(short, long)]
        output: Option<PathBuf>,
        /// Replace the --output file if it exists.
        #[arg(long, requires = "output")]
        force: bool,
        #[command(flatten)]
        read: ReadArgs,
    },
    /// Explain every problem in a mapping at once, optionally against a file's columns.
    #[command(after_help = "\
Reports unknown target fields, columns missing from the file (with a suggestion), duplicate
targets and invalid transforms, all in one run.

Examples:
  bcetl mapping check contacts.toml
  bcetl mapping check contacts.toml contacts.csv")]
    Check {
        /// The mapping file.
        mapping: PathBuf,
        /// A file whose columns the mapping must find.
        file: Option<PathBuf>,
        #[command(flatten)]
        read: ReadArgs,
    },
}

/// A token or secret from the environment: trimmed, and never shown by `Debug`.
fn secret(text: &str) -> Result<Secret, String> {
    Ok(Secret::new(text))
}

/// `--rate`: a number of requests per second, 0 < r ≤ 10,000 (an infinite or huge rate
/// would overflow the throttle's period).
fn rate(text: &str) -> Result<f64, String> {
    let rate: f64 = text
        .trim()
        .parse()
        .map_err(|_| format!("{text:?} is not a number of requests per second"))?;
    if rate > 0.0 && rate <= 10_000.0 {
        Ok(rate)
    } else {
        Err(format!(
            "{text}: give more than 0 and at most 10000 requests per second"
        ))
    }
}
