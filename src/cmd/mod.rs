//! One file per subcommand; each turns parsed arguments into calls on the pipeline's stages.
//!
//! May call every other module; nothing calls `cmd` but `main.rs`.

use std::sync::atomic::{AtomicBool, Ordering};

/// Prints a line on standard output, as `println!` would, without its panic: a reader
/// that went away (`| head`, `| grep -q`) is not an error, and any other failure (a full
/// disk) is said once on standard error and makes the run exit 2 ([`stdout_failed`]).
macro_rules! say {
    ($($arg:tt)*) => {
        $crate::cmd::print_line(format_args!($($arg)*))
    };
}

/// Prints a line on standard error, as `eprintln!` would, without its panic: when standard
/// error cannot be written (`2>/dev/full`, a closed descriptor) there is no one to tell.
macro_rules! note {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr().lock(), $($arg)*);
    }};
}

mod export;
mod import;
mod login;
mod logout;
mod mapping;
mod rollback;
mod sandbox;
mod validate;
mod whoami;

use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result};

use crate::cli::{Cli, Command, MappingCommand, ReadArgs, SandboxCommand};
use crate::mapping::{Mapping, MappingFile};
use crate::read::{self, ReadOptions, SheetRef, Table};

static STDOUT_FAILED: AtomicBool = AtomicBool::new(false);

/// Whether a line could not be written to standard output for another reason than a
/// closed pipe.
pub fn stdout_failed() -> bool {
    STDOUT_FAILED.load(Ordering::Relaxed)
}

#[doc(hidden)]
pub fn print_line(args: std::fmt::Arguments) {
    use std::io::Write;
    let written = writeln!(std::io::stdout().lock(), "{args}");
    if let Err(e) = written {
        if e.kind() != std::io::ErrorKind::BrokenPipe
            && !STDOUT_FAILED.swap(true, Ordering::Relaxed)
        {
            let _ = writeln!(
                std::io::stderr(),
                "bcetl: cannot write to standard output: {e}"
            );
        }
    }
}

pub fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::Validate(args) => validate::run(args),
        Command::Import(args) => import::run(args),
        Command::Rollback(args) => rollback::run(args),
        Command::Export(args) => export::run(args),
        Command::Mapping(MappingCommand::Init {
            file,
            output,
            force,
            read,
        }) => mapping::init(&file, output.as_deref(), force, &read),
        Command::Mapping(MappingCommand::Check {
            mapping,
            file,
            read,
        }) => mapping::check(&mapping, file.as_deref(), &read),
        Command::Sandbox(SandboxCommand::Serve(args)) => sandbox::serve(&args),
        Command::Login(args) => login::run(&args),
        Command::Logout => logout::run(),
        Command::Whoami(args) => whoami::run(&args),
    }
}

/// Command-line read flags over the mapping's `[source]` section.
fn read_options(base: ReadOptions, args: &ReadArgs) -> Result<ReadOptions> {
    let delimiter = match args.delimiter.as_deref() {
        None => base.delimiter,
        Some(text) => {
            Some(read::parse_delimiter(text).map_err(|e| anyhow::anyhow!("--delimiter {e}"))?)
        }
    };
    Ok(ReadOptions {
        sheet: args.sheet.as_deref().map(SheetRef::parse).or(base.sheet),
        header_row: args.header_row.or(base.header_row),
        delimiter,
        encoding: args.encoding.clone().or(base.encoding),
        keep_apostrophes: args.keep_apostrophes || base.keep_apostrophes,
        allow_no_rows: false,
    })
}

/// Opens an input and compiles a mapping against its headers: the start of every command
/// that reads a file through a mapping.
fn open_with_mapping(
    input: &Path,
    mapping_path: &Path,
    args: &ReadArgs,
) -> Result<(Table, Mapping)> {
    let file: MappingFile = crate::mapping::load_file(mapping_path)?;
    let options = read_options(crate::mapping::source_options(&file), args)?;
    let table = read::open(input, &options)?;
    let mapping = Mapping::compile(&file, Some(&table.headers)).map_err(|problems| {
        anyhow::anyhow!(
            "{}: {} problem(s) with {}:\n{problems}",
            mapping_path.display(),
            problems.0.len(),
            input.display()
        )
    })?;
    Ok((table, mapping))
}

/// An input that can be read more than once: standard input (`-`), a pipe, a FIFO or a
/// device is copied once into `dir` (as `input.EXT`, keeping its extension) and read from
/// there, since a run reads its input several times (the rows, their count, the cells of
/// errors.csv) and a stream gives its bytes once (a FIFO opened again waits for ever). A
/// regular file is read where it is.
fn rereadable(input: &Path, dir: &Path) -> Result<std::path::PathBuf> {
    let stdin = input.as_os_str() == "-";
    if !stdin {
        match std::fs::metadata(input) {
            Ok(meta) if meta.is_file() || meta.is_dir() => return Ok(input.to_path_buf()),
            Ok(_) => {}
            // Missing: the reader says so, naming the file.
            Err(_) => return Ok(input.to_path_buf()),
        }
    }
    std::fs::create_dir_all(dir).with_context(|| format!("{}: cannot create", dir.display()))?;
    let ext = if stdin { None } else { input.extension() };
    let copy = dir.join(match ext {
        Some(ext) => format!("input.{}", ext.to_string_lossy()),
        None => "input".to_string(),
    });
    let mut source: Box<dyn std::io::Read> = if stdin {
        Box::new(std::io::stdin().lock())
    } else {
        Box::new(
            std::fs::File::open(input)
                .with_context(|| format!("{}: cannot open", input.display()))?,
        )
    };
    let mut out = crate::write::AtomicFile::create(&copy)?;
    std::io::copy(&mut source, &mut out)
        .with_context(|| format!("{}: cannot read", input.display()))?;
    out.commit()?;
    Ok(copy)
}

/// Refuses a run whose files name one file twice (after resolving links: `./a.csv`,
/// `a.csv` and a link to it are one file), before anything is read or sent: an output
/// replacing an input, or two outputs one another. `files` are (what, path) pairs, such as
/// ("--state", …); the error names both.
fn refuse_aliases(files: &[(String, &Path)]) -> Result<()> {
    for (i, (what, path)) in files.iter().enumerate() {
        for (other, other_path) in &files[i + 1..] {
            if same_place(path, other_path) {
                anyhow::bail!(
                    "{what} and {other} are the same file ({}); name another file for one of them",
                    path.display()
                );
            }
        }
    }
    Ok(())
}

/// Whether two paths name one file, existing or not: the file's folder resolved (links
/// included) and its name compared.
fn same_place(a: &Path, b: &Path) -> bool {
    let resolved = |p: &Path| -> Option<std::path::PathBuf> {
        if let Ok(full) = std::fs::canonicalize(p) {
            return Some(full);
        }
        let parent = match p.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        Some(std::fs::canonicalize(parent).ok()?.join(p.file_name()?))
    };
    match (resolved(a), resolved(b)) {
        (Some(a), Some(b)) => a == b,
        _ => a == b,
    }
}

/// Writes text to a file, or standard output without one.
/// True when two paths name the same file (`./m.toml` and `m.toml`); paths that do not
/// resolve are compared as written.
fn same_file(a: &Path, b: &Path) -> bool {
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

fn write_output(path: Option<&Path>, text: &str) -> Result<()> {
    match path {
        Some(path) => {
            std::fs::write(path, text).with_context(|| format!("{}: cannot write", path.display()))
        }
        None => {
            use std::io::Write;
            let mut out = std::io::stdout().lock();
            out.write_all(text.as_bytes())
                .and_then(|()| out.flush())
                .context("cannot write to standard output")
        }
    }
}
