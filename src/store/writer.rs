//! Group commit for answers.
//!
//! Every answer must be on disk before the learner is told it was recorded, and with
//! `synchronous = FULL` each SQLite commit waits for an fsync. One transaction per answer makes
//! that fsync the bottleneck and the queue behind the single writer the latency tail. Here one
//! task owns the writes: it takes every answer waiting in its queue, applies them all in one
//! transaction (each still guarded by its own version check), commits once, and only then
//! replies to each request. A batch that fails as a whole is retried one answer at a time, so
//! one bad answer cannot take others down with it.

use super::quiz::record_in;
use super::Db;
use crate::scheduler::{ConceptState, Outcome};
use tokio::sync::{mpsc, oneshot};

/// Most answers committed together.
const MAX_BATCH: usize = 256;

/// An answer to record, owned so it can cross to the writer task.
#[derive(Debug, Clone)]
pub struct Answer {
    pub learner: i64,
    pub before: ConceptState,
    pub card_id: String,
    pub concept: String,
    pub answer: String,
    pub correct: bool,
    pub rating: u8,
    pub duration_ms: i64,
    pub kind: crate::scheduler::ReviewKind,
    pub now: i64,
    pub out: Outcome,
}

type Reply = Result<Option<i64>, String>;

struct Job {
    answer: Answer,
    reply: oneshot::Sender<Reply>,
}

#[derive(Debug, Clone)]
pub struct AnswerWriter {
    tx: mpsc::Sender<Job>,
}

impl AnswerWriter {
    /// Starts the writer task on the current Tokio runtime.
    pub fn start(db: Db) -> AnswerWriter {
        let (tx, rx) = mpsc::channel(4096);
        tokio::spawn(run(db, rx));
        AnswerWriter { tx }
    }

    /// Records an answer; `Ok(None)` when its version check failed (a stale question) and
    /// nothing was written. Returns once the answer is committed.
    pub async fn record(&self, answer: Answer) -> Result<Option<i64>, anyhow::Error> {
        let (reply, rx) = oneshot::channel();
        self.tx
            .send(Job { answer, reply })
            .await
            .map_err(|_| anyhow::anyhow!("answer writer stopped"))?;
        rx.await
            .map_err(|_| anyhow::anyhow!("answer writer dropped the answer"))?
            .map_err(|e| anyhow::anyhow!("recording the answer failed: {e}"))
    }
}

async fn run(db: Db, mut rx: mpsc::Receiver<Job>) {
    while let Some(first) = rx.recv().await {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        match commit(&db, batch.iter().map(|j| &j.answer)).await {
            Ok(ids) => {
                for (job, id) in batch.into_iter().zip(ids) {
                    let _ = job.reply.send(Ok(id));
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, size = batch.len(), "batch commit failed, retrying one by one");
                for job in batch {
                    let result = commit(&db, std::iter::once(&job.answer))
                        .await
                        .map(|ids| ids.into_iter().next().flatten())
                        .map_err(|e| e.to_string());
                    let _ = job.reply.send(result);
                }
            }
        }
    }
}

async fn commit<'a>(
    db: &Db,
    answers: impl Iterator<Item = &'a Answer>,
) -> Result<Vec<Option<i64>>, sqlx::Error> {
    let mut tx = db.write.begin().await?;
    let mut ids = Vec::new();
    for a in answers {
        ids.push(record_in(&mut tx, a).await?);
    }
    tx.commit().await?;
    Ok(ids)
}
