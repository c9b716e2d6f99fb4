//! A learner's scheduling settings: one type for what `/settings` edits, what an export carries
//! and what the store reads back, with one set of bounds. (The server's own configuration is
//! [`crate::config::Settings`].)
//!
//! Values from outside (a form, an import file) are checked with [`LearnerSettings::new`] and
//! refused with a message when out of bounds; values read from the database are forced into
//! the same bounds with [`LearnerSettings::clamped`], so no stored value can break a page.

use crate::scheduler::Prefs;
use std::ops::RangeInclusive;

pub const RETENTION: RangeInclusive<f64> = 0.80..=0.97;
pub const NEW_PER_DAY: RangeInclusive<i64> = 0..=50;
pub const MAX_REVIEWS_PER_DAY: RangeInclusive<i64> = 1..=1000;
pub const ROLLOVER_HOUR: RangeInclusive<i64> = 0..=23;
/// Longest time zone name accepted (IANA names are far shorter).
const MAX_TZ_CHARS: usize = 64;

/// The settings a learner can change on `/settings`.
#[derive(Debug, Clone, PartialEq)]
pub struct LearnerSettings {
    pub desired_retention: f64,
    pub new_per_day: i64,
    pub max_reviews_per_day: i64,
    /// An IANA time zone name.
    pub timezone: String,
    pub rollover_hour: i64,
    /// Whether personal FSRS parameters are stored (shown, never set, through this type).
    pub has_personal_params: bool,
}

fn within(v: i64, range: &RangeInclusive<i64>, name: &str) -> Result<i64, String> {
    if range.contains(&v) {
        Ok(v)
    } else {
        Err(format!(
            "{name}要在 {} 到 {} 之间。",
            range.start(),
            range.end()
        ))
    }
}

impl LearnerSettings {
    /// Checks values from outside against the bounds; the message names the field.
    pub fn new(
        desired_retention: f64,
        new_per_day: i64,
        max_reviews_per_day: i64,
        timezone: &str,
        rollover_hour: i64,
    ) -> Result<LearnerSettings, String> {
        if !(desired_retention.is_finite() && RETENTION.contains(&desired_retention)) {
            return Err("目标记忆保持率要在 80% 到 97% 之间。".into());
        }
        if timezone.chars().count() > MAX_TZ_CHARS || timezone.parse::<chrono_tz::Tz>().is_err() {
            return Err(format!(
                "不认识时区“{}”：请写地区和城市的英文名，例如北京时间写 Asia/Shanghai，东京写 Asia/Tokyo。",
                timezone.chars().take(MAX_TZ_CHARS).collect::<String>()
            ));
        }
        Ok(LearnerSettings {
            desired_retention,
            new_per_day: within(new_per_day, &NEW_PER_DAY, "每天新概念数")?,
            max_reviews_per_day: within(
                max_reviews_per_day,
                &MAX_REVIEWS_PER_DAY,
                "每天最多复习数",
            )?,
            timezone: timezone.to_string(),
            rollover_hour: within(rollover_hour, &ROLLOVER_HOUR, "每天开始的时间")?,
            has_personal_params: false,
        })
    }

    /// Values read back from the database, forced into the bounds: a read must never fail or
    /// panic on what the database holds.
    pub fn clamped(
        desired_retention: f64,
        new_per_day: i64,
        max_reviews_per_day: i64,
        timezone: String,
        rollover_hour: i64,
    ) -> LearnerSettings {
        let retention = if desired_retention.is_finite() {
            desired_retention.clamp(*RETENTION.start(), *RETENTION.end())
        } else {
            0.9
        };
        let clamp = |v: i64, r: RangeInclusive<i64>| v.clamp(*r.start(), *r.end());
        let timezone = if timezone.parse::<chrono_tz::Tz>().is_ok() {
            timezone
        } else {
            "Asia/Shanghai".to_string()
        };
        LearnerSettings {
            desired_retention: retention,
            new_per_day: clamp(new_per_day, NEW_PER_DAY),
            max_reviews_per_day: clamp(max_reviews_per_day, MAX_REVIEWS_PER_DAY),
            timezone,
            rollover_hour: clamp(rollover_hour, ROLLOVER_HOUR),
            has_personal_params: false,
        }
    }

    /// The scheduler's view, with personal parameters (empty: the defaults).
    pub fn prefs(&self, params: Vec<f32>) -> Prefs {
        Prefs {
            desired_retention: self.desired_retention as f32,
            // In bounds, hence non-negative and small.
            new_per_day: self.new_per_day.unsigned_abs() as u32,
            max_reviews_per_day: self.max_reviews_per_day.unsigned_abs() as u32,
            tz: self.timezone.parse().unwrap_or(chrono_tz::Asia::Shanghai),
            rollover_hour: self.rollover_hour.unsigned_abs() as u32,
            max_interval_days: crate::scheduler::DEFAULT_MAX_INTERVAL_DAYS,
            params,
            extra_new: (0, 0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outside_values_are_checked_and_stored_ones_clamped_to_the_same_bounds() {
        assert!(LearnerSettings::new(0.9, 5, 50, "Asia/Shanghai", 4).is_ok());
        for bad in [
            LearnerSettings::new(0.99, 5, 50, "UTC", 4),
            LearnerSettings::new(f64::NAN, 5, 50, "UTC", 4),
            LearnerSettings::new(0.9, 51, 50, "UTC", 4),
            LearnerSettings::new(0.9, 5, 0, "UTC", 4),
            LearnerSettings::new(0.9, 5, 50, "Mars/Base", 4),
            LearnerSettings::new(0.9, 5, 50, "UTC", 24),
        ] {
            assert!(bad.is_err(), "{bad:?}");
        }
        let s = LearnerSettings::clamped(5.0, i64::MAX, i64::MIN, "nowhere".into(), -3);
        let checked = LearnerSettings::new(
            s.desired_retention,
            s.new_per_day,
            s.max_reviews_per_day,
            &s.timezone,
            s.rollover_hour,
        );
        assert_eq!(checked, Ok(s));
    }
}
