//! `/settings`: scheduling preferences and personal FSRS parameters.

use super::error::AppError;
use super::{see_other, LearnerForm, LoggedIn, Nav, NoFields, Visitor};
use crate::revlog;
use crate::settings::LearnerSettings;
use crate::startup::AppState;
use crate::store;
use crate::web::Page;
use actix_web::web;
use askama::Template;
use serde::Deserialize;

pub fn routes(r: &mut super::Routes) {
    r.get("/settings", show)
        .post("/settings", save)
        .post("/settings/optimise", optimise)
        .post("/settings/reset-params", reset_params);
}

/// Reviews needed before offering to fit personal parameters.
pub const MIN_REVIEWS_TO_OPTIMISE: usize = 100;

/// Time zones offered in the list; any IANA name can be typed.
const ZONES: &[&str] = &[
    "Asia/Shanghai",
    "Asia/Hong_Kong",
    "Asia/Taipei",
    "Asia/Singapore",
    "Asia/Tokyo",
    "Asia/Seoul",
    "Asia/Kolkata",
    "Europe/London",
    "Europe/Paris",
    "Europe/Berlin",
    "America/New_York",
    "America/Chicago",
    "America/Los_Angeles",
    "America/Toronto",
    "Australia/Sydney",
    "Pacific/Auckland",
    "UTC",
];

#[derive(Template)]
#[template(path = "settings/index.html")]
struct SettingsPage<'a> {
    nav: Nav,
    s: LearnerSettings,
    zones: &'a [&'a str],
    error: Option<String>,
    saved: bool,
    reviews: usize,
    min_reviews: usize,
    result: Option<OptimiseResult>,
    /// Why the optimiser did not run: said plainly, not as an error of hers.
    notice: Option<String>,
    workload: Option<Workload>,
}

/// The chart of study time against desired retention, and what it was computed for.
struct Workload {
    chart: String,
    basis: String,
    /// "目标从 90% 提到 95%，每天大约多花 X 分钟".
    sentence: Option<String>,
}

impl SettingsPage<'_> {
    fn retention_percent(&self) -> String {
        format!("{:.0}", self.s.desired_retention * 100.0)
    }
}

struct OptimiseResult {
    default_loss: f64,
    fitted_loss: f64,
    default_rmse: f64,
    fitted_rmse: f64,
    kept: bool,
    n: usize,
}

/// The settings page's query. The optimiser's outcome comes back here through a redirect
/// (Post/Redirect/Get), so reloading the result page does not submit the optimisation again;
/// the numbers ride in the query because they are only shown to the one who asked.
#[derive(Deserialize, Default)]
pub struct ShowQuery {
    saved: Option<u8>,
    /// 1 = personal parameters adopted, 0 = kept the defaults.
    kept: Option<u8>,
    n: Option<usize>,
    dl: Option<f64>,
    fl: Option<f64>,
    dr: Option<f64>,
    fr: Option<f64>,
    /// Why the optimiser could not run: a code, so no free text is reflected from the URL.
    failed: Option<String>,
}

impl ShowQuery {
    fn result(&self) -> Option<OptimiseResult> {
        Some(OptimiseResult {
            kept: self.kept? == 1,
            n: self.n?,
            default_loss: self.dl?,
            fitted_loss: self.fl?,
            default_rmse: self.dr?,
            fitted_rmse: self.fr?,
        })
    }

    fn failure(&self) -> Option<String> {
        let msg = match self.failed.as_deref()? {
            "few" => format!("至少要有 {MIN_REVIEWS_TO_OPTIMISE} 次答题记录才能优化。"),
            "same-day" => "记录里还没有隔天的复习，请过几天再来优化。".into(),
            "fit" => "记录还不足以算出你自己的参数，请再多答一些题，过几天再试。".into(),
            _ => "这次没能完成优化，你的复习安排没有改动。".into(),
        };
        Some(msg)
    }
}

async fn page(
    state: &AppState,
    visitor: &Visitor,
    learner: i64,
    error: Option<String>,
    saved: bool,
    result: Option<OptimiseResult>,
    notice: Option<String>,
) -> Page {
    let stored = store::learners::settings(&state.db, learner)
        .await?
        .ok_or_else(|| anyhow::anyhow!("learner row missing"))?;
    let reviews = store::quiz::review_count(&state.db, learner).await?;
    let workload = workload(state, learner, stored.desired_retention).await?;
    let status = super::form_status(&error);
    let page = SettingsPage {
        nav: visitor.nav("settings"),
        s: stored,
        zones: ZONES,
        error,
        saved,
        reviews,
        min_reviews: MIN_REVIEWS_TO_OPTIMISE,
        result,
        notice,
        workload,
    };
    super::render_with(status, &page)
}

/// Workload estimates kept: each is 18 points.
const WORKLOAD_CACHE_ENTRIES: usize = 1024;

type WorkloadEstimate = (
    crate::lab::workload::Basis,
    Vec<crate::lab::workload::Point>,
);

/// Estimates by the fingerprint of their inputs: the page is cheap again until her concepts,
/// parameters, limits or the day change.
fn workload_cache() -> &'static std::sync::Mutex<std::collections::HashMap<u64, WorkloadEstimate>> {
    static CACHE: std::sync::OnceLock<
        std::sync::Mutex<std::collections::HashMap<u64, WorkloadEstimate>>,
    > = std::sync::OnceLock::new();
    CACHE.get_or_init(Default::default)
}

/// Her workload chart. The simulation is bounded by the content (one item per concept, a year,
/// [`crate::lab::workload::SEEDS`] seeds; a few milliseconds) and runs off the request thread;
/// if it cannot run, the page is shown without it.
async fn workload(
    state: &AppState,
    learner: i64,
    current: f64,
) -> Result<Option<Workload>, AppError> {
    use crate::lab::workload::{minutes_by_retention, Basis};
    let Some(prefs) = store::quiz::prefs(&state.db, learner).await? else {
        return Ok(None);
    };
    let states = store::quiz::states(&state.db, learner).await?;
    let all = state.content.concepts.len();
    let now = state.clock.now();
    let key = crate::lab::workload::fingerprint(&states, all, &prefs, now);
    // Keyed by the inputs, not the learner: every new learner with the default settings shares
    // one estimate a day.
    let cached = workload_cache()
        .lock()
        .ok()
        .and_then(|c| c.get(&key).cloned());
    let computed = match cached {
        Some(hit) => Some(hit),
        None => {
            // A simulation takes a core for tens of milliseconds: one runs at a time, beside
            // (not in) the heavy-request gate, so reloading settings cannot crowd out imports
            // and exports (review 2026-12-06, N10); when it is taken the page is shown without
            // the chart.
            let Ok(permit) = state.charts.try_enter(learner) else {
                return Ok(None);
            };
            let fresh = web::block(move || {
                let _permit = permit;
                minutes_by_retention(&states, all, &prefs, now)
            })
            .await
            .ok()
            .flatten();
            if let (Some(value), Ok(mut cache)) = (&fresh, workload_cache().lock()) {
                // Bounded: a full cache starts over rather than growing with the accounts.
                if cache.len() >= WORKLOAD_CACHE_ENTRIES {
                    cache.clear();
                }
                cache.insert(key, value.clone());
            }
            fresh
        }
    };
    Ok(computed.map(|(basis, points)| {
        let points: Vec<(f64, f64)> = points.iter().map(|p| (p.retention, p.minutes)).collect();
        let basis = match basis {
            Basis::Unlocked(n) => format!("按你已经解锁的 {n} 个概念和你现在的记忆参数估算"),
            Basis::AllConcepts(n) => {
                format!("你还没有解锁概念，这里按读完全部论文后的 {n} 个概念估算")
            }
        };
        Workload {
            sentence: crate::charts::workload_sentence(&points, current),
            chart: crate::charts::workload(&points, current),
            basis,
        }
    }))
}

async fn show(state: web::Data<AppState>, who: LoggedIn, q: web::Query<ShowQuery>) -> Page {
    page(
        &state,
        &who.visitor,
        who.learner.id,
        None,
        q.saved == Some(1),
        q.result(),
        q.failure(),
    )
    .await
}

/// Form fields arrive as text so that a bad value comes back to the form with a message
/// instead of a generic error.
#[derive(Deserialize)]
pub struct SettingsForm {
    desired_retention: String,
    new_per_day: String,
    max_reviews_per_day: String,
    timezone: String,
    rollover_hour: String,
}

/// Parses the form into valid settings, or says which field is wrong. Text is read here
/// (a percentage or a fraction, spaces); the bounds are [`LearnerSettings::new`]'s.
pub fn parse_settings(f: &SettingsForm) -> Result<LearnerSettings, String> {
    use crate::settings as bounds;
    let int = |v: &str, name: &str, range: std::ops::RangeInclusive<i64>| {
        v.trim().parse::<i64>().map_err(|_| {
            format!(
                "{name}要填 {} 到 {} 之间的整数。",
                range.start(),
                range.end()
            )
        })
    };
    let retention = f
        .desired_retention
        .trim()
        .trim_end_matches('%')
        .parse::<f64>()
        .map(|v| if v > 1.0 { v / 100.0 } else { v })
        .unwrap_or(f64::NAN);
    LearnerSettings::new(
        (retention * 100.0).round() / 100.0,
        int(&f.new_per_day, "每天新概念数", bounds::NEW_PER_DAY)?,
        int(
            &f.max_reviews_per_day,
            "每天最多复习数",
            bounds::MAX_REVIEWS_PER_DAY,
        )?,
        f.timezone.trim(),
        int(&f.rollover_hour, "每天开始的时间", bounds::ROLLOVER_HOUR)?,
    )
}

async fn save(state: web::Data<AppState>, f: LearnerForm<SettingsForm>) -> Page {
    let learner = f.learner.id;
    match parse_settings(&f.form) {
        Ok(s) => {
            store::learners::update_settings(&state.db, learner, &s).await?;
            Ok(see_other("/settings?saved=1"))
        }
        Err(msg) => page(&state, &f.visitor, learner, Some(msg), false, None, None).await,
    }
}

/// Fits FSRS parameters to the learner's own log and keeps them only if they predict her
/// history better than the defaults (lower log loss).
async fn optimise(state: web::Data<AppState>, f: LearnerForm<NoFields>) -> Page {
    let learner = f.learner.id;
    // One fit per learner and a few in the whole server: each takes a core for seconds.
    let permit = super::export::enter_heavy(&state, learner).await?;
    let prefs = store::quiz::prefs(&state.db, learner)
        .await?
        .ok_or_else(|| anyhow::anyhow!("learner row missing"))?;
    let log = store::quiz::revlog_by_concept(&state.db, learner).await?;
    if log.len() < MIN_REVIEWS_TO_OPTIMISE {
        return Ok(see_other("/settings?failed=few#optimise"));
    }
    let fitted = web::block(move || {
        let _permit = permit;
        fit(&log, &prefs)
    })
    .await
    .map_err(|e| anyhow::anyhow!("optimiser task: {e}"))?;
    let result = match fitted {
        Ok((params, r)) => {
            if r.kept {
                let json = serde_json::to_string(&params).map_err(anyhow::Error::from)?;
                store::learners::set_params(&state.db, learner, Some(&json)).await?;
            }
            r
        }
        Err(code) => return Ok(see_other(&format!("/settings?failed={code}#optimise"))),
    };
    Ok(see_other(&format!(
        "/settings?kept={}&n={}&dl={:.4}&fl={:.4}&dr={:.4}&fr={:.4}#optimise",
        u8::from(result.kept),
        result.n,
        result.default_loss,
        result.fitted_loss,
        result.default_rmse,
        result.fitted_rmse
    )))
}

/// Fits parameters to the log's long-term items and compares them with the defaults; an error is a failure code for [`ShowQuery::failure`]. Memory
/// and time are linear in the log: training items are capped at [`revlog::MAX_SEQ_LEN`] reviews
/// (fsrs drops longer ones anyway), and the two models are scored on every review in one pass
/// per concept.
fn fit(
    log: &[revlog::Entry],
    prefs: &crate::scheduler::Prefs,
) -> Result<(Vec<f32>, OptimiseResult), &'static str> {
    // Long-term items only, as fsrs's own converter builds them: an item whose target is a
    // same-day answer would teach the fit to predict same-day steps.
    let train = revlog::training_set(revlog::to_items(log, prefs));
    if train.is_empty() {
        return Err("same-day");
    }
    let params = fsrs::compute_parameters(fsrs::ComputeParametersInput {
        train_set: train,
        ..Default::default()
    })
    .map_err(|e| {
        tracing::info!(error = ?e, "optimiser: not enough data to fit");
        "fit"
    })?;
    let default = fsrs::FSRS::default();
    let mine = fsrs::FSRS::new(&params).map_err(|e| {
        tracing::warn!(error = ?e, "optimiser: fitted parameters rejected");
        "fit"
    })?;
    let decay_default = fsrs::DEFAULT_PARAMETERS[20];
    let decay_mine = params.get(20).copied().unwrap_or(decay_default);
    let histories = revlog::histories(log, prefs);
    let score = |f: &fsrs::FSRS, decay: f32| {
        revlog::metrics(&revlog::fsrs_predictions_by_history(f, decay, &histories)).ok_or("fit")
    };
    let d = score(&default, decay_default)?;
    let m = score(&mine, decay_mine)?;
    Ok((
        params,
        OptimiseResult {
            default_loss: d.log_loss,
            fitted_loss: m.log_loss,
            default_rmse: d.rmse_bins,
            fitted_rmse: m.rmse_bins,
            kept: m.log_loss < d.log_loss,
            n: d.n,
        },
    ))
}

/// The optimiser on a log, for measuring its cost outside the web server (`examples/cost.rs`):
/// whether parameters were fitted, and how many reviews scored them.
pub fn fit_for_measurement(
    log: &[revlog::Entry],
    prefs: &crate::scheduler::Prefs,
) -> Result<usize, String> {
    fit(log, prefs).map(|(_, r)| r.n).map_err(String::from)
}

async fn reset_params(state: web::Data<AppState>, f: LearnerForm<NoFields>) -> Page {
    store::learners::set_params(&state.db, f.learner.id, None).await?;
    Ok(see_other("/settings?saved=1"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(r: &str, n: &str, m: &str, tz: &str, h: &str) -> SettingsForm {
        SettingsForm {
            desired_retention: r.into(),
            new_per_day: n.into(),
            max_reviews_per_day: m.into(),
            timezone: tz.into(),
            rollover_hour: h.into(),
        }
    }

    #[test]
    fn settings_are_parsed_and_bounded() {
        let s = parse_settings(&form("90", "5", "50", "Asia/Shanghai", "4")).unwrap();
        assert_eq!(s.desired_retention, 0.9);
        assert_eq!(
            parse_settings(&form("0.85", "5", "50", "UTC", "0"))
                .unwrap()
                .desired_retention,
            0.85
        );
        for bad in [
            form("99", "5", "50", "UTC", "4"),
            form("79", "5", "50", "UTC", "4"),
            form("abc", "5", "50", "UTC", "4"),
            form("90", "-1", "50", "UTC", "4"),
            form("90", "5", "0", "UTC", "4"),
            form("90", "5", "50", "Mars/Olympus", "4"),
            form("90", "5", "50", "UTC", "24"),
            form("90", "5.5", "50", "UTC", "4"),
        ] {
            assert!(parse_settings(&bad).is_err());
        }
    }
}
