//! Integration tests through HTTP against the real app.

mod accounts;
mod content_files;
mod helpers;
mod pages;
mod progress;
mod quiz;
mod settings;
