//! The server binary as a separate process: for the tests that kill it (crash), restart its
//! database, limit its memory or drive it from a real browser.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long a start may take before the test gives up (a hang guard, not a speed goal).
pub const START_TIMEOUT: Duration = Duration::from_secs(30);

/// The server binary of this tree: the one `cargo test` built for this test run (cargo builds a
/// package's binaries before its integration tests, so it is never older than the sources).
/// CI makes no separate release build: the dev profile optimises the dependencies, which do the
/// heavy work (SQL, hashing, the FSRS optimiser).
pub fn server_binary() -> PathBuf {
    // Another build (an older commit's, say), to show what the tests catch there.
    if let Some(bin) = std::env::var_os("PAPERDECK_BIN") {
        return PathBuf::from(bin);
    }
    PathBuf::from(env!("CARGO_BIN_EXE_paperdeck"))
}

/// A loopback port nobody listens on right now (the server binds it a moment later).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

/// One database in `dir` and the `paperdeck serve` processes started on it, one after the
/// other, on one port. Killed when dropped.
pub struct ServerProcess {
    bin: PathBuf,
    dir: PathBuf,
    db_url: String,
    pub port: u16,
    log: PathBuf,
    child: Option<Child>,
    /// How many times a process was started.
    pub starts: usize,
    /// Environment variables set for every start (the settings without a default override).
    pub env: Vec<(String, String)>,
    /// An address-space limit (`ulimit -v`, in KiB) for the process, as a small container
    /// would set.
    pub memory_limit_kib: Option<u64>,
}

impl ServerProcess {
    pub fn new(bin: &Path, dir: &Path) -> ServerProcess {
        ServerProcess {
            bin: bin.to_path_buf(),
            dir: dir.to_path_buf(),
            db_url: format!("sqlite://{}", dir.join("db.sqlite").display()),
            port: free_port(),
            log: dir.join("server.log"),
            child: None,
            starts: 0,
            env: Vec::new(),
            memory_limit_kib: None,
        }
    }

    /// Runs on the database at `url` (a PostgreSQL one, say) instead of the SQLite file in the
    /// directory, which keeps the log.
    pub fn on_database(mut self, url: &str) -> ServerProcess {
        self.db_url = url.to_string();
        self
    }

    /// The database URL the server is started with (for other commands on the same file).
    pub fn db_url(&self) -> String {
        self.db_url.clone()
    }

    pub fn db_path(&self) -> PathBuf {
        self.dir.join("db.sqlite")
    }

    pub fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Starts a process and returns at once. Its output goes to `server.log` in the directory;
    /// the environment variables that would override the command line are removed.
    pub fn spawn(&mut self) {
        assert!(self.child.is_none(), "already running");
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .expect("log file");
        self.starts += 1;
        let mut cmd = match self.memory_limit_kib {
            None => Command::new(&self.bin),
            Some(kib) => {
                let mut sh = Command::new("sh");
                sh.arg("-c")
                    .arg(format!("ulimit -v {kib} && exec \"$0\" \"$@\""))
                    .arg(&self.bin);
                sh
            }
        };
        let child = cmd
            .arg("serve")
            .arg("--addr")
            .arg(format!("127.0.0.1:{}", self.port))
            .arg("--database")
            .arg(&self.db_url)
            .env("RUST_LOG", "warn")
            .env_remove("PAPERDECK_SECRET_KEY")
            .env_remove("PAPERDECK_CONTENT")
            .env_remove("DATABASE_URL")
            .env_remove("PAPERDECK_ADDR")
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log"))
            .stderr(log)
            .spawn()
            .expect("start paperdeck");
        self.child = Some(child);
    }

    /// Whether the last process started has exited (crashed, say).
    pub fn exited(&mut self) -> bool {
        self.child
            .as_mut()
            .is_some_and(|c| c.try_wait().ok().flatten().is_some())
    }

    /// SIGKILL, and wait until the process is gone.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// The last 30 lines the server logged, for a failure message.
    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(30)..].join("\n")
    }

    /// Starts a process and waits for `GET /healthz` to answer 200; returns how long that took.
    /// Panics with the log if the process exits or is not healthy within [`START_TIMEOUT`].
    pub async fn start(&mut self, http: &reqwest::Client) -> Duration {
        let t = Instant::now();
        self.spawn();
        loop {
            if let Some(status) = self
                .child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten())
            {
                panic!(
                    "paperdeck exited during start ({status}); log:\n{}",
                    self.log_tail()
                );
            }
            if let Ok(r) = http.get(format!("{}/healthz", self.base())).send().await {
                if r.status() == 200 {
                    let ours = self.child.as_ref().map(Child::id);
                    match self.listener_pid() {
                        // Another test's server took the port between `free_port` and this
                        // start (the in-process servers bind port 0 all the time) and answered
                        // for ours, which cannot bind it: start again on a new port. Without
                        // this, a test could run against a stranger with other settings.
                        Some(owner) if Some(owner) != ours => {
                            self.kill();
                            self.port = free_port();
                            self.spawn();
                        }
                        _ => return t.elapsed(),
                    }
                }
            }
            if t.elapsed() > START_TIMEOUT {
                self.kill();
                panic!(
                    "paperdeck did not become healthy within {START_TIMEOUT:?}; log:\n{}",
                    self.log_tail()
                );
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

impl ServerProcess {
    /// The process whose socket listens on 127.0.0.1:`port` (Linux: `/proc/net/tcp`, then the
    /// socket's inode among each process's descriptors); `None` if unknown.
    fn listener_pid(&self) -> Option<u32> {
        let table = std::fs::read_to_string("/proc/net/tcp").ok()?;
        let local = format!("0100007F:{:04X}", self.port);
        let inode = table.lines().skip(1).find_map(|line| {
            let f: Vec<&str> = line.split_whitespace().collect();
            (f.get(1) == Some(&local.as_str()) && f.get(3) == Some(&"0A"))
                .then(|| f.get(9).map(|s| s.to_string()))
                .flatten()
        })?;
        let target = format!("socket:[{inode}]");
        for proc_dir in std::fs::read_dir("/proc").ok()?.flatten() {
            let Ok(pid) = proc_dir.file_name().to_string_lossy().parse::<u32>() else {
                continue;
            };
            let Ok(fds) = std::fs::read_dir(proc_dir.path().join("fd")) else {
                continue;
            };
            for fd in fds.flatten() {
                if std::fs::read_link(fd.path()).is_ok_and(|l| l.to_string_lossy() == target) {
                    return Some(pid);
                }
            }
        }
        None
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The tests that run server binaries as processes share one test binary with the in-process
/// HTTP tests. Each loads the machine for a minute or more, so tests of one kind take turns:
/// the browser tests (Chromium, waiting on its pages by the clock) through this lock, the tests
/// that kill, restart or limit a server (SIGKILL, memory limit, PostgreSQL restart) through
/// [`ONE_SERVER_KILLING_TEST_AT_A_TIME`]. One of each runs at a time: a browser test mostly
/// waits on Chromium and a killing test mostly on starts and sleeps, so the two overlap well,
/// where one chain of both kinds was the longest part of `cargo test` (issue 23 §4). The test
/// binaries run with four test threads (`.cargo/config.toml`), so that the two waiting on
/// their turns leave threads for the in-process tests.
pub static ONE_BROWSER_TEST_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// See [`ONE_BROWSER_TEST_AT_A_TIME`].
pub static ONE_SERVER_KILLING_TEST_AT_A_TIME: tokio::sync::Mutex<()> =
    tokio::sync::Mutex::const_new(());
