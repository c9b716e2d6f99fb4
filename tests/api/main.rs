//! Integration tests through HTTP against the real app.

mod accounts;
mod cards;
mod content_files;
mod edges;
mod export;
mod helpers;
mod pages;
mod progress;
mod quiz;
mod settings;
mod startup;
