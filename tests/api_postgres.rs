//! The HTTP integration suite of tests/api, run against PostgreSQL: the same modules, compiled a
//! second time into this binary, whose `BACKEND` makes `common::app` start every app on a new
//! PostgreSQL database of its own. Tests that only make sense on SQLite skip themselves here
//! (`common::app::skip_on_postgres`). Needs the server of `common::app::postgres_server`.

#[path = "common/mod.rs"]
mod common;
const BACKEND: common::app::Backend = common::app::Backend::Postgres;

#[path = "api/accounts.rs"]
mod accounts;
#[path = "api/card_memory.rs"]
mod card_memory;
#[path = "api/cards.rs"]
mod cards;
#[path = "api/content_files.rs"]
mod content_files;
#[path = "api/cost.rs"]
mod cost;
#[path = "api/dead_ends.rs"]
mod dead_ends;
#[path = "api/edges.rs"]
mod edges;
#[path = "api/export.rs"]
mod export;
#[path = "api/helpers.rs"]
mod helpers;
#[path = "api/hostile/mod.rs"]
mod hostile;
#[path = "api/instances.rs"]
mod instances;
#[path = "api/limits.rs"]
mod limits;
#[path = "api/pages.rs"]
mod pages;
#[path = "api/progress.rs"]
mod progress;
#[path = "api/quiz.rs"]
mod quiz;
#[path = "api/reading.rs"]
mod reading;
#[path = "api/recovery.rs"]
mod recovery;
#[path = "api/retest.rs"]
mod retest;
#[path = "api/security.rs"]
mod security;
#[path = "api/seminar.rs"]
mod seminar;
#[path = "api/settings.rs"]
mod settings;
#[path = "api/shared_pages.rs"]
mod shared_pages;
#[path = "api/slips.rs"]
mod slips;
#[path = "api/startup.rs"]
mod startup;

/// The module list above is the SQLite suite's (tests/api/main.rs) again: a module added there
/// but not here would silently run on one backend only.
#[test]
fn every_module_of_the_sqlite_suite_runs_on_postgres_too() {
    // The tests of the server binary as a process choose their databases themselves (the
    // SIGKILL test runs on both backends, the restart test on a PostgreSQL server of its own):
    // they run once, from tests/api.
    const PROCESS_TESTS: [&str; 5] = [
        "browser",
        "browser_slips",
        "crash",
        "memory_limit",
        "pg_restart",
    ];
    let here = include_str!("api_postgres.rs");
    for line in include_str!("api/main.rs").lines() {
        let Some(name) = line.strip_prefix("mod ").map(|m| m.trim_end_matches(';')) else {
            continue;
        };
        if PROCESS_TESTS.contains(&name) {
            continue;
        }
        assert!(
            here.contains(&format!("mod {name};")),
            "tests/api/main.rs has `mod {name};` but tests/api_postgres.rs does not"
        );
    }
}
