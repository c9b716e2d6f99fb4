//! The application's clock. Handlers and services read "now" from here, never from the system
//! directly, so a test can pin "today" (the learner's day rolls over at 04:00 Asia/Shanghai by
//! default, and a test that answers questions across that moment would see two days).

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

/// Wall-clock time, optionally shifted. Cheap to clone; clones share the shift, so a test can
/// keep one and move the app's time with [`Clock::advance`].
#[derive(Debug, Clone, Default)]
pub struct Clock {
    /// Milliseconds added to the system time; `None` is the plain system clock.
    shift_ms: Option<Arc<AtomicI64>>,
}

fn system_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

impl Clock {
    pub fn system() -> Clock {
        Clock::default()
    }

    /// A clock that reads `start_ms` (Unix milliseconds) now and runs at real speed from there,
    /// so durations measured by the app stay real.
    pub fn starting_at(start_ms: i64) -> Clock {
        Clock {
            shift_ms: Some(Arc::new(AtomicI64::new(start_ms - system_ms()))),
        }
    }

    /// A clock set to today's noon in Asia/Shanghai: eight hours from the default 04:00 day
    /// rollover either way, so no test run straddles a learner day.
    pub fn midday_shanghai() -> Clock {
        use chrono::TimeZone;
        let tz = chrono_tz::Asia::Shanghai;
        let today = chrono::Utc::now().with_timezone(&tz).date_naive();
        let noon = today.and_hms_opt(12, 0, 0).unwrap_or_default();
        let start = tz
            .from_local_datetime(&noon)
            .earliest()
            .map(|t| t.timestamp_millis())
            .unwrap_or_else(system_ms);
        Clock::starting_at(start)
    }

    /// Moves a shifted clock forward (a system clock cannot be moved and ignores this).
    pub fn advance(&self, secs: i64) {
        if let Some(s) = &self.shift_ms {
            s.fetch_add(secs.saturating_mul(1000), Ordering::Relaxed);
        }
    }

    /// Unix milliseconds.
    pub fn now_ms(&self) -> i64 {
        let shift = self
            .shift_ms
            .as_ref()
            .map_or(0, |s| s.load(Ordering::Relaxed));
        system_ms().saturating_add(shift)
    }

    /// Unix seconds: the one timestamp format in the database.
    pub fn now(&self) -> i64 {
        self.now_ms().div_euclid(1000)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_started_clock_reads_its_start_and_can_be_advanced() {
        let c = Clock::starting_at(1_000_000_000_000);
        assert!((c.now() - 1_000_000_000).abs() <= 2);
        let shared = c.clone();
        shared.advance(86_400);
        assert!((c.now() - 1_000_086_400).abs() <= 2);
    }

    #[test]
    fn midday_is_far_from_the_default_rollover() {
        let prefs = crate::scheduler::Prefs::default();
        let now = Clock::midday_shanghai().now();
        // Eight hours either side stay in the same learner day.
        assert_eq!(
            prefs.day_index(now - 7 * 3600),
            prefs.day_index(now + 7 * 3600)
        );
    }
}
