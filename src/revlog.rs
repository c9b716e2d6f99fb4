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

/// Whether an item's target (last) review was a long-term one: a day or more after the review
/// before it.
fn is_long_term(item: &FSRSItem) -> bool {
    item.reviews.last().is_some_and(|r| r.delta_t > 0)
}

/// Items whose target review was a long-term one (at least a day after the previous): the ones
/// a day-based scheduler is judged on, and the ones srs-benchmark cuts its folds over.
pub fn long_term(items: Vec<(i64, FSRSItem)>) -> Vec<(i64, FSRSItem)> {
    items.into_iter().filter(|(_, i)| is_long_term(i)).collect()
}

/// The optimiser's training set: the long-term items, as fsrs's own converter (and Anki's)
/// builds it. An item whose target is a same-day answer would teach the optimiser to predict
/// same-day steps, which FSRS scores as certain recall; its reviews still count as history in
/// the long-term items after it. Every item kept has a review a day or more after another, which
/// the optimiser requires.
pub fn training_set(items: Vec<(i64, FSRSItem)>) -> Vec<FSRSItem> {
    long_term(items).into_iter().map(|(_, i)| i).collect()
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

/// SM-2's state after replaying a history: (repetitions, interval in days, easiness factor).
/// Only the first review and the long-term ones (a day or more after the one before) are
/// replayed, as srs-benchmark does: same-day learning steps are not SM-2 repetitions, so a card
/// answered Again, Good, Good on its first day is at repetition 0 with a 1-day interval, not at
/// repetition 2 with 6 days.
pub fn sm2_state(history: &[FSRSReview]) -> (u32, f32, f32) {
    let mut ef = 2.5f32;
    let mut interval = 0f32;
    let mut reps = 0u32;
    let replayed = history
        .iter()
        .enumerate()
        .filter(|(n, r)| *n == 0 || r.delta_t > 0);
    for (_, r) in replayed {
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
    (reps, interval, ef)
}

/// SM-2 as a baseline: replays the classic algorithm over the history's first and long-term
/// reviews ([`sm2_state`]) and predicts recall at the last review as
/// 0.9^(elapsed / scheduled interval), i.e. SM-2 read as aiming for 90% at the end of each
/// interval.
pub fn sm2_predictions(items: &[FSRSItem]) -> Vec<(f32, bool)> {
    items
        .iter()
        .filter_map(|item| {
            let (last, history) = item.reviews.split_last()?;
            let interval = sm2_state(history).1.max(1.0);
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

/// One prediction with what srs-benchmark bins it by: the days since the previous review, the
/// review's number among its item's long-term reviews (the first review is 1, and each review a
/// day or more after the one before adds one; same-day steps do not), and the lapses before it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scored {
    pub p: f32,
    pub y: bool,
    pub delta_t: u32,
    pub i: usize,
    pub lapses: u32,
}

impl Scored {
    /// The features of an item's last review, with prediction `p`.
    pub fn of(item: &FSRSItem, p: f32) -> Option<Scored> {
        let (last, history) = item.reviews.split_last()?;
        // srs-benchmark counts a lapse as an Again a day or more after the review before (the
        // first review's delta is 0 and so never counts).
        let lapses = history
            .iter()
            .filter(|r| r.delta_t > 0 && r.rating == 1)
            .count() as u32;
        Some(Scored {
            p,
            y: last.rating > 1,
            delta_t: last.delta_t,
            // fsrs's `long_term_review_cnt() + 1`, srs-benchmark's review number once
            // same-day reviews are left out.
            i: 1 + item.reviews.iter().filter(|r| r.delta_t > 0).count(),
            lapses,
        })
    }
}

/// srs-benchmark's bin of a value: `round(a · b^floor(log_b x))`, to `digits` decimals.
fn log_bin(x: f64, a: f64, b: f64, digits: i32) -> f64 {
    let scale = 10f64.powi(digits);
    (a * b.powf((x.ln() / b.ln()).floor()) * scale).round() / scale
}

/// RMSE(bins) as open-spaced-repetition/srs-benchmark defines it (`rmse_matrix` in its
/// `utils.py`): reviews are grouped by (days since the last review binned as 2.48 · 3.62^k,
/// review number binned as 1.99 · 1.89^k, lapses binned as 1.65 · 1.73^k or 0); the RMSE is
/// between each group's mean outcome and mean prediction, weighted by group size.
pub fn rmse_bins_benchmark(preds: &[Scored]) -> Option<f64> {
    if preds.is_empty() {
        return None;
    }
    let mut groups: BTreeMap<(i64, i64, i64), (f64, f64, f64)> = BTreeMap::new();
    for s in preds {
        let dt = log_bin(f64::from(s.delta_t).max(1e-6), 2.48, 3.62, 2);
        let i = log_bin(s.i.max(1) as f64, 1.99, 1.89, 0);
        let lapse = if s.lapses == 0 {
            0.0
        } else {
            log_bin(f64::from(s.lapses), 1.65, 1.73, 0)
        };
        let key = ((dt * 100.0).round() as i64, i as i64, lapse as i64);
        let g = groups.entry(key).or_default();
        g.0 += f64::from(u8::from(s.y));
        g.1 += f64::from(s.p);
        g.2 += 1.0;
    }
    let (sq, n) = groups.values().fold((0.0, 0.0), |(sq, n), (y, p, c)| {
        (sq + c * (y / c - p / c).powi(2), n + c)
    });
    Some((sq / n).sqrt())
}

/// Log loss and srs-benchmark's RMSE(bins) of a set of predictions.
pub fn benchmark_metrics(preds: &[Scored]) -> Option<Metrics> {
    let pairs: Vec<(f32, bool)> = preds.iter().map(|s| (s.p, s.y)).collect();
    let m = metrics(&pairs)?;
    Some(Metrics {
        rmse_bins: rmse_bins_benchmark(preds)?,
        ..m
    })
}

/// Where each fold's test part starts and ends in a log of `n` items: scikit-learn's
/// `TimeSeriesSplit(n_splits = k)`, which srs-benchmark uses. The log is cut into k + 1 parts of
/// `n / (k + 1)` items (the first takes the remainder); fold j fits on everything before part
/// j + 1 and is tested on that part.
pub fn time_series_folds(n: usize, k: usize) -> Vec<std::ops::Range<usize>> {
    let size = n / (k + 1);
    if k == 0 || size == 0 {
        return Vec::new();
    }
    let first = n - k * size;
    (0..k)
        .map(|j| first + j * size..first + (j + 1) * size)
        .collect()
}

/// The rows of `evaluate --folds`: per scheduler, log loss and RMSE(bins) over the test parts
/// of all folds together. `items` are in time order; `fit` fits FSRS parameters to a training
/// set (None when it cannot). As in srs-benchmark and fsrs's converter, only the long-term items
/// count ([`long_term`]): the folds are cut over them, each fold is fitted on the long-term items
/// before its test part and scored on those in it. Same-day reviews stay in the histories.
pub fn evaluate_folds(
    items: &[(i64, FSRSItem)],
    k: usize,
    fit: &mut dyn FnMut(Vec<FSRSItem>) -> Option<Vec<f32>>,
    mut progress: impl FnMut(usize),
) -> Vec<(String, Option<Metrics>)> {
    let items = training_set(items.to_vec());
    let default_decay = fsrs::DEFAULT_PARAMETERS[20];
    let mut rows = FoldRows::default();
    let mut fitted_folds = 0;
    let folds = time_series_folds(items.len(), k);
    for (j, range) in folds.iter().enumerate() {
        let params = fit(items[..range.start].to_vec());
        // A fold whose training part cannot be fitted keeps the defaults, as the optimiser on
        // /settings does; the row's name says how many folds that was.
        let fitted = params.as_ref().and_then(|p| {
            Some((
                FSRS::new(p).ok()?,
                p.get(20).copied().unwrap_or(default_decay),
            ))
        });
        if fitted.is_some() {
            fitted_folds += 1;
        }
        rows.score(&items[range.clone()], fitted.as_ref());
        progress(j + 1);
    }
    let fitted_name = if fitted_folds == folds.len() {
        "FSRS-6, fitted on the earlier folds".to_string()
    } else {
        format!(
            "FSRS-6, fitted ({fitted_folds} of {} folds could be fitted)",
            folds.len()
        )
    };
    vec![
        (
            "FSRS-6, default parameters".to_string(),
            benchmark_metrics(&rows.default),
        ),
        (fitted_name, benchmark_metrics(&rows.fitted)),
        ("SM-2 baseline".to_string(), benchmark_metrics(&rows.sm2)),
    ]
}

/// The predictions of [`evaluate_folds`]'s three rows so far.
#[derive(Default)]
struct FoldRows {
    default: Vec<Scored>,
    fitted: Vec<Scored>,
    sm2: Vec<Scored>,
}

impl FoldRows {
    /// Scores one fold's test items by the defaults, the fold's fitted parameters (the defaults
    /// when none could be fitted) and SM-2.
    fn score(&mut self, test: &[FSRSItem], fitted: Option<&(FSRS, f32)>) {
        let default_decay = fsrs::DEFAULT_PARAMETERS[20];
        let default = FSRS::default();
        let (fitted_fsrs, fitted_decay) = match fitted {
            Some((f, d)) => (f, *d),
            None => (&default, default_decay),
        };
        for item in test {
            let one = std::slice::from_ref(item);
            // An item is scored only if every model can predict it, so the rows compare alike.
            let (Some(pd), Some(pf), Some(ps)) = (
                fsrs_predictions(&default, default_decay, one).pop(),
                fsrs_predictions(fitted_fsrs, fitted_decay, one).pop(),
                sm2_predictions(one).pop(),
            ) else {
                continue;
            };
            self.default.extend(Scored::of(item, pd.0));
            self.fitted.extend(Scored::of(item, pf.0));
            self.sm2.extend(Scored::of(item, ps.0));
        }
    }
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

    #[test]
    fn folds_split_like_scikit_learns_time_series_split() {
        assert_eq!(time_series_folds(10, 2), vec![4..7, 7..10]);
        assert_eq!(
            time_series_folds(12, 5),
            vec![2..4, 4..6, 6..8, 8..10, 10..12]
        );
        assert_eq!(time_series_folds(6, 5).len(), 5);
        assert!(time_series_folds(5, 5).is_empty());
        assert!(time_series_folds(100, 0).is_empty());
    }

    fn scored(p: f32, y: bool, delta_t: u32, i: usize, lapses: u32) -> Scored {
        Scored {
            p,
            y,
            delta_t,
            i,
            lapses,
        }
    }

    #[test]
    fn benchmark_bins_and_metrics_match_hand_computed_values() {
        // Bins: days 1 and 3 share 2.48, days 4 and 10 share 2.48 × 3.62 = 8.98, day 14 is in
        // 32.5; review numbers 2 and 3 share round(1.99 × 1.89) = 4, 4 is in 7; one lapse is
        // round(1.65) = 2, two are round(2.85) = 3.
        assert_eq!(log_bin(1.0, 2.48, 3.62, 2), 2.48);
        assert_eq!(log_bin(3.0, 2.48, 3.62, 2), 2.48);
        assert_eq!(log_bin(4.0, 2.48, 3.62, 2), 8.98);
        assert_eq!(log_bin(10.0, 2.48, 3.62, 2), 8.98);
        assert_eq!(log_bin(14.0, 2.48, 3.62, 2), 32.5);
        assert_eq!(log_bin(2.0, 1.99, 1.89, 0), 4.0);
        assert_eq!(log_bin(3.0, 1.99, 1.89, 0), 4.0);
        assert_eq!(log_bin(4.0, 1.99, 1.89, 0), 7.0);
        assert_eq!(log_bin(1.0, 1.65, 1.73, 0), 2.0);
        assert_eq!(log_bin(2.0, 1.65, 1.73, 0), 3.0);
        // Two reviews in one bin (mean outcome 0.5, mean prediction 0.8) and one in another
        // (1 against 0.6): RMSE = √((2 · 0.3² + 1 · 0.4²) / 3) = √(0.34 / 3) ≈ 0.336650.
        let preds = [
            scored(0.9, true, 1, 2, 0),
            scored(0.7, false, 3, 3, 0),
            scored(0.6, true, 10, 2, 0),
        ];
        let rmse = rmse_bins_benchmark(&preds).unwrap();
        assert!((rmse - (0.34f64 / 3.0).sqrt()).abs() < 1e-6, "{rmse}");
        assert!((rmse - 0.336650).abs() < 1e-6);
        // Log loss = −(ln 0.9 + ln 0.3 + ln 0.6) / 3 ≈ 0.606720.
        let m = benchmark_metrics(&preds).unwrap();
        assert!((m.log_loss - 0.606720).abs() < 1e-5, "{}", m.log_loss);
        assert_eq!(m.n, 3);
        // A lapse puts a review in a bin of its own: 0.5 against 0 alone adds 0.25.
        let mut more = preds.to_vec();
        more.push(scored(0.5, false, 1, 2, 1));
        let rmse = rmse_bins_benchmark(&more).unwrap();
        assert!((rmse - (0.59f64 / 4.0).sqrt()).abs() < 1e-6, "{rmse}");
        assert!(rmse_bins_benchmark(&[]).is_none());
    }

    #[test]
    fn scored_features_count_only_spaced_lapses() {
        let r = |rating, delta_t| FSRSReview { rating, delta_t };
        let item = FSRSItem {
            reviews: vec![r(1, 0), r(1, 5), r(3, 0), r(1, 4)],
        };
        let s = Scored::of(&item, 0.8).unwrap();
        // Review number: the first review and the two long-term ones; the same-day one is not
        // counted.
        assert_eq!(s, scored(0.8, false, 4, 3, 1));
    }

    fn reviews(list: &[(u32, u32)]) -> Vec<FSRSReview> {
        list.iter()
            .map(|&(rating, delta_t)| FSRSReview { rating, delta_t })
            .collect()
    }

    /// Audit 2026-12-06 §6.2: the review number `i` counts long-term reviews only, so a card
    /// with same-day steps shares its bin with one without them.
    #[test]
    fn review_numbers_count_long_term_reviews_only() {
        let plain = FSRSItem {
            reviews: reviews(&[(3, 0), (3, 3)]),
        };
        let stepped = FSRSItem {
            reviews: reviews(&[(3, 0), (1, 0), (3, 0), (3, 0), (1, 3)]),
        };
        let a = Scored::of(&plain, 0.9).unwrap();
        let b = Scored::of(&stepped, 0.5).unwrap();
        assert_eq!((a.i, b.i), (2, 2));
        // Same-day reviews after a long-term one do not count either.
        let later = FSRSItem {
            reviews: reviews(&[(3, 0), (3, 2), (1, 0), (3, 0), (3, 4)]),
        };
        assert_eq!(Scored::of(&later, 0.5).unwrap().i, 3);
        // One group (recalled at 0.9, forgotten at 0.5): mean outcome 0.5 against mean
        // prediction 0.7, RMSE 0.2. Counting the
        // same-day steps (i = 5, bin 7) would split them: √((0.1² + 0.5²) / 2) ≈ 0.3606.
        let rmse = rmse_bins_benchmark(&[a, b]).unwrap();
        assert!((rmse - 0.2).abs() < 1e-6, "{rmse}");
    }

    /// Audit 2026-12-06 §6.3: SM-2 replays the first review and the long-term ones only.
    #[test]
    fn sm2_replays_long_term_reviews_only() {
        // Again, Good, Good on the first day is one failed first review: repetition 0, a 1-day
        // interval (easiness 2.5 + 0.1 − 4 · (0.08 + 4 · 0.02) = 1.96), not "rep 2, 6 days".
        let first_day = reviews(&[(1, 0), (3, 0), (3, 0)]);
        let (reps, interval, ef) = sm2_state(&first_day);
        assert_eq!((reps, interval), (0, 1.0));
        assert!((ef - 1.96).abs() < 1e-6, "{ef}");
        // Asked 6 days later she is 5 intervals overdue: 0.9^6 ≈ 0.531441, not 0.9.
        let mut item = first_day.clone();
        item.push(FSRSReview {
            rating: 3,
            delta_t: 6,
        });
        let p = sm2_predictions(&[FSRSItem { reviews: item }]);
        assert!((p[0].0 - 0.531_441).abs() < 1e-5, "{p:?}");
        assert!(p[0].1);
        // Good, Good a day later (repetition 2, 6 days); the same-day Good after it is skipped,
        // where replaying it would make repetition 3 with 6 · 2.5 = 15 days.
        let (reps, interval, _) = sm2_state(&reviews(&[(3, 0), (3, 1), (3, 0)]));
        assert_eq!((reps, interval), (2, 6.0));
    }

    /// At `hour` (Shanghai) on day `day` after 2026-01-01.
    fn at(item: &str, rating: u8, day: i64, hour: i64) -> Entry {
        Entry {
            time: e(item, rating, day).time + (hour - 12) * 3600,
            ..e(item, rating, day)
        }
    }

    /// Audit 2026-12-06 §6.1 and §6.4: folds are cut over long-term items only, and every fold
    /// is fitted on the long-term items before its test part.
    #[test]
    fn folds_are_cut_over_long_term_items() {
        // Card a on days 0, 0, 1, 3, 3, 7 and card b on days 2, 2, 4, 8: eight items, five of
        // them long-term (a's 3rd, 4th and 6th review, b's 3rd and 4th), in time order a3 (3
        // reviews), a4 (4), b3 (3), a6 (6), b4 (4).
        let log = vec![
            at("a", 1, 0, 9),
            at("a", 3, 0, 10),
            at("a", 3, 1, 9),
            at("a", 3, 3, 9),
            at("a", 1, 3, 10),
            at("a", 3, 7, 9),
            at("b", 3, 2, 9),
            at("b", 3, 2, 10),
            at("b", 3, 4, 9),
            at("b", 3, 8, 9),
        ];
        let items = to_items(&log, &Prefs::default());
        assert_eq!(items.len(), 8);
        assert_eq!(training_set(items.clone()).len(), 5);
        // TimeSeriesSplit(2) over 5 items: parts of 1 after the first 3, so fold 1 trains on
        // a3, a4, b3 and tests a6; fold 2 adds a6 and tests b4. (Cut over all 8 items, fold 1
        // would train on a2, a3, b2, a4 and test b3 alone, with a same-day item dropped.)
        let mut trained = Vec::new();
        let mut fit = |train: Vec<FSRSItem>| {
            trained.push(train.iter().map(|i| i.reviews.len()).collect::<Vec<_>>());
            assert!(train.iter().all(is_long_term));
            None
        };
        let rows = evaluate_folds(&items, 2, &mut fit, |_| {});
        assert_eq!(trained, vec![vec![3, 4, 3], vec![3, 4, 3, 6]]);
        for (name, m) in &rows {
            assert_eq!(m.unwrap().n, 2, "{name}");
        }
        assert!(rows[1].0.contains("0 of 2 folds"), "{}", rows[1].0);
        // Default and "fitted" (the defaults, as nothing could be fitted) agree.
        assert_eq!(rows[0].1, rows[1].1);
    }

    /// Audit 2026-12-06 §6.4: the optimiser's training set is the long-term items, as fsrs's
    /// converter builds it (its test `convert_to_fsrs_items`: (3,0),(4,0),(3,5) and no item for
    /// the same-day second review).
    #[test]
    fn training_set_keeps_long_term_items_only() {
        let log = vec![at("a", 3, 0, 9), at("a", 4, 0, 10), at("a", 3, 5, 9)];
        let train = training_set(to_items(&log, &Prefs::default()));
        assert_eq!(
            train,
            vec![FSRSItem {
                reviews: reviews(&[(3, 0), (4, 0), (3, 5)])
            }]
        );
        let same_day = vec![at("b", 1, 2, 9), at("b", 3, 2, 10)];
        assert!(training_set(to_items(&same_day, &Prefs::default())).is_empty());
    }

    /// A log of one simulated learner whose memory is far from the defaults (she forgets new
    /// material fast and along a steeper curve), reviewing 150 items at growing, irregular
    /// intervals for 200 days.
    fn unusual_learner_log() -> Vec<Entry> {
        use crate::lab::memory::{Memory, Truth};
        use rand::{Rng, SeedableRng};
        let mut w = fsrs::DEFAULT_PARAMETERS.to_vec();
        for x in w.iter_mut().take(4) {
            *x *= 0.3;
        }
        w[20] = 0.5;
        let mut rng = rand::rngs::StdRng::seed_from_u64(17);
        let items = 150;
        let truth = Truth::new(&w, items, items, 1.0, &mut rng);
        let mut memory = Memory::new(0.0, items, items);
        let mut log = Vec::new();
        for item in 0..items {
            let mut day = (item / 10) as i64;
            let mut interval = 1.0f64;
            while day < 200 {
                let rating = memory.answer(&truth, item, item, day, &mut rng);
                log.push(e(&format!("i{item}"), rating as u8, day));
                interval = if rating == crate::scheduler::Rating::Again {
                    1.0
                } else {
                    (interval * rng.random_range(1.5..3.0)).min(60.0)
                };
                day += interval.round().max(1.0) as i64;
            }
        }
        log.sort_by_key(|e| e.time);
        log
    }

    #[test]
    fn five_folds_on_a_simulated_log_rank_fitted_above_default() {
        let log = unusual_learner_log();
        let items = to_items(&log, &Prefs::default());
        let mut fits = 0;
        let mut fit = |train: Vec<FSRSItem>| {
            fits += 1;
            fsrs::compute_parameters(fsrs::ComputeParametersInput {
                train_set: train,
                ..Default::default()
            })
            .ok()
        };
        let rows = evaluate_folds(&items, 5, &mut fit, |_| {});
        assert_eq!(fits, 5);
        let get = |i: usize| rows[i].1.unwrap();
        let (default, fitted, sm2) = (get(0), get(1), get(2));
        assert!(
            rows[1].0.contains("fitted on the earlier folds"),
            "{}",
            rows[1].0
        );
        assert_eq!(default.n, fitted.n);
        assert_eq!(default.n, sm2.n);
        assert!(
            fitted.log_loss < default.log_loss,
            "fitted {fitted:?} vs default {default:?}"
        );
    }

    /// Issue 19 §4: on a simulated log of learners who forget new material far faster than
    /// FSRS's defaults assume (`paperdeck simulate --stability-scale 0.3`: paperdeck's scheduler
    /// with its same-day retries decides what they review), parameters fitted fold by fold on the
    /// long-term items predict the held-out long-term reviews better than the defaults.
    #[test]
    fn fitted_beats_defaults_on_a_simulated_log_of_forgetful_learners() {
        let concepts: Vec<String> = (0..12).map(|i| format!("c{i}")).collect();
        let mut log = Vec::new();
        crate::simulate::simulate_scaled(100, 365, 1_767_225_600, &concepts, 7, 0.3, |r| {
            log.push(Entry {
                item: format!("{}/{}", r.learner, r.concept),
                rating: r.rating as u8,
                time: r.time,
            })
        });
        let items = to_items(&log, &Prefs::default());
        let long_term = training_set(items.clone()).len();
        assert!(long_term < items.len(), "the log has same-day reviews");
        let started = std::time::Instant::now();
        let mut fit = |train: Vec<FSRSItem>| {
            fsrs::compute_parameters(fsrs::ComputeParametersInput {
                train_set: train,
                ..Default::default()
            })
            .ok()
        };
        let rows = evaluate_folds(&items, 5, &mut fit, |_| {});
        let get = |i: usize| rows[i].1.unwrap();
        let (default, fitted, sm2) = (get(0), get(1), get(2));
        eprintln!(
            "{} reviews, {long_term} long-term items, {:.1} s: default {default:?}, fitted \
             {fitted:?}, SM-2 {sm2:?}",
            log.len(),
            started.elapsed().as_secs_f64()
        );
        assert!(
            rows[1].0.contains("fitted on the earlier folds"),
            "{}",
            rows[1].0
        );
        assert_eq!(default.n, fitted.n);
        assert!(
            fitted.log_loss < default.log_loss - 0.01,
            "fitted {fitted:?} vs default {default:?}"
        );
        assert!(
            fitted.rmse_bins < default.rmse_bins,
            "fitted {fitted:?} vs default {default:?}"
        );
    }
}
