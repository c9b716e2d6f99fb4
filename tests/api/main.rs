//! Integration tests through HTTP against the real app.

#[path = "../common/mod.rs"]
mod common;
/// The backend `common::app` starts apps on (tests/api_postgres.rs runs this suite on the other).
const BACKEND: common::app::Backend = common::app::Backend::Sqlite;

mod accounts;
mod card_memory;
mod cards;
mod content_files;
mod cost;
mod dead_ends;
mod edges;
mod export;
mod helpers;
mod hostile;
mod limits;
mod pages;
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
