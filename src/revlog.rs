//! Review logs as FSRS training data, and the metrics used to compare schedulers. Pure.
//!
//! A log is a list of (item, rating, time). Items are grouped, sorted by time, and turned into
//! FSRS items the way Anki does: one item per review after the first, holding the history up
//! to and including that review, with `delta_t` counted in the learner's days.

use crate::scheduler::Prefs;
use fsrs::{FSRSItem, FSRSReview, FSRS};
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub item: String,
    pub rating: u8,
    pub time: i64,
}

/// One FSRS item per review after the first, with the time of its last review, oldest first.
pub fn to_items(entries: &[Entry], prefs: &Prefs) -> Vec<(i64, FSRSItem)> {
    let mut by_item: BTreeMap<&str, Vec<&Entry>> = BTreeMap::new();
    for e in entries.iter().filter(|e| (1..=4).contains(&e.rating)) {
        by_item.entry(&e.item).or_default().push(e);
    }
    let mut out = Vec::new();
    for (_, mut list) in by_item {
        list.sort_by_key(|e| e.time);
        let mut reviews = Vec::with_capacity(list.len());
        let mut last_day = None;
        for e in list {
            let day = prefs.day_index(e.time);
            let delta_t = last_day.map(|d: i64| (day - d).max(0) as u32).unwrap_or(0);
            last_day = Some(day);
            reviews.push(FSRSReview {
                rating: u32::from(e.rating),
                delta_t,
            });
            if reviews.len() >= 2 {
                out.push((
                    e.time,
                    FSRSItem {
                        reviews: reviews.clone(),
                    },
                ));
            }
        }
    }
    out.sort_by_key(|(t, _)| *t);
    out
}

/// Items whose target review was a long-term one (at least a day after the previous): the ones
/// a day-based scheduler is judged on.
pub fn long_term(items: Vec<(i64, FSRSItem)>) -> Vec<(i64, FSRSItem)> {
    items
        .into_iter()
        .filter(|(_, i)| i.reviews.last().is_some_and(|r| r.delta_t > 0))
        .collect()
}

/// Items the optimiser accepts: it requires at least one review a day or more after another
/// (and panics otherwise), so same-day-only histories are left out of training.
pub fn trainable(items: Vec<FSRSItem>) -> Vec<FSRSItem> {
    items
        .into_iter()
        .filter(|i| i.reviews.iter().any(|r| r.delta_t > 0))
        .collect()
}

/// FSRS's predicted recall for the last review of each item.
pub fn fsrs_predictions(fsrs: &FSRS, decay: f32, items: &[FSRSItem]) -> Vec<(f32, bool)> {
    items
        .iter()
        .filter_map(|item| {
            let (last, history) = item.reviews.split_last()?;
            let state = fsrs
                .memory_state(
                    FSRSItem {
                        reviews: history.to_vec(),
                    },
                    None,
                )
                .ok()?;
            let r = fsrs::current_retrievability(state, last.delta_t as f32, decay);
            Some((r.clamp(0.0001, 0.9999), last.rating > 1))
        })
        .collect()
}

/// SM-2 as a baseline: replays the classic algorithm over the history and predicts recall at
/// the last review as 0.9^(elapsed / scheduled interval), i.e. SM-2 read as aiming for 90% at
/// the end of each interval.
pub fn sm2_predictions(items: &[FSRSItem]) -> Vec<(f32, bool)> {
    items
        .iter()
        .filter_map(|item| {
            let (last, history) = item.reviews.split_last()?;
            let mut ef = 2.5f32;
            let mut interval = 0f32;
            let mut reps = 0u32;
            for r in history {
                let q = match r.rating {
                    1 => 1.0,
                    2 => 3.0,
                    3 => 4.0,
                    _ => 5.0,
                };
                if q < 3.0 {
                    reps = 0;
                    interval = 1.0;
                } else {
                    reps += 1;
                    interval = match reps {
                        1 => 1.0,
                        2 => 6.0,
                        _ => (interval * ef).max(1.0),
                    };
                }
                ef = (ef + 0.1 - (5.0 - q) * (0.08 + (5.0 - q) * 0.02)).max(1.3);
            }
            let interval = interval.max(1.0);
            let r = 0.9f32.powf(last.delta_t as f32 / interval);
            Some((r.clamp(0.0001, 0.9999), last.rating > 1))
        })
        .collect()
}

/// Log loss and RMSE over 20 equal-width bins of predicted recall (each bin's mean prediction
/// against its observed recall rate, weighted by its size).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Metrics {
    pub log_loss: f64,
    pub rmse_bins: f64,
    pub n: usize,
}

pub fn metrics(preds: &[(f32, bool)]) -> Option<Metrics> {
    if preds.is_empty() {
        return None;
    }
    let n = preds.len() as f64;
    let log_loss = preds
        .iter()
        .map(|(p, y)| {
            let p = f64::from(*p);
            if *y {
                -p.ln()
            } else {
                -(1.0 - p).ln()
            }
        })
        .sum::<f64>()
        / n;
    let mut bins = [(0f64, 0f64, 0f64); 20];
    for (p, y) in preds {
        let b = ((f64::from(*p) * 20.0) as usize).min(19);
        bins[b].0 += f64::from(*p);
        bins[b].1 += f64::from(u8::from(*y));
        bins[b].2 += 1.0;
    }
    let sq: f64 = bins
        .iter()
        .filter(|b| b.2 > 0.0)
        .map(|(p, y, c)| c * (p / c - y / c).powi(2))
        .sum();
    Some(Metrics {
        log_loss,
        rmse_bins: (sq / n).sqrt(),
        n: preds.len(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(item: &str, rating: u8, day: i64) -> Entry {
        // noon in Shanghai on day `day` after 2026-01-01
        Entry {
            item: item.into(),
            rating,
            time: 1_767_225_600 + 4 * 3600 + day * 86_400,
        }
    }

    #[test]
    fn items_are_prefixes_with_day_deltas() {
        let log = vec![e("a", 3, 0), e("a", 3, 2), e("b", 1, 1), e("a", 1, 9)];
        let items = to_items(&log, &Prefs::default());
        assert_eq!(items.len(), 2);
        let last = &items[1].1.reviews;
        assert_eq!(
            last.iter()
                .map(|r| (r.rating, r.delta_t))
                .collect::<Vec<_>>(),
            vec![(3, 0), (3, 2), (1, 7)]
        );
    }

    #[test]
    fn metrics_of_perfect_and_poor_predictions() {
        let good = metrics(&[(0.9999, true), (0.0001, false)]).unwrap();
        assert!(good.log_loss < 0.001 && good.rmse_bins < 0.001);
        let poor = metrics(&[(0.0001, true), (0.9999, false)]).unwrap();
        assert!(poor.log_loss > 5.0 && poor.rmse_bins > 0.99);
        assert!(metrics(&[]).is_none());
    }

    #[test]
    fn sm2_predicts_lower_recall_when_overdue() {
        let on_time = FSRSItem {
            reviews: vec![
                FSRSReview {
                    rating: 3,
                    delta_t: 0,
                },
                FSRSReview {
                    rating: 3,
                    delta_t: 1,
                },
            ],
        };
        let late = FSRSItem {
            reviews: vec![
                FSRSReview {
                    rating: 3,
                    delta_t: 0,
                },
                FSRSReview {
                    rating: 3,
                    delta_t: 10,
                },
            ],
        };
        let p = sm2_predictions(&[on_time, late]);
        assert!((p[0].0 - 0.9).abs() < 1e-4);
        assert!(p[1].0 < p[0].0);
    }
}
