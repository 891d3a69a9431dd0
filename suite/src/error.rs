//! The one error type that stops a run before or instead of a report. It owns the exit code, so
//! `main` maps errors in one place (cargo-nextest's `ExpectedError::process_exit_code`).

/// Errors that end a run without a report.
#[derive(Debug)]
pub enum Error {
    /// A bad flag, file or value.
    Usage(String),
    /// The target could not be started or reached.
    Setup(String),
    /// Ctrl-C: the run was stopped and what it started was removed.
    Interrupted(String),
}

impl Error {
    /// 2 for usage and setup errors (one line on stderr says what to do), 130 for Ctrl-C.
    /// A failed check is not an error: it is a report with exit code 1.
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Usage(_) | Error::Setup(_) => 2,
            Error::Interrupted(_) => 130,
        }
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::Usage(message) | Error::Setup(message) | Error::Interrupted(message) => f.write_str(message),
        }
    }
}

impl std::error::Error for Error {}
