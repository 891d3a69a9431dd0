//! The suite's integration tests: one binary (see DEVELOPERS.md on build times), one module each.

mod integration {
    mod action;
    mod bench;
    mod call_policy;
    mod cli;
    pub mod common;
    mod container;
    mod faults;
    mod hostile;
    mod html;
    mod https;
    pub mod python_sdk;
    mod reference;
    pub mod remote;
    pub mod rmcp_server;
    mod runner;
    mod sarif;
    mod snapshots;
    mod sse_chunking;
    mod surface;
    pub mod typescript_sdk;
}
