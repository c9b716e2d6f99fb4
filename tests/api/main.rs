//! Integration tests through HTTP against the real app, and the tests of the server binary as a
//! process (the browser, SIGKILL, memory-limit and PostgreSQL-restart tests): one test binary,
//! so that it is linked once and the long process tests overlap with the rest.

#[path = "../common/mod.rs"]
mod common;
/// The backend `common::app` starts apps on (tests/api_postgres.rs runs this suite on the other).
const BACKEND: common::app::Backend = common::app::Backend::Sqlite;

mod accounts;
mod browser;
mod browser_slips;
mod card_memory;
mod cards;
mod content_files;
mod cost;
mod crash;
mod dead_ends;
mod edges;
mod export;
mod helpers;
mod hostile;
mod limits;
mod memory_limit;
mod pages;
mod pg_restart;
mod progress;
mod quiz;
mod reading;
mod recovery;
mod retest;
mod security;
mod seminar;
mod settings;
mod shared_pages;
mod slips;
mod startup;
