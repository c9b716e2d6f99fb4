//! Limits that must hold for the whole deployment, not per process (review 2026-12-06, N6):
//! on PostgreSQL several instances share one database, and an in-memory count in each would
//! multiply every limit by the number of instances.
//!
//! The heavy-request gate is a set of session-level advisory locks, each held on a connection
//! of its own for as long as the request runs: one per learner, and one of a few server-wide
//! slots. A lock goes with its connection, so a crashed instance cannot keep one. On SQLite one
//! process owns the database and the in-memory gate is the whole truth, so nothing is taken.

use super::{Backend, Db};
use sqlx::{Connection, Row};

/// The namespaces of paperdeck's advisory lock keys (the high 32 bits), so they do not collide
/// with each other or with the migrator's.
const HEAVY_SLOT: i64 = 0x7064_0001 << 32;
const HEAVY_LEARNER: i64 = 0x7064_0002 << 32;

/// How often, and how long, a learner's lock is waited for before her request is turned away.
const RELEASE_WAITS: u32 = 5;
const RELEASE_WAIT: std::time::Duration = std::time::Duration::from_millis(20);

/// Why the shared gate did not admit a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Taken {
    /// The learner has one running on some instance.
    Learner,
    /// Every server-wide slot is held.
    Server,
}

/// Locks held for one heavy request. Dropping it unlocks them on their connection and closes
/// it. Only closing it left the release to the server noticing the closed socket: a learner's
/// next import, sent right after the response, could still find her lock held and get "another
/// of yours is running" (seen once in CI, 2026-12-07).
pub struct Held {
    conn: Option<sqlx::AnyConnection>,
}

impl Drop for Held {
    fn drop(&mut self) {
        let (Some(mut conn), Ok(rt)) = (self.conn.take(), tokio::runtime::Handle::try_current())
        else {
            return;
        };
        rt.spawn(async move {
            let _ = sqlx::query("SELECT pg_advisory_unlock_all()")
                .execute(&mut conn)
                .await;
            let _ = conn.close().await;
        });
    }
}

impl std::fmt::Debug for Held {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Held")
    }
}

async fn try_lock(conn: &mut sqlx::AnyConnection, key: i64) -> sqlx::Result<bool> {
    let row = bound!("SELECT pg_try_advisory_lock($1)", key)
        .fetch_one(&mut *conn)
        .await?;
    row.try_get::<bool, _>(0)
}

/// Takes the learner's lock and a free slot of `slots` for the whole deployment, or says which
/// is taken. `Ok(Ok(None))` on SQLite, where the in-memory gate is enough.
pub async fn try_heavy(
    db: &Db,
    learner: i64,
    slots: usize,
) -> sqlx::Result<Result<Option<Held>, Taken>> {
    if db.backend != Backend::Postgres {
        return Ok(Ok(None));
    }
    let Some(options) = &db.lock_options else {
        return Ok(Ok(None));
    };
    let mut conn = sqlx::AnyConnection::connect_with(options).await?;
    let key = HEAVY_LEARNER + learner.rem_euclid(1 << 32);
    // Her previous request's unlock runs just after its response: a request sent at once may
    // arrive first. A few short waits tell that from one that is really running.
    let mut waits = RELEASE_WAITS;
    while !try_lock(&mut conn, key).await? {
        if waits == 0 {
            return Ok(Err(Taken::Learner));
        }
        waits -= 1;
        tokio::time::sleep(RELEASE_WAIT).await;
    }
    // Held from here, so that turning her away for want of a slot unlocks her lock at once too.
    let mut held = Held { conn: Some(conn) };
    let Some(conn) = held.conn.as_mut() else {
        return Ok(Err(Taken::Server));
    };
    for slot in 0..slots as i64 {
        if try_lock(conn, HEAVY_SLOT + slot).await? {
            return Ok(Ok(Some(held)));
        }
    }
    Ok(Err(Taken::Server))
}

/// The advisory-lock key of a log-in name or an address, for a transaction that must not run
/// beside another on the same key (see [`lock_key_in`]).
pub fn key_of(namespace: &str, text: &str) -> i64 {
    use sha2::Digest;
    let digest = sha2::Sha256::new()
        .chain_update(namespace.as_bytes())
        .chain_update([0x1f])
        .chain_update(text.as_bytes())
        .finalize();
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(&digest[..8]);
    i64::from_be_bytes(bytes)
}

/// Inside a transaction on PostgreSQL: waits for, and holds until commit, the lock on `key`, so
/// that a check and the row it inserts happen as one for every instance. On SQLite the one
/// write connection already serialises such transactions.
pub async fn lock_key_in(db: &Db, conn: &mut super::Conn, key: i64) -> sqlx::Result<()> {
    if db.backend == Backend::Postgres {
        bound!("SELECT 1 FROM pg_advisory_xact_lock($1)", key)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}
