//! Settings for the server, filled from the command line and `PAPERDECK_*` environment variables
//! by [`crate::cli`].

use std::path::PathBuf;
use std::time::Duration;

/// The server's settings. `paperdeck serve` takes its options straight from this struct, so the
/// command line, the environment variables and the tests share one set of defaults.
#[derive(Debug, Clone, clap::Args)]
pub struct Settings {
    /// Address to listen on (host:port); port 0 picks a free port (tests use this).
    #[arg(long, env = "PAPERDECK_ADDR", default_value = "127.0.0.1:8080")]
    pub addr: String,
    /// Database URL, e.g. `sqlite://paperdeck.db`; the SQLite file is created if missing.
    #[arg(
        long = "database",
        env = "DATABASE_URL",
        default_value = "sqlite://paperdeck.db"
    )]
    pub database_url: String,
    /// Serve content from this directory instead of the copy built into the binary.
    #[arg(long = "content", env = "PAPERDECK_CONTENT")]
    pub content_dir: Option<PathBuf>,
    /// Mark cookies Secure (set this when paperdeck is served over HTTPS).
    #[arg(long, env = "PAPERDECK_SECURE_COOKIES")]
    pub secure_cookies: bool,
    /// Log learners out after this many days without a visit.
    #[arg(long, env = "PAPERDECK_SESSION_IDLE_DAYS", default_value_t = 30,
          value_parser = clap::value_parser!(u32).range(1..=3650))]
    pub session_idle_days: u32,
    /// Cookie signing and encryption key (64 bytes base64, or any text of 32+ bytes). Without
    /// it, a key is generated once and stored beside the database as `<db file>.key`.
    #[arg(long, env = "PAPERDECK_SECRET_KEY", hide_env_values = true)]
    pub secret_key: Option<String>,
    /// Seconds per-learner quiz data and sessions stay cached in memory; 0 turns the cache off.
    /// On PostgreSQL every use is checked against the database, so several servers may share it,
    /// and a learner's data does not expire there (sessions are not cached there).
    #[arg(long = "cache-ttl-secs", value_name = "SECS", env = "PAPERDECK_CACHE_TTL_SECS", default_value = "30",
          value_parser = seconds::<0, 3600>)]
    pub cache_ttl: Duration,
    /// End every session this many days after log-in, however active (absolute lifetime).
    #[arg(long, env = "PAPERDECK_SESSION_MAX_DAYS", default_value_t = 90,
          value_parser = clap::value_parser!(u32).range(1..=3650))]
    pub session_max_days: u32,
    /// Addresses of reverse proxies in front of paperdeck, comma-separated (e.g.
    /// `127.0.0.1,::1`). Only a request whose TCP peer is one of them has its client address
    /// read from `X-Forwarded-For`; off (empty) by default, since any client can send that
    /// header. Set it behind a proxy, or every learner shares the proxy's log-in limits.
    #[arg(long, env = "PAPERDECK_TRUSTED_PROXIES", value_delimiter = ',')]
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// Cut off a request whose body sends nothing for this many seconds (slow-body attacks).
    #[arg(long = "body-idle-secs", value_name = "SECS", env = "PAPERDECK_BODY_IDLE_SECS", default_value = "10",
          value_parser = seconds::<1, 300>)]
    pub body_idle_timeout: Duration,
    /// The whole body of an upload must arrive within this time ...
    #[arg(skip = Duration::from_secs(120))]
    pub body_deadline: Duration,
    /// The whole body of any request but an upload (forms of at most 64 KB) must arrive within
    /// this many seconds.
    #[arg(long = "form-deadline-secs", value_name = "SECS", env = "PAPERDECK_FORM_DEADLINE_SECS",
          default_value = "20", value_parser = seconds::<1, 300>)]
    pub form_deadline: Duration,
    /// Connections one client address may hold open at once.
    #[arg(long, env = "PAPERDECK_CONNECTIONS_PER_ADDR", default_value_t = 64)]
    pub connections_per_addr: usize,
    /// A download whose client takes nothing for this long gives its place back and is cut.
    #[arg(skip = Duration::from_secs(30))]
    pub download_idle: Duration,
    /// The longest a download may take in all.
    #[arg(skip = Duration::from_secs(600))]
    pub download_deadline: Duration,
    /// Sign-ups allowed per client address per hour.
    #[arg(long, env = "PAPERDECK_SIGNUPS_PER_ADDR_PER_HOUR",
          default_value_t = crate::startup::SIGNUPS_PER_ADDR_PER_HOUR)]
    pub signups_per_addr_per_hour: usize,
    /// Sign-ups allowed per hour over all addresses together.
    #[arg(long, env = "PAPERDECK_SIGNUPS_PER_HOUR",
          default_value_t = crate::startup::SIGNUPS_PER_HOUR)]
    pub signups_per_hour: usize,
    /// Where "now" comes from: the system clock, or one a test has pinned (see
    /// [`crate::clock`]). A dependency rather than a setting, carried here so that every way of
    /// building the app takes it the same way.
    #[arg(skip = crate::clock::Clock::system())]
    pub clock: crate::clock::Clock,
}

impl Settings {
    /// The defaults, as `paperdeck serve` with no options and no environment would have them.
    pub fn defaults() -> Settings {
        clap_defaults()
    }

    /// The defaults with a given database, any free port, and a clock pinned at noon.
    pub fn for_tests(database_url: String) -> Settings {
        Settings {
            addr: "127.0.0.1:0".into(),
            database_url,
            // No test may depend on when it runs: tests live at noon of a Shanghai day.
            clock: crate::clock::Clock::midday_shanghai(),
            ..Settings::defaults()
        }
    }

    /// The cookie key, unless it is missing or set empty (`PAPERDECK_SECRET_KEY=`).
    pub fn secret(&self) -> Option<&str> {
        self.secret_key.as_deref().filter(|s| !s.is_empty())
    }
}

/// The defaults of a clap options struct: what its command parses from no options and no
/// environment, so a struct's `arg` attributes are the one place its defaults are written.
pub fn clap_defaults<T: clap::Args + clap::FromArgMatches>() -> T {
    // No `env`: the defaults must not depend on the shell they are asked from.
    let cmd = T::augment_args(clap::Command::new("defaults")).mut_args(|a| a.env(None));
    let parsed = cmd
        .try_get_matches_from(["defaults"])
        .and_then(|m| T::from_arg_matches(&m));
    // Only a broken `arg` attribute can fail here, and every test would show it.
    parsed.expect("the defaults parse")
}

/// A whole number of seconds from `MIN` to `MAX`, as a duration.
fn seconds<const MIN: u64, const MAX: u64>(text: &str) -> Result<Duration, String> {
    match text.parse::<u64>() {
        Ok(n) if (MIN..=MAX).contains(&n) => Ok(Duration::from_secs(n)),
        _ => Err(format!(
            "must be a whole number of seconds from {MIN} to {MAX}"
        )),
    }
}

/// The file a SQLite database URL names (none for PostgreSQL or an in-memory database).
pub fn sqlite_file(database_url: &str) -> Option<PathBuf> {
    let path = database_url
        .strip_prefix("sqlite://")
        .or_else(|| database_url.strip_prefix("sqlite:"))?;
    let path = path.split('?').next().unwrap_or(path);
    if path.is_empty() || path == ":memory:" {
        return None;
    }
    Some(PathBuf::from(path))
}

/// The file a generated cookie key is kept in: beside the database file.
pub fn key_file_for(database_url: &str) -> Option<PathBuf> {
    let mut p = sqlite_file(database_url)?;
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

    /// The command line and the defaults are one struct: what `serve` parses with no options
    /// is what `defaults` gives, and bounds are enforced by the parser.
    #[test]
    fn the_command_line_and_the_defaults_agree() {
        use clap::Parser;
        #[derive(clap::Parser)]
        struct Serve {
            #[command(flatten)]
            settings: Settings,
        }
        let d = Settings::defaults();
        assert_eq!(d.addr, "127.0.0.1:8080");
        assert_eq!(d.database_url, "sqlite://paperdeck.db");
        assert_eq!(d.cache_ttl, crate::store::cache::TTL);
        assert_eq!(d.body_idle_timeout, Duration::from_secs(10));
        assert_eq!(d.form_deadline, Duration::from_secs(20));
        assert_eq!((d.session_idle_days, d.session_max_days), (30, 90));
        assert!(d.trusted_proxies.is_empty() && d.secret().is_none());

        let s =
            Serve::try_parse_from(["serve", "--cache-ttl-secs", "0", "--body-idle-secs", "300"])
                .expect("in range")
                .settings;
        assert_eq!(s.cache_ttl, Duration::ZERO);
        assert_eq!(s.body_idle_timeout, Duration::from_secs(300));
        for bad in [
            ["--cache-ttl-secs", "3601"],
            ["--body-idle-secs", "0"],
            ["--body-idle-secs", "x"],
        ] {
            let e = Serve::try_parse_from(["serve", bad[0], bad[1]])
                .err()
                .expect("refused");
            assert!(e.to_string().contains("whole number of seconds"), "{e}");
        }
        let empty = Settings {
            secret_key: Some(String::new()),
            ..Settings::defaults()
        };
        assert_eq!(empty.secret(), None, "an empty key counts as none");
    }
}
