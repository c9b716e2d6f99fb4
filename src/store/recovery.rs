//! Recovery codes: stored as hashes (see [`crate::auth::recovery`]), each usable once.
//!
//! A code is used up by one `UPDATE … WHERE used_at IS NULL` inside the transaction that sets
//! the new password and ends her sessions: two requests with the same code, on one instance or
//! several, cannot both see it unused (SQLite has one writer; PostgreSQL re-checks the row after
//! the first update commits), so exactly one of them resets the password.

use super::{Conn, Db};
use sqlx::Row;

/// Inserts `hashes` as her unused codes inside `conn`'s transaction.
async fn insert_codes(
    conn: &mut Conn,
    learner: i64,
    hashes: &[String],
    now: i64,
) -> sqlx::Result<()> {
    for h in hashes {
        bound!(
            "INSERT INTO recovery_codes (learner_id, code_hash, created_at) VALUES ($1, $2, $3)",
            learner,
            h,
            now
        )
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Inserts a learner together with her first recovery codes, in one transaction, so that no
/// account exists without them. `hashes` makes the stored hashes from her new id. `Ok(None)`
/// when the name is taken (in any letter case).
pub async fn create_learner(
    db: &Db,
    username: &str,
    username_key: &str,
    password_hash: &str,
    now: i64,
    hashes: impl FnOnce(i64) -> Vec<String>,
) -> sqlx::Result<Option<i64>> {
    let mut tx = db.write.begin().await?;
    let rows = bound!(
        super::learners::INSERT_LEARNER,
        username,
        username_key,
        password_hash,
        now
    )
    .fetch_all(&mut *tx)
    .await?;
    let Some(id) = rows.first().map(|r| r.try_get::<i64, _>(0)).transpose()? else {
        tx.rollback().await?;
        return Ok(None);
    };
    insert_codes(&mut tx, id, &hashes(id), now).await?;
    tx.commit().await?;
    Ok(Some(id))
}

/// Replaces all her codes, used or not, with `hashes`: the old ones stop working at once.
pub async fn replace(db: &Db, learner: i64, hashes: &[String], now: i64) -> sqlx::Result<()> {
    let mut tx = db.write.begin().await?;
    // How many are unused is part of her cached data (the home page): the bump tells every
    // instance.
    super::bump(&mut tx, learner).await?;
    bound!("DELETE FROM recovery_codes WHERE learner_id = $1", learner)
        .execute(&mut *tx)
        .await?;
    insert_codes(&mut tx, learner, hashes, now).await?;
    super::commit_for(db, tx, learner).await
}

/// How many of her codes are still unused.
pub async fn unused(db: &Db, learner: i64) -> sqlx::Result<i64> {
    let q = bound!(
        "SELECT COUNT(*) FROM recovery_codes WHERE learner_id = $1 AND used_at IS NULL",
        learner
    );
    Ok(super::first_as(q, &db.read, |r| r.try_get(0))
        .await?
        .unwrap_or(0))
}

/// Whether `hash` is one of her unused codes (checked before the new password is hashed, so a
/// wrong code costs no Argon2 hash; [`redeem`] checks again as it uses the code).
pub async fn is_unused(db: &Db, learner: i64, hash: &str) -> sqlx::Result<bool> {
    let q = bound!(
        "SELECT 1 FROM recovery_codes
         WHERE learner_id = $1 AND code_hash = $2 AND used_at IS NULL",
        learner,
        hash
    );
    Ok(super::first_row(q, &db.read).await?.is_some())
}

/// Uses the code `hash` up and, in the same transaction, sets her new password hash and
/// deletes every one of her sessions. `Ok(false)`, with nothing changed, when the code is not
/// one of her unused ones (used meanwhile by another request, or replaced).
pub async fn redeem(
    db: &Db,
    learner: i64,
    hash: &str,
    password_hash: &str,
    now: i64,
) -> sqlx::Result<bool> {
    let mut tx = db.write.begin().await?;
    let used = bound!(
        "UPDATE recovery_codes SET used_at = $1
         WHERE learner_id = $2 AND code_hash = $3 AND used_at IS NULL",
        now,
        learner,
        hash
    )
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if used != 1 {
        tx.rollback().await?;
        return Ok(false);
    }
    bound!(
        "UPDATE learners SET password_hash = $1 WHERE id = $2",
        password_hash,
        learner
    )
    .execute(&mut *tx)
    .await?;
    bound!("DELETE FROM login_sessions WHERE learner_id = $1", learner)
        .execute(&mut *tx)
        .await?;
    super::bump(&mut tx, learner).await?;
    super::commit_for(db, tx, learner).await?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn open() -> (tempfile::TempDir, Db) {
        Db::temporary().await
    }

    #[tokio::test]
    async fn a_code_is_used_once_and_replacing_codes_ends_the_old_ones() {
        let (_dir, db) = open().await;
        let hashes = |id: i64| vec![format!("a{id}"), format!("b{id}")];
        let id = create_learner(&db, "Ann", "ann", "old", 100, hashes)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            create_learner(&db, "ANN", "ann", "x", 100, hashes)
                .await
                .unwrap(),
            None,
            "the name is taken"
        );
        assert_eq!(unused(&db, id).await.unwrap(), 2);
        let a = format!("a{id}");
        assert!(is_unused(&db, id, &a).await.unwrap());
        assert!(!is_unused(&db, id + 1, &a).await.unwrap(), "not hers");
        super::super::learners::create_session(&db, "s1", id, 100)
            .await
            .unwrap();
        assert!(redeem(&db, id, &a, "new", 200).await.unwrap());
        assert!(!redeem(&db, id, &a, "newer", 300).await.unwrap(), "used");
        assert!(!is_unused(&db, id, &a).await.unwrap());
        assert_eq!(unused(&db, id).await.unwrap(), 1);
        let hash = super::super::learners::password_hash(&db, id)
            .await
            .unwrap();
        assert_eq!(hash.as_deref(), Some("new"));
        assert!(super::super::learners::session(&db, "s1")
            .await
            .unwrap()
            .is_none());
        replace(&db, id, &["c".to_string()], 400).await.unwrap();
        assert_eq!(unused(&db, id).await.unwrap(), 1);
        assert!(!redeem(&db, id, &format!("b{id}"), "x", 500).await.unwrap());
        assert!(redeem(&db, id, "c", "x", 500).await.unwrap());
    }
}
