//! Settings for the server, filled from the command line and `PAPERDECK_*` environment variables
//! by [`crate::cli`].

use std::path::PathBuf;

#[derive(Debug, Clone)]
pub struct Settings {
    /// Address to listen on, `host:port`; port 0 picks a free port (tests use this).
    pub addr: String,
    /// sqlx URL of the database, e.g. `sqlite://paperdeck.db`.
    pub database_url: String,
    /// Read content from this directory instead of the copy compiled into the binary.
    pub content_dir: Option<PathBuf>,
    /// Mark cookies `Secure`: set when the app is served over HTTPS.
    pub secure_cookies: bool,
    /// A session ends after this many days without a request.
    pub session_idle_days: u32,
    /// Cookie key (at least 32 bytes, base64 or plain). When missing, a key is generated once
    /// and kept in a file beside the database.
    pub secret_key: Option<String>,
    /// How long per-learner data and sessions are cached in memory (see `store::cache`).
    pub cache_ttl: std::time::Duration,
    /// A session ends this many days after log-in, however active it is.
    pub session_max_days: u32,
    /// Reverse proxies whose `X-Forwarded-For` is believed (empty: the header is ignored and the
    /// TCP peer is the client, which is right only when nothing sits in front of paperdeck).
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// A request body that sends nothing for this long is cut off (slow-body attacks).
    pub body_idle_timeout: std::time::Duration,
    /// The whole request body must arrive within this time.
    pub body_deadline: std::time::Duration,
    /// Sign-ups allowed per client address per hour, and over all addresses per hour.
    pub signups_per_addr_per_hour: usize,
    pub signups_per_hour: usize,
    /// Where "now" comes from: the system clock, or one a test has pinned (see
    /// [`crate::clock`]). A dependency rather than a setting, carried here so that every way of
    /// building the app takes it the same way.
    pub clock: crate::clock::Clock,
}

impl Settings {
    /// Defaults suitable for tests: a given database, any free port.
    pub fn for_tests(database_url: String) -> Settings {
        Settings {
            addr: "127.0.0.1:0".into(),
            database_url,
            content_dir: None,
            secure_cookies: false,
            session_idle_days: 30,
            secret_key: None,
            cache_ttl: crate::store::cache::TTL,
            session_max_days: 90,
            trusted_proxies: Vec::new(),
            body_idle_timeout: std::time::Duration::from_secs(10),
            body_deadline: std::time::Duration::from_secs(120),
            signups_per_addr_per_hour: crate::startup::SIGNUPS_PER_ADDR_PER_HOUR,
            signups_per_hour: crate::startup::SIGNUPS_PER_HOUR,
            // No test may depend on when it runs: tests live at noon of a Shanghai day.
            clock: crate::clock::Clock::midday_shanghai(),
        }
    }
}

/// The file a generated cookie key is kept in: beside the database file.
pub fn key_file_for(database_url: &str) -> Option<PathBuf> {
    let path = database_url
        .strip_prefix("sqlite://")
        .or_else(|| database_url.strip_prefix("sqlite:"))?;
    let path = path.split('?').next().unwrap_or(path);
    if path.is_empty() || path == ":memory:" {
        return None;
    }
    let mut p = PathBuf::from(path);
    let name = p
        .file_name()
        .map(|n| format!("{}.key", n.to_string_lossy()))?;
    p.set_file_name(name);
    Some(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_file_sits_beside_the_database() {
        assert_eq!(
            key_file_for("sqlite://data/paperdeck.db"),
            Some(PathBuf::from("data/paperdeck.db.key"))
        );
        assert_eq!(
            key_file_for("sqlite:paperdeck.db?mode=rwc"),
            Some(PathBuf::from("paperdeck.db.key"))
        );
        assert_eq!(key_file_for("sqlite::memory:"), None);
    }
}
