//! paperdeck: read the ten papers that shaped large language models, in Chinese, and keep what
//! you read with a spaced-repetition quiz.
//!
//! - [`content`]: paper summaries and the glossary, compiled in or read from a directory;
//! - [`store`]: the database layer (SQLite by default);
//! - [`web`]: HTTP handlers, one module per page area, with templates under `templates/`;
//! - [`startup`]: builds the app on any port; [`cli`]: the command line.

pub mod auth;
pub mod cards;
pub mod charts;
pub mod cli;
pub mod clock;
pub mod config;
pub mod content;
pub mod export;
pub mod heavy;
pub mod lab;
pub mod quiz;
pub mod reading;
pub mod revlog;
pub mod scheduler;
pub mod settings;
pub mod signing;
pub mod simulate;
pub mod startup;
pub mod stats;
pub mod store;
pub mod telemetry;
pub mod text;
pub mod timeline;
pub mod web;
