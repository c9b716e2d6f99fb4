//! The test kit shared by every test binary: `mod common;` in `tests/NAME.rs`, or
//! `#[path = "../common/mod.rs"] mod common;` in `tests/NAME/main.rs`.
//!
//! - [`app`]: the real app in-process on port 0 with a fresh SQLite file, and browsers for it.
//! - [`cli`]: the `paperdeck` command line of this build, run to its end.
//! - [`page`]: a response read into a [`page::Page`]; its forms read with a real HTML parser.
//! - [`quiz`]: the question form, its kind, and a valid answer to it.
//! - [`process`]: the server binary as a separate process, on a free port.
//! - [`load`]: learners answering as fast as a server lets them, and what it acknowledged.
//! - [`pg_cluster`]: a PostgreSQL server of the test's own, to stop and restart.

// Every binary uses a different part of the kit; what one leaves unused is not dead code.
#![allow(dead_code)]

pub mod app;
pub mod cli;
pub mod load;
pub mod page;
pub mod pg_cluster;
pub mod process;
pub mod quiz;

/// The password every test learner gets: long enough for the sign-up rules.
pub const PW: &str = "a good long passphrase";
