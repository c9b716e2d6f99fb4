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

/// Longest history an FSRS item may hold. fsrs trains only on items of at most this many
/// reviews (its `max_seq_len`, 256 by default) and drops longer ones, so building them would only
/// cost memory: an item per review holding the history before it is quadratic in the history.
pub const MAX_SEQ_LEN: usize = 256;

/// Each item's reviews with day deltas, oldest first, grouped by item (in item order). Linear in
/// the log: one review per entry.
fn grouped(entries: &[Entry], prefs: &Prefs) -> Vec<Vec<(i64, FSRSReview)>> {
    let mut by_item: BTreeMap<&str, Vec<&Entry>> = BTreeMap::new();
    for e in entries.iter().filter(|e| (1..=4).contains(&e.rating)) {
        by_item.entry(&e.item).or_default().push(e);
    }
    by_item
        .into_values()
        .map(|mut list| {
            list.sort_by_key(|e| e.time);
            let mut last_day = None;
            list.into_iter()
                .map(|e| {
                    let day = prefs.day_index(e.time);
                    let delta_t = last_day.map(|d: i64| (day - d).max(0) as u32).unwrap_or(0);
                    last_day = Some(day);
                    let review = FSRSReview {
                        rating: u32::from(e.rating),
                        delta_t,
                    };
                    (e.time, review)
                })
                .collect()
        })
        .collect()
}

/// One FSRS item per review after the first, with the time of its last review, oldest first,
/// for reviews among the first [`MAX_SEQ_LEN`] of their item (the ones fsrs can train on). At most
/// `MAX_SEQ_LEN` reviews are kept per item built, so memory is linear in the log.
pub fn to_items(entries: &[Entry], prefs: &Prefs) -> Vec<(i64, FSRSItem)> {
    let mut out = Vec::new();
    for list in grouped(entries, prefs) {
        let reviews: Vec<FSRSReview> = list.iter().map(|(_, r)| *r).collect();
        for (n, (time, _)) in list.iter().enumerate().take(MAX_SEQ_LEN).skip(1) {
            out.push((
                *time,
                FSRSItem {
                    reviews: reviews[..=n].to_vec(),
                },
            ));
        }
    }
    out.sort_by_key(|(t, _)| *t);
    out
}

/// Each item's whole history as one FSRS item, in item order: the input of
/// [`fsrs_predictions_by_history`], which evaluates every review in one pass.
pub fn histories(entries: &[Entry], prefs: &Prefs) -> Vec<FSRSItem> {
    grouped(entries, prefs)
        .into_iter()
        .filter(|list| list.len() >= 2)
        .map(|list| FSRSItem {
            reviews: list.into_iter().map(|(_, r)| r).collect(),
        })
        .collect()
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

/// FSRS's predicted recall for every review after the first of each history: the same numbers
/// as [`fsrs_predictions`] over every prefix, but in one pass per history, since the memory state
/// is a fold over the reviews. Linear in the log instead of quadratic.
pub fn fsrs_predictions_by_history(
    fsrs: &FSRS,
    decay: f32,
    histories: &[FSRSItem],
) -> Vec<(f32, bool)> {
    let mut out = Vec::new();
    for h in histories {
        // The states after each review; an invalid state anywhere leaves this history out,
        // as it left out the prefixes that reached it.
        let Ok(states) = fsrs.historical_memory_states(h.clone(), None) else {
            continue;
        };
        for (state, next) in states.iter().zip(h.reviews.iter().skip(1)) {
            let r = fsrs::current_retrievability(*state, next.delta_t as f32, decay);
            out.push((r.clamp(0.0001, 0.9999), next.rating > 1));
        }
    }
    out
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

    /// A log of `n` reviews of one item, a day or two apart, mostly right.
    fn long_log(n: i64) -> Vec<Entry> {
        (0..n)
            .map(|i| e("a", if i % 7 == 3 { 1 } else { 3 }, i + i / 2))
            .collect()
    }

    #[test]
    fn predictions_by_history_match_the_prefix_predictions() {
        let mut log = long_log(60);
        log.extend((0..30).map(|i| e("b", if i % 4 == 0 { 2 } else { 4 }, 3 * i)));
        let prefs = Prefs::default();
        let fsrs = FSRS::default();
        let decay = fsrs::DEFAULT_PARAMETERS[20];
        // Both histories are short enough that no prefix is capped; the two lists come in
        // different orders, so they are compared sorted.
        let items: Vec<FSRSItem> = to_items(&log, &prefs).into_iter().map(|(_, i)| i).collect();
        let mut by_prefix = fsrs_predictions(&fsrs, decay, &items);
        let mut by_history = fsrs_predictions_by_history(&fsrs, decay, &histories(&log, &prefs));
        assert_eq!(by_prefix.len(), 59 + 29);
        assert_eq!(by_history.len(), by_prefix.len());
        let key = |p: &(f32, bool)| (p.0.to_bits(), p.1);
        by_prefix.sort_by_key(key);
        by_history.sort_by_key(key);
        for (a, b) in by_prefix.iter().zip(&by_history) {
            assert!((a.0 - b.0).abs() < 1e-5 && a.1 == b.1, "{a:?} vs {b:?}");
        }
    }

    /// H1 (security review 2026-11-29): one item per review holding a copy of the whole history
    /// before it made the optimiser quadratic (3 GB for 20,000 reviews of one concept). The
    /// training items now hold at most MAX_SEQ_LEN reviews each and only the first MAX_SEQ_LEN
    /// reviews of an item make one; evaluation folds each history once.
    #[test]
    fn h1_optimiser_memory_is_linear_in_history() {
        let prefs = Prefs::default();
        for n in [2_000, 20_000] {
            let log = long_log(n);
            let items = to_items(&log, &prefs);
            let held: usize = items.iter().map(|(_, i)| i.reviews.len()).sum();
            assert!(items.len() < MAX_SEQ_LEN, "{} items for {n}", items.len());
            assert!(
                held <= MAX_SEQ_LEN * MAX_SEQ_LEN / 2 + MAX_SEQ_LEN,
                "{held} for {n}"
            );
            let h = histories(&log, &prefs);
            assert_eq!(h.iter().map(|i| i.reviews.len()).sum::<usize>(), n as usize);
            let preds =
                fsrs_predictions_by_history(&FSRS::default(), fsrs::DEFAULT_PARAMETERS[20], &h);
            assert_eq!(preds.len(), n as usize - 1);
        }
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
        // Two reviews rated 3: the second one day after the first, or ten days.
        let item = |gap| FSRSItem {
            reviews: [0, gap]
                .map(|delta_t| FSRSReview { rating: 3, delta_t })
                .to_vec(),
        };
        let (on_time, late) = (item(1), item(10));
        let p = sm2_predictions(&[on_time, late]);
        assert!((p[0].0 - 0.9).abs() < 1e-4);
        assert!(p[1].0 < p[0].0);
    }
}
