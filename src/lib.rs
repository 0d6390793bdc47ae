//! bcetl: move contact data in and out of the BigContacts CRM in bulk.
//!
//! The pipeline, one module per stage:
//! - [`read`]: spreadsheets (CSV, XLSX, XLS, ODS) as a stream of rows with the row numbers a
//!   spreadsheet user sees;
//! - [`mapping`]: a declarative TOML mapping from columns to the contact schema, run forward
//!   (row → contact) and in reverse (contact → row);
//! - [`validate`]: the rules a contact must pass before it is sent, and the dry-run report;
//! - [`api`]: the client (tokens, throttle, retries, typed endpoints);
//! - [`write`]: files that appear whole or not at all, and the one tabular writer (CSV,
//!   XLSX, JSON lines) for reports and exports;
//! - [`schema`]: the API's records, shared by every stage.
//!
//! [`guard`] is the apostrophe that keeps a CSV cell from running as a formula, put on by
//! `write` and taken off by `read`.
//!
//! [`pipeline`] is the shape every bulk command runs in (read ahead, transform in parallel,
//! sink in order); [`sandbox`] is the local BigContacts server the tests and `--sandbox` use.
//! [`cli`] mirrors the command line and turns its API flags into a client; `cmd` holds one
//! file per subcommand and calls into the stages, never the reverse. Beside them,
//! [`progress`] draws on a terminal, [`clock`] is the time every wait goes through, and
//! [`interrupt`] turns Ctrl-C into a clean stop.

pub mod api;
pub mod cli;
pub mod clock;
pub mod cmd;
pub mod export;
pub mod finding;
pub mod guard;
pub mod import;
pub mod interrupt;
pub mod mapping;
pub mod pipeline;
pub mod progress;
pub mod read;
pub mod sandbox;
pub mod schema;
pub mod validate;
pub mod write;
