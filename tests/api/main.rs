//! Integration tests through HTTP against the real app.

#[path = "../common/mod.rs"]
mod common;

mod accounts;
mod cards;
mod content_files;
mod export;
mod helpers;
mod hostile;
mod pages;
mod progress;
mod quiz;
mod settings;
mod startup;
