//! Files that appear whole or not at all.

use std::fs::File;
use std::io::{BufWriter, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

/// A file written under a hidden temporary name beside its destination, and renamed over it
/// once complete. A run that fails or is stopped halfway leaves the previous file as it was
/// (and no half-written report that looks whole); a run killed outright leaves only the
/// hidden `.NAME.*` file behind.
pub struct AtomicFile {
    temp: tempfile::NamedTempFile,
    path: PathBuf,
}

impl AtomicFile {
    /// A file that gets what any new file gets: 0666 less the umask.
    pub fn create(path: &Path) -> Result<AtomicFile> {
        AtomicFile::create_with_mode(path, 0o666)
    }

    /// A file readable by its owner only (0600), for credentials.
    pub fn create_private(path: &Path) -> Result<AtomicFile> {
        AtomicFile::create_with_mode(path, 0o600)
    }

    /// `mode` is the Unix permission bits the file is created with (less the umask); other
    /// systems ignore it.
    fn create_with_mode(path: &Path, mode: u32) -> Result<AtomicFile> {
        let dir = match path.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir,
            _ => Path::new("."),
        };
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        remove_orphans(dir, &name);
        // The writer's pid in the name, so that a later run knows whose it is.
        let prefix = format!(".{name}.{}.", std::process::id());
        let mut builder = tempfile::Builder::new();
        builder.prefix(&prefix);
        // Temporary files are private (0600) by default; this one becomes the user's file,
        // with the mode asked for. Set at creation, so it is never readable more widely.
        #[cfg(unix)]
        builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(mode));
        #[cfg(not(unix))]
        let _ = mode;
        let temp = builder
            .tempfile_in(dir)
            .with_context(|| format!("{}: cannot create", path.display()))?;
        Ok(AtomicFile {
            temp,
            path: path.to_path_buf(),
        })
    }

    /// Where the file will be once committed.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Where the file is until committed: to read a finished file back before it is put in
    /// place (a nightly run merges its changes into the snapshot first).
    pub fn staged_path(&self) -> &Path {
        self.temp.path()
    }

    /// Flushes a buffered file and returns it, finished but not yet in place.
    pub fn unbuffer(out: BufWriter<AtomicFile>) -> Result<AtomicFile> {
        let shown = out.get_ref().path().display().to_string();
        out.into_inner()
            .map_err(|e| e.into_error())
            .with_context(|| format!("{shown}: cannot write"))
    }

    /// Puts the finished file in place, replacing whatever was there.
    pub fn commit(self) -> Result<()> {
        let path = self.path;
        let file = self
            .temp
            .persist(&path)
            .map_err(|e| e.error)
            .with_context(|| format!("{}: cannot write", path.display()))?;
        file.sync_all()
            .with_context(|| format!("{}: cannot write", path.display()))
    }

    /// Flushes a buffered file and puts it in place.
    pub fn commit_buffered(out: BufWriter<AtomicFile>) -> Result<()> {
        AtomicFile::unbuffer(out)?.commit()
    }

    fn file(&mut self) -> &mut File {
        self.temp.as_file_mut()
    }
}

/// Removes the hidden files a run killed outright (`kill -9`, a power cut) left beside
/// `name`: `.NAME.PID.xxxxxx` whose process is gone. A file of a process still running (a
/// run writing the same file now) is left alone, and so is anything named otherwise.
fn remove_orphans(dir: &Path, name: &str) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let prefix = format!(".{name}.");
    for entry in entries.flatten() {
        let file_name = entry.file_name();
        let Some(rest) = file_name.to_str().and_then(|f| f.strip_prefix(&prefix)) else {
            continue;
        };
        let Some(pid) = rest.split('.').next().and_then(|p| p.parse::<u32>().ok()) else {
            continue;
        };
        if pid != std::process::id() && !process_alive(pid) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// Whether a process runs: Linux shows it under /proc. Elsewhere every process counts as
/// running, so nothing is removed that might still be written.
fn process_alive(pid: u32) -> bool {
    let proc = Path::new("/proc");
    !proc.join("self").exists() || proc.join(pid.to_string()).exists()
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.file().write(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.file().flush()
    }
}

impl Seek for AtomicFile {
    fn seek(&mut self, pos: SeekFrom) -> std::io::Result<u64> {
        self.file().seek(pos)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_appears_only_when_committed_and_replaces_the_old_one() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("report.csv");
        std::fs::write(&path, "old").unwrap();

        let mut unfinished = AtomicFile::create(&path).unwrap();
        unfinished.write_all(b"half").unwrap();
        drop(unfinished);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "old");
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            1,
            "no leftovers"
        );

        let mut finished = AtomicFile::create(&path).unwrap();
        finished.write_all(b"new").unwrap();
        finished.commit().unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "new");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn files_a_killed_run_left_are_removed_and_a_running_ones_kept() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("snap.csv");
        // No pid is this high on Linux (the limit is 2^22): its process is gone.
        let orphan = dir.path().join(".snap.csv.4999999.abcdef");
        let running = dir
            .path()
            .join(format!(".snap.csv.{}.ghijkl", std::process::id()));
        let other = dir.path().join(".other.csv.4999999.abcdef");
        let old_style = dir.path().join(".snap.csv.Rfuimh");
        for p in [&orphan, &running, &other, &old_style] {
            std::fs::write(p, "x").unwrap();
        }
        AtomicFile::create(&path).unwrap().commit().unwrap();
        assert!(!orphan.exists(), "a dead run's file is removed");
        assert!(running.exists() && other.exists() && old_style.exists());
    }

    #[cfg(unix)]
    #[test]
    fn the_file_gets_the_permissions_of_any_new_file() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let plain = dir.path().join("plain");
        std::fs::File::create(&plain).unwrap();
        let ours = dir.path().join("ours");
        AtomicFile::create(&ours).unwrap().commit().unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&ours), mode(&plain), "0666 less the same umask");
    }
}
