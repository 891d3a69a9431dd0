//! The one error type of the suite. It owns every exit code but success, so `main` maps outcomes
//! in one place (cargo-nextest's `ExpectedError::process_exit_code`).

/// Why a command did not succeed.
#[derive(Debug)]
pub enum Error {
    /// The command ran and its verdict is no: a check failed or errored, an expected-failures
    /// entry is stale, or a measurement regressed against its baseline. The report is already
    /// out; the message (maybe empty) says what tripped the gate.
    Failed(String),
    /// A bad flag, file or value.
    Usage(String),
    /// The target could not be started or reached.
    Setup(String),
    /// Ctrl-C: the run was stopped and what it started was removed.
    Interrupted(String),
}

impl Error {
    /// 1 when the verdict is no, 2 for usage and setup errors (one line on stderr says what to
    /// do), 130 for Ctrl-C.
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Failed(_) => 1,
            Error::Usage(_) | Error::Setup(_) => 2,
            Error::Interrupted(_) => 130,
        }
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::Failed(message) | Error::Usage(message) | Error::Setup(message) | Error::Interrupted(message) => {
                f.write_str(message)
            }
        }
    }
}

impl std::error::Error for Error {}
