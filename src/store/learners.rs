//! Learner accounts and log-in sessions.

use super::rows::flag;
use super::{Conn, Db};
use crate::settings::LearnerSettings;
use sqlx::{FromRow, Row};

/// Read by column name: the queries select columns named as its fields.
#[derive(Debug, Clone, FromRow)]
pub struct SessionRow {
    pub learner_id: i64,
    pub username: String,
    pub created_at: i64,
    pub last_seen_at: i64,
    /// Her `data_version` when the session was read (see [`super::cache::Seen`]).
    pub data_version: i64,
}

pub async fn session(db: &Db, id: &str) -> sqlx::Result<Option<SessionRow>> {
    let q = bound!(
        "SELECT s.learner_id, l.username, s.last_seen_at, s.created_at, l.data_version
         FROM login_sessions s JOIN learners l ON l.id = s.learner_id
         WHERE s.id = $1",
        id
    );
    super::first_of(q, &db.read).await
}

pub async fn create_session(db: &Db, id: &str, learner_id: i64, now: i64) -> sqlx::Result<()> {
    let sql = "INSERT INTO login_sessions (id, learner_id, created_at, last_seen_at)
               VALUES ($1, $2, $3, $3)";
    super::write(db, bound!(sql, id, learner_id, now)).await
}

pub async fn touch_session(db: &Db, id: &str, now: i64) -> sqlx::Result<()> {
    let q = bound!(
        "UPDATE login_sessions SET last_seen_at = $1 WHERE id = $2",
        now,
        id
    );
    super::write(db, q).await
}

pub async fn delete_session(db: &Db, id: &str) -> sqlx::Result<()> {
    let q = bound!("DELETE FROM login_sessions WHERE id = $1", id);
    super::write(db, q).await
}

/// Deletes the sessions idle longer than `idle_secs` or older than `max_secs`.
pub async fn purge_sessions(db: &Db, now: i64, idle_secs: i64, max_secs: i64) -> sqlx::Result<u64> {
    bound!(
        "DELETE FROM login_sessions WHERE last_seen_at < $1 OR created_at < $2",
        now - idle_secs,
        now - max_secs
    )
    .execute(&db.write)
    .await
    .map(|r| r.rows_affected())
}

/// Deletes every session of a learner except `keep`, returning the deleted ids (so the caller
/// can drop them from the cache).
pub async fn delete_sessions_except(
    db: &Db,
    learner_id: i64,
    keep: Option<&str>,
) -> sqlx::Result<Vec<String>> {
    let q = bound!(
        "DELETE FROM login_sessions WHERE learner_id = $1 AND id <> $2 RETURNING id",
        learner_id,
        keep.unwrap_or("")
    );
    super::all_as(q, &db.write, |r| r.try_get(0)).await
}

pub async fn set_password_hash(db: &Db, learner_id: i64, hash: &str) -> sqlx::Result<()> {
    let q = bound!(
        "UPDATE learners SET password_hash = $1 WHERE id = $2",
        hash,
        learner_id
    );
    super::write(db, q).await
}

/// Deletes a learner and, through `ON DELETE CASCADE`, her sessions, reviews, states and
/// papers read.
pub async fn delete(db: &Db, learner_id: i64) -> sqlx::Result<()> {
    let q = bound!("DELETE FROM learners WHERE id = $1", learner_id);
    super::write(db, q).await
}

pub async fn password_hash(db: &Db, learner_id: i64) -> sqlx::Result<Option<String>> {
    let q = bound!(
        "SELECT password_hash FROM learners WHERE id = $1",
        learner_id
    );
    super::first_as(q, &db.read, |r| r.try_get(0)).await
}

/// Read by column name, like [`SessionRow`].
#[derive(Debug, Clone, FromRow)]
pub struct Credentials {
    pub id: i64,
    pub username: String,
    pub password_hash: String,
}

pub async fn credentials_by_key(db: &Db, username_key: &str) -> sqlx::Result<Option<Credentials>> {
    let q = bound!(
        "SELECT id, username, password_hash FROM learners WHERE username_key = $1",
        username_key
    );
    super::first_of(q, &db.read).await
}

/// Inserts a learner (username, key, password hash, created at) and returns her id; no row
/// when the name is taken (in any letter case).
pub(super) const INSERT_LEARNER: &str =
    "INSERT INTO learners (username, username_key, password_hash, created_at)
     VALUES ($1, $2, $3, $4)
     ON CONFLICT (username_key) DO NOTHING
     RETURNING id";

/// Inserts a learner; `Ok(None)` when the name is taken (in any letter case). Sign-up makes
/// her recovery codes with her: [`super::recovery::create_learner`].
pub async fn create(
    db: &Db,
    username: &str,
    username_key: &str,
    password_hash: &str,
    now: i64,
) -> sqlx::Result<Option<i64>> {
    let q = bound!(INSERT_LEARNER, username, username_key, password_hash, now);
    super::first_as(q, &db.write, |r| r.try_get(0)).await
}

/// Her settings as stored (forced into their bounds), and whether she has personal parameters.
pub async fn settings(db: &Db, learner: i64) -> sqlx::Result<Option<LearnerSettings>> {
    let q = bound!(
        "SELECT desired_retention, new_per_day, max_reviews_per_day, timezone, rollover_hour,
                CASE WHEN fsrs_params IS NULL THEN 0 ELSE 1 END
         FROM learners WHERE id = $1",
        learner
    );
    super::first_as(q, &db.read, |r| {
        Ok(LearnerSettings {
            has_personal_params: flag(r, 5)?,
            ..LearnerSettings::clamped(
                r.try_get(0)?,
                r.try_get(1)?,
                r.try_get(2)?,
                r.try_get(3)?,
                r.try_get(4)?,
            )
        })
    })
    .await
}

pub async fn update_settings(db: &Db, learner: i64, s: &LearnerSettings) -> sqlx::Result<()> {
    let mut tx = db.write.begin().await?;
    super::bump(&mut tx, learner).await?;
    write_settings(&mut tx, learner, s).await?;
    super::commit_for(db, tx, learner).await
}

/// Stores personal FSRS parameters (JSON array), or clears them with `None`.
pub async fn set_params(db: &Db, learner: i64, params: Option<&str>) -> sqlx::Result<()> {
    let mut tx = db.write.begin().await?;
    super::bump(&mut tx, learner).await?;
    write_params(&mut tx, learner, params).await?;
    super::commit_for(db, tx, learner).await
}

/// Writes her settings inside `conn`'s transaction (`has_personal_params` is not a column).
pub(super) async fn write_settings(
    conn: &mut Conn,
    learner: i64,
    s: &LearnerSettings,
) -> sqlx::Result<()> {
    bound!(
        "UPDATE learners SET desired_retention = $1, new_per_day = $2, max_reviews_per_day = $3,
                timezone = $4, rollover_hour = $5
         WHERE id = $6",
        s.desired_retention,
        s.new_per_day,
        s.max_reviews_per_day,
        &s.timezone,
        s.rollover_hour,
        learner
    )
    .execute(&mut *conn)
    .await
    .map(|_| ())
}

/// Writes her personal parameters inside `conn`'s transaction.
pub(super) async fn write_params(
    conn: &mut Conn,
    learner: i64,
    params: Option<&str>,
) -> sqlx::Result<()> {
    bound!(
        "UPDATE learners SET fsrs_params = $1 WHERE id = $2",
        params,
        learner
    )
    .execute(&mut *conn)
    .await
    .map(|_| ())
}

/// The failed log-ins on `name_key` since `since`, as (address, time), oldest first: what every
/// instance has recorded, for the shared part of the log-in limit.
pub async fn login_failures(
    db: &Db,
    name_key: &str,
    since: i64,
) -> sqlx::Result<Vec<(String, i64)>> {
    let q = bound!(
        "SELECT addr, failed_at FROM login_failures WHERE name_key = $1 AND failed_at >= $2
         ORDER BY failed_at",
        name_key,
        since
    );
    super::all_of(q, &db.read).await
}

pub async fn add_login_failure(db: &Db, name_key: &str, addr: &str, now: i64) -> sqlx::Result<()> {
    let sql = "INSERT INTO login_failures (name_key, addr, failed_at) VALUES ($1, $2, $3)";
    super::write(db, bound!(sql, name_key, addr, now)).await
}

/// A right password forgets the failures of its (name, address) pair, as the in-process
/// limiter does; the account's failures from elsewhere stay.
pub async fn clear_login_failures(db: &Db, name_key: &str, addr: &str) -> sqlx::Result<()> {
    let q = bound!(
        "DELETE FROM login_failures WHERE name_key = $1 AND addr = $2",
        name_key,
        addr
    );
    super::write(db, q).await
}

/// Deletes failures older than `before` (past every limiter window).
pub async fn purge_login_failures(db: &Db, before: i64) -> sqlx::Result<u64> {
    bound!("DELETE FROM login_failures WHERE failed_at < $1", before)
        .execute(&db.write)
        .await
        .map(|r| r.rows_affected())
}

/// Reserves a log-in attempt at `name_key` from `addr` for every instance (review 2026-12-06,
/// N6): under the name's lock, the failures within the window are read, `wait` judges them,
/// and if it lets the attempt through a failure is stored at once, before the password is
/// hashed. A right password deletes it again ([`clear_login_failures`]). So concurrent
/// attempts on several instances see each other, and failures older than the window go as
/// new ones come in. Returns the wait `wait` asked for, if any.
pub async fn reserve_login_attempt(
    db: &Db,
    name_key: &str,
    addr: &str,
    now: i64,
    window: i64,
    wait: impl FnOnce(&[(String, i64)]) -> Option<std::time::Duration>,
) -> sqlx::Result<Option<std::time::Duration>> {
    let mut tx = db.write.begin().await?;
    let key = super::locks::key_of("login", name_key);
    super::locks::lock_key_in(db, &mut tx, key).await?;
    bound!(
        "DELETE FROM login_failures WHERE failed_at < $1",
        now - window
    )
    .execute(&mut *tx)
    .await?;
    let failures: Vec<(String, i64)> = bound!(
        "SELECT addr, failed_at FROM login_failures WHERE name_key = $1 ORDER BY failed_at",
        name_key
    )
    .fetch_all(&mut *tx)
    .await?
    .iter()
    .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
    .collect::<sqlx::Result<_>>()?;
    if let Some(w) = wait(&failures) {
        tx.rollback().await?;
        return Ok(Some(w));
    }
    bound!(
        "INSERT INTO login_failures (name_key, addr, failed_at) VALUES ($1, $2, $3)",
        name_key,
        addr,
        now
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(None)
}

/// Takes back a reserved attempt whose password was never checked.
pub async fn release_login_attempt(
    db: &Db,
    name_key: &str,
    addr: &str,
    at: i64,
) -> sqlx::Result<()> {
    let q = bound!(
        "DELETE FROM login_failures WHERE name_key = $1 AND addr = $2 AND failed_at = $3",
        name_key,
        addr,
        at
    );
    super::write(db, q).await
}

/// The sign-up budgets, as counts of stored sign-ups so that they hold for every instance.
#[derive(Debug, Clone, Copy)]
pub struct SignupBudget {
    pub window: i64,
    pub per_addr: i64,
    /// Over all addresses ...
    pub overall: i64,
    /// ... except an address's first sign-up in the window, which only this bounds.
    pub first_overall: i64,
}

/// Takes one sign-up from `addr` if the budgets allow it (under one lock for every instance,
/// review 2026-12-06 N5 and N6), else the seconds until they do. Sign-ups older than the
/// window are deleted as new ones come in.
pub async fn take_signup(
    db: &Db,
    addr: &str,
    now: i64,
    budget: SignupBudget,
) -> sqlx::Result<Result<(), i64>> {
    let mut tx = db.write.begin().await?;
    super::locks::lock_key_in(db, &mut tx, super::locks::key_of("signup", "")).await?;
    let since = now - budget.window;
    bound!("DELETE FROM signup_events WHERE at <= $1", since)
        .execute(&mut *tx)
        .await?;
    // One read for both budgets: the rows before `since` were just deleted, and the bound lets
    // it read the index range instead of the whole table (the query-plan test).
    // Placeholders in order of first use: SQLite numbers `$n` by where each first appears.
    let row = bound!(
        "SELECT COALESCE(SUM(CASE WHEN addr = $1 THEN 1 ELSE 0 END), 0), \
                COALESCE(MIN(CASE WHEN addr = $1 THEN at END), 0), \
                COUNT(*), COALESCE(MIN(at), 0) \
         FROM signup_events WHERE at > $2",
        addr,
        since
    )
    .fetch_one(&mut *tx)
    .await?;
    let (mine, my_oldest): (i64, i64) = (row.try_get(0)?, row.try_get(1)?);
    let (all, oldest): (i64, i64) = (row.try_get(2)?, row.try_get(3)?);
    let wait = |from: i64| (from + budget.window - now).max(1);
    let refused = if mine >= budget.per_addr {
        Some(wait(my_oldest))
    } else if all >= budget.first_overall || (all >= budget.overall && mine > 0) {
        Some(wait(oldest))
    } else {
        None
    };
    if let Some(w) = refused {
        tx.rollback().await?;
        return Ok(Err(w));
    }
    bound!(
        "INSERT INTO signup_events (addr, at) VALUES ($1, $2)",
        addr,
        now
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(Ok(()))
}

/// When she last downloaded her whole export and when she last dismissed the backup reminder
/// (`None` for never), for the monthly reminder on /progress.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Backups {
    pub last_export_at: Option<i64>,
    pub dismissed_at: Option<i64>,
}

pub async fn backups(db: &Db, learner: i64) -> sqlx::Result<Backups> {
    let q = bound!(
        "SELECT last_export_at, dismissed_at FROM backup_reminders WHERE learner_id = $1",
        learner
    );
    let row = super::first_as(q, &db.read, |r| {
        Ok(Backups {
            last_export_at: r.try_get(0)?,
            dismissed_at: r.try_get(1)?,
        })
    })
    .await?;
    Ok(row.unwrap_or_default())
}

/// What happened to her backup reminder.
#[derive(Debug, Clone, Copy)]
pub enum BackupEvent {
    /// Her whole export was downloaded.
    Exported,
    /// She dismissed the reminder.
    Dismissed,
}

/// Records `event` at `now`.
pub async fn record_backup_event(
    db: &Db,
    learner: i64,
    event: BackupEvent,
    now: i64,
) -> sqlx::Result<()> {
    let sql = match event {
        BackupEvent::Exported => {
            "INSERT INTO backup_reminders (learner_id, last_export_at) VALUES ($1, $2)
             ON CONFLICT (learner_id) DO UPDATE SET last_export_at = excluded.last_export_at"
        }
        BackupEvent::Dismissed => {
            "INSERT INTO backup_reminders (learner_id, dismissed_at) VALUES ($1, $2)
             ON CONFLICT (learner_id) DO UPDATE SET dismissed_at = excluded.dismissed_at"
        }
    };
    // Part of her cached data (/progress shows the reminder from it): the bump tells every
    // instance.
    let mut tx = db.write.begin().await?;
    super::bump(&mut tx, learner).await?;
    sqlx::query(sql)
        .bind(learner)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    super::commit_for(db, tx, learner).await
}
