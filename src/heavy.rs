//! Admission for the expensive requests: fitting parameters, importing a file, exporting an
//! account. Each may use a core and tens of megabytes for seconds, so a learner runs one at a
//! time and the whole server runs at most [`GLOBAL_LIMIT`] at once. A request that finds no room
//! is refused at once with a message (no queue: a queue would hold the memory of its upload and
//! a connection while it waits, which is the cost this module exists to bound).

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

/// Expensive operations running at once across all learners: the machine this is sized for has
/// two cores, and quiz answers must keep one.
pub const GLOBAL_LIMIT: usize = 2;

/// What a learner is told when her expensive request cannot start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Busy {
    /// She already has one running (another tab, a double click).
    Mine,
    /// The server is running as many as it allows.
    Server,
}

impl Busy {
    pub fn message(self) -> &'static str {
        match self {
            Busy::Mine => {
                "你的另一项导入、导出或参数优化还在进行中。请等它完成后再试，这次没有做任何修改。"
            }
            Busy::Server => {
                "服务器正在处理其他人的导入、导出或参数优化，暂时排不上。请过一两分钟再试，这次没有做任何修改。"
            }
        }
    }
}

#[derive(Debug, Default)]
struct Running {
    total: usize,
    learners: HashSet<i64>,
}

/// The admission gate, shared by all workers.
#[derive(Debug, Clone)]
pub struct Gate {
    limit: usize,
    running: Arc<Mutex<Running>>,
}

impl Default for Gate {
    fn default() -> Gate {
        Gate::new(GLOBAL_LIMIT)
    }
}

impl Gate {
    pub fn new(limit: usize) -> Gate {
        Gate {
            limit: limit.max(1),
            running: Arc::default(),
        }
    }

    /// Admits one expensive operation for `learner`, or says why not. The permit gives the
    /// place back when dropped, also when the request is abandoned half-way (a closed download).
    pub fn try_enter(&self, learner: i64) -> Result<Permit, Busy> {
        // A poisoned lock only means another thread panicked while holding it; the counts are
        // updated in single statements, so they are still consistent.
        let mut r = self.running.lock().unwrap_or_else(|e| e.into_inner());
        if r.learners.contains(&learner) {
            return Err(Busy::Mine);
        }
        if r.total >= self.limit {
            return Err(Busy::Server);
        }
        r.total += 1;
        r.learners.insert(learner);
        Ok(Permit {
            learner,
            running: self.running.clone(),
            shared: None,
        })
    }

    /// [`Gate::try_enter`], then the same rule for the whole deployment: on PostgreSQL the
    /// learner's place and a server-wide slot are also taken in the database, so several
    /// instances together run no more than one instance would (review 2026-12-06, N6).
    pub async fn enter(
        &self,
        db: &crate::store::Db,
        learner: i64,
    ) -> Result<Result<Permit, Busy>, sqlx::Error> {
        use crate::store::locks::{try_heavy, Taken};
        let mut permit = match self.try_enter(learner) {
            Ok(p) => p,
            Err(busy) => return Ok(Err(busy)),
        };
        Ok(match try_heavy(db, learner, self.limit).await? {
            Ok(held) => {
                permit.shared = held;
                Ok(permit)
            }
            Err(Taken::Learner) => Err(Busy::Mine),
            Err(Taken::Server) => Err(Busy::Server),
        })
    }
}

/// One admitted operation; dropping it frees the place.
#[derive(Debug)]
pub struct Permit {
    learner: i64,
    running: Arc<Mutex<Running>>,
    /// The deployment-wide locks, on PostgreSQL.
    shared: Option<crate::store::locks::Held>,
}

impl Drop for Permit {
    fn drop(&mut self) {
        let mut r = self.running.lock().unwrap_or_else(|e| e.into_inner());
        r.total = r.total.saturating_sub(1);
        r.learners.remove(&self.learner);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn h1_heavy_requests_run_one_per_learner_within_a_global_limit() {
        let gate = Gate::new(2);
        let a = gate.try_enter(1).unwrap();
        assert_eq!(gate.try_enter(1).unwrap_err(), Busy::Mine);
        let _b = gate.try_enter(2).unwrap();
        assert_eq!(gate.try_enter(3).unwrap_err(), Busy::Server);
        drop(a);
        assert!(
            gate.try_enter(3).is_ok(),
            "a dropped permit frees its place"
        );
        assert!(gate.try_enter(1).is_ok());
    }
}
