//! Ctrl-C and `kill`: the first asks the running command to stop cleanly (finish the rows in
//! flight, leave nothing half-written); a second ends the program at once.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use anyhow::{Context, Result};
use signal_hook::consts::{SIGINT, SIGTERM};

/// Whether the operator has asked the program to stop.
#[derive(Clone)]
pub struct Interrupt(Arc<AtomicBool>);

impl Interrupt {
    /// Starts watching for SIGINT (Ctrl-C) and SIGTERM.
    pub fn watch() -> Result<Interrupt> {
        let requested = Arc::new(AtomicBool::new(false));
        for signal in [SIGINT, SIGTERM] {
            // Registered first, so it sees the flag as the previous signal left it: a second
            // signal exits at once, with the status a shell gives an interrupted program.
            signal_hook::flag::register_conditional_shutdown(signal, 130, requested.clone())
                .context("cannot watch for Ctrl-C")?;
            signal_hook::flag::register(signal, requested.clone())
                .context("cannot watch for Ctrl-C")?;
        }
        Ok(Interrupt(requested))
    }

    pub fn requested(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// What a command returns when it stopped because it was asked to; the binary exits 130.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Interrupted(pub String);
