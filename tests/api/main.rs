//! Integration tests through HTTP against the real app.

#[path = "../common/mod.rs"]
mod common;
/// The backend `common::app` starts apps on (tests/api_postgres.rs runs this suite on the other).
const BACKEND: common::app::Backend = common::app::Backend::Sqlite;

mod accounts;
mod cards;
mod content_files;
mod cost;
mod edges;
mod export;
mod helpers;
mod hostile;
mod pages;
mod progress;
mod quiz;
mod reading;
mod security;
mod settings;
mod shared_pages;
mod startup;
