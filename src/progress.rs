//! Progress on the terminal for every long command: drawn on standard error when it is a
//! terminal and the run is not quiet, and nothing at all otherwise (so pipes, logs and
//! cron mail stay clean).
//!
//! Depends on nothing else in the crate.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// A progress display, or nothing.
pub struct Progress(ProgressBar);

impl Progress {
    /// A spinner for work of unknown size; `template` is indicatif's, such as
    /// `"{spinner} {human_pos} rows checked ({per_sec}) {elapsed}"`.
    pub fn counter(quiet: bool, template: &str) -> Progress {
        Progress::new(quiet, None, template)
    }

    /// A bar for `len` steps, with an estimate of the time left (`{eta}` in the template).
    pub fn bar(quiet: bool, len: u64, template: &str) -> Progress {
        Progress::new(quiet, Some(len), template)
    }

    /// Whether a display would be drawn: not quiet, and standard error is a terminal. A
    /// command whose bar needs work to size (a count of the input) asks first.
    pub fn drawn(quiet: bool) -> bool {
        !quiet && std::io::stderr().is_terminal()
    }

    fn new(quiet: bool, len: Option<u64>, template: &str) -> Progress {
        if !Progress::drawn(quiet) {
            return Progress(ProgressBar::with_draw_target(
                len,
                ProgressDrawTarget::hidden(),
            ));
        }
        let bar = match len {
            Some(len) => ProgressBar::new(len),
            None => ProgressBar::new_spinner(),
        };
        let style = ProgressStyle::with_template(template)
            .unwrap_or_else(|_| ProgressStyle::default_spinner());
        bar.set_style(style);
        bar.enable_steady_tick(Duration::from_millis(200));
        Progress(bar)
    }

    /// Steps done so far.
    pub fn set(&self, done: u64) {
        self.0.set_position(done);
    }

    /// Changes the number of steps a bar counts to (once the work's size is known).
    pub fn set_length(&self, len: u64) {
        self.0.set_length(len);
    }

    pub fn inc(&self, steps: u64) {
        self.0.inc(steps);
    }

    /// The text `{msg}` shows (counts of created, updated, failed…).
    pub fn message(&self, text: impl Into<std::borrow::Cow<'static, str>>) {
        self.0.set_message(text);
    }

    /// Removes the display, so the summary that follows starts on a clean line.
    pub fn finish(&self) {
        self.0.finish_and_clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_quiet_progress_counts_but_draws_nothing() {
        let p = Progress::bar(true, 10, "{pos}/{len}");
        p.set(3);
        p.inc(2);
        assert_eq!(p.0.position(), 5);
        assert!(p.0.is_hidden());
        p.finish();
    }
}
