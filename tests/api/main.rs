//! Integration tests through HTTP against the real app.

mod accounts;
mod cards;
mod content_files;
mod cost;
mod export;
mod helpers;
mod pages;
mod progress;
mod quiz;
mod security;
mod settings;
mod startup;
