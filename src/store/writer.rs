//! Group commit for answers, under a supervisor.
//!
//! Every answer must be on disk before the learner is told it was recorded, and with
//! `synchronous = FULL` each SQLite commit waits for an fsync. One transaction per answer makes
//! that fsync the bottleneck and the queue behind the single writer the latency tail. Here one
//! task owns the writes: it takes every answer waiting in its queue, applies them all in one
//! transaction (each still guarded by its own version check), commits once, updates the cache,
//! and only then replies to each request. A batch that fails as a whole is retried one answer at
//! a time, so one bad answer cannot take others down with it.
//!
//! The task runs under a supervisor: if it panics, the answers of the batch in hand get an error
//! (none is half-written: the transaction was not committed, or was and the version check makes
//! a retry harmless), a new task takes over the same queue, and [`AnswerWriter::health`] says so
//! for `/healthz`.

use super::quiz::{record_in, Answer};
use super::Db;
use std::sync::atomic::{AtomicU64, AtomicU8, Ordering};
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot, Mutex};

/// Most answers committed together.
const MAX_BATCH: usize = 256;

type Reply = sqlx::Result<Option<i64>>;
/// What one answer's commit gave: its review id, her new data version and the card's new
/// memory, `None` when its version check failed.
type Recorded = Option<(i64, i64, crate::scheduler::card_pick::CardMemory)>;

enum Job {
    Answer {
        answer: Box<Answer>,
        reply: oneshot::Sender<Reply>,
    },
    /// Makes the task panic, so tests can watch the supervisor restart it.
    #[cfg(test)]
    Panic,
}

/// Why recording an answer failed.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("answer writer is not running")]
    Stopped,
    #[error("recording the answer failed: {0}")]
    Database(#[from] sqlx::Error),
}

/// What `/healthz` reports about the writer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Health {
    Ok,
    /// The task died and a new one is being started.
    Restarting,
    /// The supervisor has stopped (the runtime is shutting down): answers fail.
    Stopped,
}

impl Health {
    pub fn as_str(self) -> &'static str {
        match self {
            Health::Ok => "ok",
            Health::Restarting => "restarting",
            Health::Stopped => "stopped",
        }
    }
}

#[derive(Debug, Default)]
struct Status {
    health: AtomicU8,
    restarts: AtomicU64,
}

impl Status {
    fn set(&self, h: Health) {
        self.health.store(h as u8, Ordering::SeqCst);
    }
}

#[derive(Debug, Clone)]
pub struct AnswerWriter {
    tx: mpsc::Sender<Job>,
    status: Arc<Status>,
}

impl AnswerWriter {
    /// Starts the writer and its supervisor on the current Tokio runtime.
    pub fn start(db: Db) -> AnswerWriter {
        let (tx, rx) = mpsc::channel(4096);
        let status = Arc::new(Status::default());
        tokio::spawn(supervise(db, Arc::new(Mutex::new(rx)), status.clone()));
        AnswerWriter { tx, status }
    }

    /// Records an answer and updates the cache; `Ok(None)` when its version check failed (a
    /// stale question) and nothing was written. Returns once the answer is committed.
    pub async fn record(&self, answer: Answer) -> Result<Option<i64>, WriteError> {
        let (reply, rx) = oneshot::channel();
        let job = Job::Answer {
            answer: Box::new(answer),
            reply,
        };
        self.tx.send(job).await.map_err(|_| WriteError::Stopped)?;
        Ok(rx.await.map_err(|_| WriteError::Stopped)??)
    }

    pub fn health(&self) -> Health {
        if self.tx.is_closed() {
            return Health::Stopped;
        }
        match self.status.health.load(Ordering::SeqCst) {
            x if x == Health::Restarting as u8 => Health::Restarting,
            x if x == Health::Stopped as u8 => Health::Stopped,
            _ => Health::Ok,
        }
    }

    /// How many times the task has been restarted since the start.
    pub fn restarts(&self) -> u64 {
        self.status.restarts.load(Ordering::SeqCst)
    }
}

/// Runs the writer task, and a new one each time it panics. The queue outlives the tasks: it
/// sits behind a mutex the running task holds, which a panic releases.
async fn supervise(db: Db, rx: Arc<Mutex<mpsc::Receiver<Job>>>, status: Arc<Status>) {
    loop {
        status.set(Health::Ok);
        match tokio::spawn(run(db.clone(), rx.clone())).await {
            Ok(()) => break,
            Err(e) if e.is_panic() => {
                status.set(Health::Restarting);
                status.restarts.fetch_add(1, Ordering::SeqCst);
                tracing::error!(error = %e, "answer writer panicked; restarting it");
                // A short pause, so a panic on every batch cannot spin a core.
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
            Err(_) => break,
        }
    }
    status.set(Health::Stopped);
}

async fn run(db: Db, rx: Arc<Mutex<mpsc::Receiver<Job>>>) {
    let mut rx = rx.lock().await;
    while let Some(first) = rx.recv().await {
        let mut batch = Vec::new();
        let mut next = Some(first);
        while let Some(job) = next.take() {
            match job {
                Job::Answer { answer, reply } => batch.push((answer, reply)),
                #[cfg(test)]
                Job::Panic => panic!("injected by a test"),
            }
            if batch.len() < MAX_BATCH {
                next = rx.try_recv().ok();
            }
        }
        commit_batch(&db, batch).await;
    }
}

async fn commit_batch(db: &Db, mut batch: Vec<(Box<Answer>, oneshot::Sender<Reply>)>) {
    // Every answer locks its learner's row first (see `record_in`); taking them in one order
    // keeps two instances' batches on PostgreSQL from deadlocking. The sort is stable, so one
    // learner's answers keep their order.
    batch.sort_by_key(|(a, _)| a.learner);
    match commit(db, batch.iter().map(|(a, _)| a.as_ref())).await {
        Ok(recorded) => {
            for ((answer, reply), r) in batch.into_iter().zip(recorded) {
                // The cache first, then the reply: once she has the reply, her next page may
                // already be asking the cache (read-your-writes).
                remember(db, &answer, r);
                let _ = reply.send(Ok(r.map(|(id, ..)| id)));
            }
        }
        Err(e) => {
            tracing::warn!(error = %e, size = batch.len(), "batch commit failed, retrying one by one");
            for (answer, reply) in batch {
                let result = commit(db, std::iter::once(answer.as_ref()))
                    .await
                    .map(|r| r.into_iter().next().flatten());
                remember(db, &answer, result.as_ref().ok().copied().flatten());
                let _ = reply.send(result.map(|r| r.map(|(id, ..)| id)));
            }
        }
    }
}

/// Keeps the cache in step with what was just committed: the new state when the answer was
/// written, nothing at all when it was not (the cache may be what made the question stale).
fn remember(db: &Db, a: &Answer, recorded: Recorded) {
    match recorded {
        Some((_, version, memory)) => db.cache.answered(
            a.learner,
            a.after.clone(),
            a.today(),
            (&a.card_id, memory),
            a.now,
            version,
        ),
        None => db.cache.forget(a.learner),
    }
}

async fn commit<'a>(
    db: &Db,
    answers: impl Iterator<Item = &'a Answer>,
) -> sqlx::Result<Vec<Recorded>> {
    let mut tx = db.write.begin().await?;
    let mut ids = Vec::new();
    for a in answers {
        ids.push(record_in(&mut tx, db.backend, a).await?);
    }
    tx.commit().await?;
    Ok(ids)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scheduler::ConceptState;

    /// An answer for a learner who does not exist: its version check fails, so it proves the
    /// writer is alive and answering without needing any rows.
    fn nobodys_answer() -> Answer {
        let before = ConceptState::new("c", 0);
        Answer::right(404, before.clone(), before, 0)
    }

    #[tokio::test]
    async fn a_writer_that_panics_is_restarted_and_keeps_recording() {
        let dir = tempfile::tempdir().expect("tempdir");
        let url = format!("sqlite://{}", dir.path().join("w.db").display());
        let db = Db::open(&url).await.expect("db");
        let writer = AnswerWriter::start(db);
        assert_eq!(writer.record(nobodys_answer()).await.ok(), Some(None));
        assert_eq!(writer.health(), Health::Ok);

        writer.tx.send(Job::Panic).await.expect("queue open");
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        while writer.restarts() == 0 {
            assert!(std::time::Instant::now() < deadline, "no restart seen");
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        // The new task serves the same queue.
        assert_eq!(writer.record(nobodys_answer()).await.ok(), Some(None));
        assert_eq!(writer.health(), Health::Ok);
        assert_eq!(writer.restarts(), 1);
    }
}
