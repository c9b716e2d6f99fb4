//! The binary's start and stop: a database that cannot be opened is a clear message, and
//! SIGTERM stops the server cleanly.

use crate::common::cli::{paperdeck, Run};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// `paperdeck serve` on the SQLite file `db`, on any free port.
fn serve_on(db: &std::path::Path) -> Run {
    let url = format!("sqlite://{}", db.display());
    paperdeck(["serve", "--addr", "127.0.0.1:0", "--database", &url])
}

#[test]
fn a_database_that_cannot_be_opened_stops_the_server_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no/such/dir/paperdeck.db");
    let out = serve_on(&missing);
    assert!(!out.ok);
    let err = out.stderr;
    assert!(err.contains("无法打开数据库"), "{err}");
    assert!(
        err.contains(&missing.display().to_string()),
        "names the file: {err}"
    );
    assert!(!err.contains("panicked"), "{err}");

    // A file that is not a database at all.
    let junk = dir.path().join("junk.db");
    std::fs::write(
        &junk,
        "this is not sqlite, just text that is long enough to matter".repeat(100),
    )
    .unwrap();
    let out = serve_on(&junk);
    assert!(!out.ok);
    let err = out.stderr;
    assert!(err.contains("junk.db"), "{err}");
    // SQLite's own reason, not the pool's "timed out" after half a minute of retries.
    assert!(err.contains("file is not a database"), "{err}");
    assert!(!err.contains("timed out"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[tokio::test]
async fn sigterm_stops_the_server_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new(crate::common::process::server_binary())
        .args([
            "serve",
            "--addr",
            &format!("127.0.0.1:{port}"),
            "--database",
        ])
        .arg(format!("sqlite://{}", dir.path().join("t.db").display()))
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if reqwest::get(format!("http://127.0.0.1:{port}/healthz"))
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            break;
        }
        assert!(Instant::now() < deadline, "server did not start");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "exit status {:?}", out.status);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("paperdeck stopped"), "{err}");
    // The database was closed cleanly: the WAL was checkpointed and removed.
    assert!(
        !dir.path().join("t.db-wal").exists()
            || std::fs::metadata(dir.path().join("t.db-wal"))
                .unwrap()
                .len()
                == 0
    );
}
