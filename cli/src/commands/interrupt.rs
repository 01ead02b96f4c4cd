//! Ctrl-C and SIGTERM for the commands that hold job claims (`run`, `extract`): the first signal
//! cancels the run's token, so the library stops its model requests and gives every unfinished
//! claim back before the command exits (128 + the signal's number, e.g. 130 for Ctrl-C); a second
//! signal quits at once, leaving what is still claimed to expire with its lease.

use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};

use tokio::task::AbortHandle;
use tokio_util::sync::CancellationToken;

/// SIGINT's number: Ctrl-C.
const SIGINT: u8 = 2;
/// SIGTERM's number: `kill`, a service manager stopping us.
const SIGTERM: u8 = 15;
/// Exit codes after a signal are 128 + its number, as a shell reports a process it killed.
const SIGNAL_EXIT_BASE: u8 = 128;

/// A cancellation token cancelled by the first Ctrl-C or SIGTERM.
pub struct Interrupt {
    token: CancellationToken,
    /// The number of the first signal received, 0 while none was.
    signal: Arc<AtomicU8>,
    watcher: AbortHandle,
}

impl Interrupt {
    /// Starts watching for the signals. Until it is dropped, they cancel the token instead of
    /// ending the process (the second one still ends it).
    pub fn install() -> anyhow::Result<Self> {
        let token = CancellationToken::new();
        let signal = Arc::new(AtomicU8::new(0));
        let mut terminate = terminate_signal()?;
        let watcher = tokio::spawn({
            let token = token.clone();
            let signal = Arc::clone(&signal);
            async move {
                let mut received = 0;
                loop {
                    let number = tokio::select! {
                        result = tokio::signal::ctrl_c() => match result {
                            Ok(()) => SIGINT,
                            // No handler could be installed: nothing to wait for.
                            Err(_) => return,
                        },
                        () = terminate.recv() => SIGTERM,
                    };
                    received += 1;
                    if received > 1 {
                        eprintln!("interrupted again: quitting now");
                        std::process::exit(i32::from(SIGNAL_EXIT_BASE + number));
                    }
                    signal.store(number, Ordering::SeqCst);
                    eprintln!(
                        "interrupted: stopping and giving back this run's unfinished sessions (interrupt again to quit at once)"
                    );
                    tracing::warn!(signal = number, "interrupted; giving back unfinished claims");
                    token.cancel();
                }
            }
        })
        .abort_handle();
        Ok(Self {
            token,
            signal,
            watcher,
        })
    }

    /// The token the run watches.
    pub fn token(&self) -> CancellationToken {
        self.token.clone()
    }

    /// The exit code for a run a signal interrupted (130 after Ctrl-C, 143 after SIGTERM), or
    /// `None` when no signal came.
    pub fn exit_code(&self) -> Option<ExitCode> {
        match self.signal.load(Ordering::SeqCst) {
            0 => None,
            number => Some(ExitCode::from(SIGNAL_EXIT_BASE + number)),
        }
    }
}

impl Drop for Interrupt {
    fn drop(&mut self) {
        self.watcher.abort();
    }
}

/// SIGTERM as a stream of notices (on Unix; elsewhere one that never fires).
#[cfg(unix)]
fn terminate_signal() -> anyhow::Result<Terminate> {
    let signal = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    Ok(Terminate(signal))
}

#[cfg(not(unix))]
fn terminate_signal() -> anyhow::Result<Terminate> {
    Ok(Terminate)
}

/// SIGTERM notices.
#[cfg(unix)]
struct Terminate(tokio::signal::unix::Signal);

#[cfg(not(unix))]
struct Terminate;

impl Terminate {
    #[cfg(unix)]
    async fn recv(&mut self) {
        if self.0.recv().await.is_none() {
            std::future::pending::<()>().await;
        }
    }

    #[cfg(not(unix))]
    async fn recv(&mut self) {
        std::future::pending::<()>().await;
    }
}
