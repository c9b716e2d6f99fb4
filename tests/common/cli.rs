//! The `paperdeck` command line of this build as a child process, for the tests of its
//! subcommands.

use std::ffi::OsStr;

/// What a finished command said.
pub struct Run {
    pub ok: bool,
    pub stdout: String,
    pub stderr: String,
}

/// Runs `paperdeck` with `args` to its end, without the environment variables that would
/// change its defaults (`DATABASE_URL`, `PAPERDECK_CONTENT`).
pub fn paperdeck<I, S>(args: I) -> Run
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let out = std::process::Command::new(super::process::server_binary())
        .args(args)
        .env_remove("DATABASE_URL")
        .env_remove("PAPERDECK_CONTENT")
        .output()
        .expect("run paperdeck");
    Run {
        ok: out.status.success(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}
