//! The reference server's rules, checked at the router with `oneshot` (no socket), plus the real
//! binary: interop with the Python SDK's client and a graceful stop on SIGTERM. That each fault
//! trips its check is proven end to end by the suite's own tests (suite/tests/integration/faults.rs).
//! One test binary (build time), one module per area.

mod integration {
    mod binary;
    pub mod common;
    mod faults;
    mod health;
    mod legacy;
    mod modern;
    mod random_traffic;
    mod sessions;
    mod tools;
    mod transport;
}
