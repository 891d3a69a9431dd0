//! The suite's integration tests: one binary (see DEVELOPERS.md on build times), one module each.

mod integration {
    mod cli;
    pub mod common;
    mod container;
    mod faults;
    mod hostile;
    mod python_sdk;
    mod reference;
    mod snapshots;
    mod sse_chunking;
}
