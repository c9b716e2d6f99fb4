//! Learner accounts and log-in sessions.

use super::Db;
use crate::settings::LearnerSettings;
use sqlx::Row;

#[derive(Debug, Clone)]
pub struct SessionRow {
    pub learner_id: i64,
    pub username: String,
    pub last_seen_at: i64,
}

pub async fn session(db: &Db, id: &str) -> Result<Option<SessionRow>, sqlx::Error> {
    let q = sqlx::query(
        "SELECT s.learner_id, l.username, s.last_seen_at
         FROM login_sessions s JOIN learners l ON l.id = s.learner_id
         WHERE s.id = $1",
    )
    .bind(id);
    let row = super::first_row(q, &db.read).await?;
    Ok(row.map(|r| SessionRow {
        learner_id: r.get(0),
        username: r.get(1),
        last_seen_at: r.get(2),
    }))
}

pub async fn create_session(
    db: &Db,
    id: &str,
    learner_id: i64,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO login_sessions (id, learner_id, created_at, last_seen_at) VALUES ($1, $2, $3, $3)",
    )
    .bind(id)
    .bind(learner_id)
    .bind(now)
    .execute(&db.write)
    .await
    .map(|_| ())
}

pub async fn touch_session(db: &Db, id: &str, now: i64) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE login_sessions SET last_seen_at = $1 WHERE id = $2")
        .bind(now)
        .bind(id)
        .execute(&db.write)
        .await
        .map(|_| ())
}

pub async fn delete_session(db: &Db, id: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM login_sessions WHERE id = $1")
        .bind(id)
        .execute(&db.write)
        .await
        .map(|_| ())
}

#[derive(Debug, Clone)]
pub struct Credentials {
    pub id: i64,
    pub username: String,
    pub password_hash: String,
}

pub async fn credentials_by_key(
    db: &Db,
    username_key: &str,
) -> Result<Option<Credentials>, sqlx::Error> {
    let q = sqlx::query("SELECT id, username, password_hash FROM learners WHERE username_key = $1")
        .bind(username_key);
    let row = super::first_row(q, &db.read).await?;
    Ok(row.map(|r| Credentials {
        id: r.get(0),
        username: r.get(1),
        password_hash: r.get(2),
    }))
}

/// Inserts a learner; `Ok(None)` when the name is taken (in any letter case).
pub async fn create(
    db: &Db,
    username: &str,
    username_key: &str,
    password_hash: &str,
    now: i64,
) -> Result<Option<i64>, sqlx::Error> {
    let q = sqlx::query(
        "INSERT INTO learners (username, username_key, password_hash, created_at)
         VALUES ($1, $2, $3, $4)
         ON CONFLICT (username_key) DO NOTHING
         RETURNING id",
    )
    .bind(username)
    .bind(username_key)
    .bind(password_hash)
    .bind(now);
    let row = super::first_row(q, &db.write).await?;
    Ok(row.map(|r| r.get(0)))
}

/// Her settings as stored (forced into their bounds), and whether she has personal parameters.
pub async fn settings(db: &Db, learner: i64) -> Result<Option<LearnerSettings>, sqlx::Error> {
    let q = sqlx::query(
        "SELECT desired_retention, new_per_day, max_reviews_per_day, timezone, rollover_hour,
                fsrs_params IS NOT NULL
         FROM learners WHERE id = $1",
    )
    .bind(learner);
    let row = super::first_row(q, &db.read).await?;
    Ok(row.map(|r| LearnerSettings {
        has_personal_params: r.get::<i64, _>(5) != 0,
        ..LearnerSettings::clamped(r.get(0), r.get(1), r.get(2), r.get(3), r.get(4))
    }))
}

pub async fn update_settings(
    db: &Db,
    learner: i64,
    s: &LearnerSettings,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE learners SET desired_retention = $1, new_per_day = $2, max_reviews_per_day = $3,
                timezone = $4, rollover_hour = $5
         WHERE id = $6",
    )
    .bind(s.desired_retention)
    .bind(s.new_per_day)
    .bind(s.max_reviews_per_day)
    .bind(&s.timezone)
    .bind(s.rollover_hour)
    .bind(learner)
    .execute(&db.write)
    .await?;
    db.cache.forget(learner);
    Ok(())
}

/// Stores personal FSRS parameters (JSON array), or clears them with `None`.
pub async fn set_params(db: &Db, learner: i64, params: Option<&str>) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE learners SET fsrs_params = $1 WHERE id = $2")
        .bind(params)
        .bind(learner)
        .execute(&db.write)
        .await?;
    db.cache.forget(learner);
    Ok(())
}
