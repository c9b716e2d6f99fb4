//! Comparison at equal retention (`paperdeck lab --equal-retention SCHEDULER`): a scheduler's
//! review count means little next to another's unless both reach the same retention. Each swept
//! scheduler's targets trace a frontier of (retention, reviews) points; the reviews another
//! scheduler would need are read off that frontier, linearly between the two targets that
//! bracket the reference's retention. Pure.

use super::memory::Model;
use super::{Kind, Row};
use serde::Serialize;

/// The reviews on the frontier `points` (retention, reviews per learner) at retention `level`,
/// linear between the two points that bracket it; `None` when no two points do (and no point
/// sits exactly on it), since extrapolating a frontier says nothing reliable.
pub fn interpolate(points: &[(f64, f64)], level: f64) -> Option<f64> {
    let mut sorted = points.to_vec();
    sorted.sort_by(|a, b| a.0.total_cmp(&b.0));
    if let Some(p) = sorted.iter().find(|p| (p.0 - level).abs() < 1e-12) {
        return Some(p.1);
    }
    sorted.windows(2).find_map(|w| {
        let ((r0, n0), (r1, n1)) = (w[0], w[1]);
        (r0 < level && level < r1).then(|| n0 + (n1 - n0) * (level - r0) / (r1 - r0))
    })
}

/// The reference point: the scheduler matched to, at its first target.
#[derive(Debug, Clone, Serialize)]
pub struct MatchedTo {
    pub scheduler: &'static str,
    pub target: Option<f64>,
    pub reviews_per_learner: f64,
    pub retention_day180: f64,
    pub mean_retention: f64,
}

/// One scheduler matched to the reference, at one (memory model, ρ).
#[derive(Debug, Clone, Serialize)]
pub struct Matched {
    pub memory: Model,
    pub rho: f64,
    pub scheduler: &'static str,
    pub matched_to: MatchedTo,
    /// Reviews per learner at the reference's day-180 retention; `null` when this scheduler's
    /// targets do not bracket it.
    pub reviews_at_day180: Option<f64>,
    /// Reviews per learner at the reference's mean retention over days 30–365.
    pub reviews_at_mean: Option<f64>,
    /// The retention range this scheduler's targets cover on day 180 and on the mean.
    pub day180_range: (f64, f64),
    pub mean_range: (f64, f64),
}

impl Matched {
    /// The change in reviews against the reference, as a fraction (−0.2 = 20% fewer).
    pub fn change(&self, reviews: Option<f64>) -> Option<f64> {
        let base = self.matched_to.reviews_per_learner;
        reviews.filter(|_| base > 0.0).map(|n| n / base - 1.0)
    }
}

fn day180(r: &Row) -> f64 {
    r.retention.get(&180).copied().unwrap_or(0.0)
}

fn range(points: &[(f64, f64)]) -> (f64, f64) {
    let lo = points.iter().map(|p| p.0).fold(f64::INFINITY, f64::min);
    let hi = points.iter().map(|p| p.0).fold(f64::NEG_INFINITY, f64::max);
    (lo, hi)
}

/// For every (memory model, ρ) in `rows`, every scheduler other than `reference` matched to
/// the reference's first target.
pub fn compare(rows: &[Row], reference: Kind) -> Vec<Matched> {
    let mut out = Vec::new();
    for (model, rho) in super::distinct_groups(rows) {
        let group: Vec<&Row> = rows
            .iter()
            .filter(|r| r.memory == model && r.rho == rho)
            .collect();
        let Some(base) = group.iter().find(|r| r.scheduler == reference.short()) else {
            continue;
        };
        let matched_to = MatchedTo {
            scheduler: base.scheduler,
            target: base.target,
            reviews_per_learner: base.reviews_per_learner,
            retention_day180: day180(base),
            mean_retention: base.mean_retention,
        };
        let mut schedulers: Vec<&'static str> = Vec::new();
        for r in &group {
            if r.scheduler != reference.short() && !schedulers.contains(&r.scheduler) {
                schedulers.push(r.scheduler);
            }
        }
        for s in schedulers {
            let mine: Vec<&&Row> = group.iter().filter(|r| r.scheduler == s).collect();
            let at180: Vec<(f64, f64)> = mine
                .iter()
                .map(|r| (day180(r), r.reviews_per_learner))
                .collect();
            let at_mean: Vec<(f64, f64)> = mine
                .iter()
                .map(|r| (r.mean_retention, r.reviews_per_learner))
                .collect();
            out.push(Matched {
                memory: model,
                rho,
                scheduler: s,
                reviews_at_day180: interpolate(&at180, matched_to.retention_day180),
                reviews_at_mean: interpolate(&at_mean, matched_to.mean_retention),
                day180_range: range(&at180),
                mean_range: range(&at_mean),
                matched_to: matched_to.clone(),
            });
        }
    }
    out
}

/// The equal-retention comparison as a text table, one block per (memory model, ρ).
pub fn table(matched: &[Matched]) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    // A new block for each (memory, ρ, reference): several references may follow each other.
    let mut last: Option<(Model, f64, String)> = None;
    let pct = |v: f64| format!("{:.1}%", v * 100.0);
    for m in matched {
        let key = (m.memory, m.rho, m.matched_to.scheduler.to_string());
        if last.as_ref() != Some(&key) {
            last = Some(key);
            let b = &m.matched_to;
            let _ = writeln!(
                out,
                "\nmemory {}, ρ = {}: at {}{}'s retention ({} on day 180, {} mean over days 30–365, {:.0} reviews)",
                m.memory.short(),
                m.rho,
                b.scheduler,
                b.target.map_or_else(String::new, |t| format!(" {t}")),
                pct(b.retention_day180),
                pct(b.mean_retention),
                b.reviews_per_learner
            );
            let _ = writeln!(
                out,
                "{:<15} {:>13} {:>8} {:>13} {:>8}  {:<17} {:<17}",
                "scheduler",
                "reviews@d180",
                "vs ref",
                "reviews@mean",
                "vs ref",
                "d180 swept",
                "mean swept"
            );
        }
        let n = |v: Option<f64>| v.map_or_else(|| "outside".into(), |n| format!("{n:.0}"));
        let ch = |v: Option<f64>| {
            m.change(v)
                .map_or_else(|| "-".into(), |c| format!("{:+.1}%", c * 100.0))
        };
        let span = |(lo, hi): (f64, f64)| format!("{}–{}", pct(lo), pct(hi));
        let _ = writeln!(
            out,
            "{:<15} {:>13} {:>8} {:>13} {:>8}  {:<17} {:<17}",
            m.scheduler,
            n(m.reviews_at_day180),
            ch(m.reviews_at_day180),
            n(m.reviews_at_mean),
            ch(m.reviews_at_mean),
            span(m.day180_range),
            span(m.mean_range)
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interpolation_reads_a_hand_computed_frontier() {
        // Targets giving (retention, reviews): (0.80, 1000), (0.90, 1500), (0.95, 2500),
        // listed out of order. At 0.92: 1500 + (2500 − 1500) × 0.02 / 0.05 = 1900.
        let frontier = [(0.95, 2500.0), (0.80, 1000.0), (0.90, 1500.0)];
        assert!((interpolate(&frontier, 0.92).unwrap_or(0.0) - 1900.0).abs() < 1e-9);
        // At 0.85: halfway between the first two, 1250.
        assert!((interpolate(&frontier, 0.85).unwrap_or(0.0) - 1250.0).abs() < 1e-9);
        // On a point: that point.
        assert_eq!(interpolate(&frontier, 0.90), Some(1500.0));
        // Outside the swept range: no number rather than an extrapolated one.
        assert_eq!(interpolate(&frontier, 0.97), None);
        assert_eq!(interpolate(&frontier, 0.70), None);
        // A single target only matches its own retention.
        assert_eq!(interpolate(&[(0.9, 700.0)], 0.91), None);
    }

    #[test]
    fn the_table_keeps_its_columns_for_the_longest_scheduler_name() {
        let matched_to = MatchedTo {
            scheduler: "orbit",
            target: None,
            reviews_per_learner: 2000.0,
            retention_day180: 0.9,
            mean_retention: 0.9,
        };
        let row = |scheduler: &'static str| Matched {
            memory: Model::Fsrs,
            rho: 0.5,
            scheduler,
            matched_to: matched_to.clone(),
            reviews_at_day180: Some(1600.0),
            reviews_at_mean: None,
            day180_range: (0.8, 0.95),
            mean_range: (0.8, 0.95),
        };
        let text = table(&[row("paperdeck-cards"), row("sm2")]);
        // Where each row's first number ends: the same column in every row, header included.
        let ends: Vec<usize> = text
            .lines()
            .filter(|l| {
                l.starts_with("paperdeck-cards")
                    || l.starts_with("sm2")
                    || l.starts_with("scheduler")
            })
            .map(|l| {
                let cols: Vec<char> = l.chars().collect();
                let first_gap = cols.iter().position(|c| *c == ' ').unwrap_or(0);
                let start = first_gap
                    + cols[first_gap..]
                        .iter()
                        .position(|c| *c != ' ')
                        .unwrap_or(0);
                start + cols[start..].iter().position(|c| *c == ' ').unwrap_or(0)
            })
            .collect();
        assert_eq!(ends.len(), 3, "{text}");
        assert!(ends.iter().all(|e| *e == ends[0]), "{ends:?}\n{text}");
    }
}
