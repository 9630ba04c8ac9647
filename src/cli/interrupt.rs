//! Ctrl-C (SIGINT), SIGTERM and SIGHUP: the temporary files of unfinished work are
//! removed, one line says what was not done ("interrupted: nothing written"), and the
//! exit status is 128 + the signal's number (130 for SIGINT, 143 for SIGTERM), as a
//! shell reports a process the signal ended.
//!
//! A thread waits for the signals (signal-hook's self-pipe: the handler itself only
//! writes a byte), so the clean-up runs as ordinary code. Work that must not be cut
//! in two by the clean-up (renaming a finished output over its target, publishing a
//! new memory) holds [`hold`] meanwhile: the signal then takes effect just after it.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

/// What an interruption leaves undone, and the files to remove then.
struct State {
    /// Temporary files of unfinished work, with the final path each was to become
    /// (`None` for a memory being built, which the command's message describes).
    temps: Vec<(u64, PathBuf, Option<PathBuf>)>,
    next_id: u64,
    /// Outputs finished (renamed over their targets) so far.
    finished: Vec<PathBuf>,
    /// What the command says an interruption now means, if it says.
    message: Option<String>,
}

static STATE: Mutex<State> = Mutex::new(State {
    temps: Vec::new(),
    next_id: 0,
    finished: Vec::new(),
    message: None,
});

fn state() -> MutexGuard<'static, State> {
    // A panic while holding the lock leaves the list as it was: still usable.
    STATE.lock().unwrap_or_else(|e| e.into_inner())
}

/// Starts the thread that handles SIGINT, SIGTERM and SIGHUP. Without it (or if it
/// cannot start) the signals keep their default effect: the process ends at once.
pub fn install() {
    #[cfg(unix)]
    {
        use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
        let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP]) else {
            return;
        };
        let _ = std::thread::Builder::new()
            .name("interrupt".to_string())
            .spawn(move || {
                if let Some(signal) = signals.forever().next() {
                    interrupted(signal);
                }
            });
    }
}

/// Removes the registered temporary files, says what was not done, and exits with
/// 128 + `signal`.
fn interrupted(signal: i32) -> ! {
    let state = state();
    for (_, temp, _) in &state.temps {
        let _ = std::fs::remove_file(temp);
    }
    let outputs: Vec<&PathBuf> = state
        .temps
        .iter()
        .filter_map(|(_, _, t)| t.as_ref())
        .collect();
    let what = match &state.message {
        Some(message) => message.clone(),
        None if outputs.is_empty() => String::new(),
        None if state.finished.is_empty() => "nothing written".to_string(),
        None => format!(
            "{} not written ({} written before)",
            list(&outputs),
            list(&state.finished.iter().collect::<Vec<_>>())
        ),
    };
    if what.is_empty() {
        eprintln!("bitext: interrupted");
    } else {
        eprintln!("bitext: interrupted: {what}");
    }
    std::process::exit(128 + signal);
}

fn list(paths: &[&PathBuf]) -> String {
    paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// A temporary file removed if the process is interrupted, until dropped.
#[derive(Debug)]
pub struct Registration(u64);

impl Registration {
    /// Registers `temp` (which is to become `target`, if it is an output).
    pub fn new(temp: &Path, target: Option<&Path>) -> Registration {
        Registration::in_state(&mut state(), temp, target)
    }

    fn in_state(state: &mut State, temp: &Path, target: Option<&Path>) -> Registration {
        state.next_id += 1;
        let id = state.next_id;
        state
            .temps
            .push((id, temp.to_path_buf(), target.map(Path::to_path_buf)));
        Registration(id)
    }

    /// The file is finished and in place, or gone (call while holding [`hold`]'s
    /// guard; dropping a registration then would wait for that guard).
    pub fn release(self, state: &mut Held) {
        if let Some(at) = state.0.temps.iter().position(|(id, _, _)| *id == self.0) {
            let (_, _, target) = state.0.temps.remove(at);
            state.0.finished.extend(target);
        }
        std::mem::forget(self);
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        let mut state = state();
        state.temps.retain(|(id, _, _)| *id != self.0);
    }
}

/// Holds off the clean-up of an interruption while a step that must not be cut in two
/// runs; the signal takes effect when the guard is dropped.
pub struct Held(MutexGuard<'static, State>);

/// See [`Held`].
pub fn hold() -> Held {
    Held(state())
}

impl Held {
    /// Registers `temp` (see [`Registration::new`]). A file created while the guard
    /// is held and registered before it is dropped is never left behind by a signal
    /// that came in between.
    pub fn register(&mut self, temp: &Path, target: Option<&Path>) -> Registration {
        Registration::in_state(&mut self.0, temp, target)
    }

    /// Says what an interruption from now on leaves undone.
    pub fn set_message(&mut self, message: impl Into<String>) {
        self.0.message = Some(message.into());
    }
}

/// Says what an interruption from now on leaves undone ("nothing imported").
pub fn set_message(message: impl Into<String>) {
    hold().set_message(message);
}
