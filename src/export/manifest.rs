//! The manifest beside an export: what it holds and how to check it, for a scheduler or a
//! person reading a nightly file.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::Serialize;

use super::Summary;
use crate::write::AtomicFile;

/// `OUTPUT.manifest.json`.
#[derive(Debug, Clone, Serialize)]
pub struct Manifest {
    pub entity: &'static str,
    pub file: String,
    pub format: String,
    /// The listing's conditions: the `created*`/`updated*` filters and `q`, as sent.
    pub filters: Vec<(String, String)>,
    pub rows: usize,
    pub columns: usize,
    pub sha256: String,
    pub bytes: u64,
    /// This machine's clock (UTC).
    pub started: String,
    pub finished: String,
    /// The latest `updated` exported, in the server's clock and offset.
    pub watermark: Option<String>,
    pub summary: Summary,
    pub bcetl: &'static str,
}

impl Manifest {
    /// Where the manifest of `output` goes.
    pub fn path_for(output: &Path) -> PathBuf {
        let mut name = output.file_name().unwrap_or_default().to_os_string();
        name.push(".manifest.json");
        output.with_file_name(name)
    }

    /// Writes the manifest beside `output` (atomically).
    pub fn write(&self, output: &Path) -> Result<PathBuf> {
        let file = self.stage(output)?;
        let path = file.path().to_path_buf();
        file.commit()?;
        Ok(path)
    }

    /// The manifest of `output`, written but not yet in place.
    pub fn stage(&self, output: &Path) -> Result<AtomicFile> {
        let path = Manifest::path_for(output);
        let mut file = AtomicFile::create(&path)?;
        serde_json::to_writer_pretty(&mut file, self)?;
        std::io::Write::write_all(&mut file, b"\n")?;
        Ok(file)
    }
}

/// The SHA-256 of a file's bytes, in hex.
pub fn sha256_file(path: &Path) -> Result<String> {
    use sha2::{Digest, Sha256};
    let mut file =
        std::fs::File::open(path).with_context(|| format!("{}: cannot read", path.display()))?;
    let mut hasher = Sha256::new();
    std::io::copy(&mut file, &mut hasher)
        .with_context(|| format!("{}: cannot read", path.display()))?;
    Ok(format!("{:x}", hasher.finalize()))
}
