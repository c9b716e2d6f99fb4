//! `/progress`: what she has read, how well each concept is remembered now, streaks, history
//! and what is coming due. Numbers come from [`crate::stats`], charts from [`crate::charts`].

use super::{render, LearnerForm, LoggedIn, Nav, NoFields};
use crate::startup::AppState;
use crate::web::Page;
use crate::{charts, stats, store};
use actix_web::web;
use askama::Template;
use std::collections::BTreeMap;
use std::sync::Arc;

pub fn routes(r: &mut super::Routes) {
    r.get("/progress", show)
        .post("/progress/backup-reminder", dismiss_backup_reminder);
}

struct PaperRow {
    slug: String,
    short: String,
    title_zh: String,
    /// `None` for a paper she has not read: it shows no mastery.
    mastery: Option<stats::PaperMastery>,
}

struct ConceptRow {
    slug: String,
    name: String,
    level: stats::Level,
    /// Predicted recall now, whole percent; `None` until the first review.
    recall: Option<u32>,
    /// Answered within the last day: the recall shown is near 100% by definition.
    just_reviewed: bool,
    /// How long the memory lasts: the time until the chance of recall falls to 90%.
    lasts: Option<String>,
    next_due: Option<String>,
    reps: i64,
    lapses: i64,
    /// Not learned yet, and today's new concepts are used up: a 练习 link would only refuse.
    waits: bool,
    /// Cards of the concept she can be asked (from the papers she has read) and has never
    /// answered.
    unmet: usize,
    /// The fact her own memory of its card predicts weakest now.
    weakest: Option<WeakFact>,
}

/// A card's fact on the progress page: its question, shortened, and where the paper explains it.
struct WeakFact {
    /// Escaped HTML, its number-like words kept on one line (a narrow phone column broke
    /// "Llama 2-Chat" at its hyphen).
    prompt: String,
    href: String,
    /// The paper the card comes from: the passage to re-read is looked for there first.
    paper: String,
}

/// Longest question shown for a weakest fact, in characters.
const WEAK_PROMPT_CHARS: usize = 24;

/// How many of a concept's cards she has not met, and her weakest fact (issue 19 §3). The
/// cards counted are those the quiz can ask her: from the papers she has read.
fn card_summary(
    state: &AppState,
    read: &[String],
    memory: &store::cache::CardMemories,
    concept: &str,
    now: i64,
    decay: f32,
) -> (usize, Option<WeakFact>) {
    let all = state.cards.for_concept(concept);
    let read_cards: Vec<&crate::cards::Card> = all
        .iter()
        .copied()
        .filter(|c| read.contains(&c.paper))
        .collect();
    let cards = if read_cards.is_empty() {
        all
    } else {
        read_cards
    };
    // One lookup per card: the unmet count and the weakest come from the same pass.
    let mut unmet = 0;
    let mut weakest: Option<(&crate::cards::Card, f32)> = None;
    for c in &cards {
        match memory.get(&c.id).filter(|m| m.seen()) {
            None => unmet += 1,
            Some(m) => {
                let r = m.recall(now, decay);
                if weakest.is_none_or(|(_, w)| r.total_cmp(&w).is_lt()) {
                    weakest = Some((c, r));
                }
            }
        }
    }
    let weakest = weakest.map(|(c, _)| {
        let mut prompt: String = c.prompt.chars().take(WEAK_PROMPT_CHARS).collect();
        if c.prompt.chars().count() > WEAK_PROMPT_CHARS {
            prompt.push('…');
        }
        WeakFact {
            prompt: crate::text::html::keep_numbers_whole(&prompt),
            href: super::quiz::source_href(state, c),
            paper: c.paper.clone(),
        }
    });
    (unmet, weakest)
}

/// "值得重读的段落": a passage that explains one of her weakest concepts.
struct RereadRow {
    concept: String,
    paper: String,
    section: &'static str,
    href: String,
    lapses: i64,
}

/// Most passages suggested at once: a short list gets read.
const MAX_REREAD: usize = 5;

/// Passages for the concepts she has forgotten at least once, weakest first (the order of
/// `concepts`).
fn reread_rows(
    content: &crate::content::Content,
    read: &[String],
    concepts: &[ConceptRow],
) -> Vec<RereadRow> {
    concepts
        .iter()
        .filter(|c| c.lapses > 0)
        .filter_map(|c| {
            let missed_in = c.weakest.as_ref().map(|w| w.paper.as_str());
            let p = crate::reading::reread(&content.papers, read, &c.slug, missed_in)?;
            Some(RereadRow {
                concept: c.name.clone(),
                paper: p.paper.short.clone(),
                section: p.section_title(),
                href: p.href(),
                lapses: c.lapses,
            })
        })
        .take(MAX_REREAD)
        .collect()
}

/// One level with its count and its plain explanation.
struct LevelRow {
    name: &'static str,
    explain: &'static str,
    count: usize,
}

#[derive(Template)]
#[template(path = "progress/index.html")]
struct ProgressPage {
    nav: Nav,
    papers_read: usize,
    papers_total: usize,
    concepts_learned: usize,
    concepts_unlocked: usize,
    concepts_total: usize,
    /// "约 18 个": a sum of probabilities, so a whole number is all it can honestly say.
    knowledge: String,
    levels: Vec<LevelRow>,
    streak: u32,
    longest_streak: u32,
    week_reviews: usize,
    week_minutes: i64,
    total_reviews: usize,
    papers: Vec<PaperRow>,
    concepts: Vec<ConceptRow>,
    reread: Vec<RereadRow>,
    // The charts from her log are kept per data version: shared, not copied, per page.
    heatmap_svg: Arc<str>,
    forecast_svg: String,
    accuracy_svg: Arc<str>,
    retention_svg: Arc<str>,
    target_percent: u32,
    /// The quiet monthly line that suggests downloading her backup ([`backup_due`]).
    backup_reminder: bool,
}

/// Answers that count as real use: below this there is little to lose.
const BACKUP_AFTER_REVIEWS: usize = 20;
/// How often the reminder asks: a month after her last backup, or after she dismissed it.
const BACKUP_EVERY_SECS: i64 = 30 * 86_400;

/// Whether /progress suggests downloading her backup: after real use, when she has neither
/// downloaded her whole export nor dismissed the suggestion in the last 30 days.
fn backup_due(reviews: usize, backups: store::learners::Backups, now: i64) -> bool {
    let recent = |t: Option<i64>| t.is_some_and(|t| now - t < BACKUP_EVERY_SECS);
    reviews >= BACKUP_AFTER_REVIEWS
        && !recent(backups.last_export_at)
        && !recent(backups.dismissed_at)
}

/// "30 天内不再提醒": hides the backup reminder for a month.
async fn dismiss_backup_reminder(state: web::Data<AppState>, f: LearnerForm<NoFields>) -> Page {
    let now = state.clock.now();
    store::learners::record_backup_event(
        &state.db,
        f.learner.id,
        store::learners::BackupEvent::Dismissed,
        now,
    )
    .await?;
    Ok(super::see_other("/progress"))
}

/// What /progress shows from her whole review log. It changes only with her data (every write
/// bumps her `data_version`) and with the day, so it is computed once per (version, day) and
/// kept in [`AppState::progress`]; a page then reads no review.
pub struct FromLog {
    total_reviews: usize,
    streak: u32,
    longest_streak: u32,
    week_reviews: usize,
    week_ms: i64,
    levels: BTreeMap<String, stats::Level>,
    heatmap_svg: Arc<str>,
    accuracy_svg: Arc<str>,
    retention_svg: Arc<str>,
}

impl FromLog {
    fn compute(
        reviews: &[stats::ReviewFact],
        states: &[crate::scheduler::ConceptState],
        prefs: &crate::scheduler::Prefs,
        now: i64,
    ) -> FromLog {
        let (streak, longest_streak) = stats::streaks(reviews, prefs, now);
        let (week_reviews, week_ms) = stats::last_week(reviews, prefs, now);
        FromLog {
            total_reviews: reviews.len(),
            streak,
            longest_streak,
            week_reviews,
            week_ms,
            levels: stats::levels(states, reviews, prefs),
            heatmap_svg: charts::heatmap(&stats::heatmap(reviews, prefs, now, 365), prefs).into(),
            accuracy_svg: charts::weekly_accuracy(&stats::weekly_accuracy(reviews, prefs, now, 12))
                .into(),
            retention_svg: charts::retention(
                &stats::retention_by_interval(reviews),
                f64::from(prefs.desired_retention),
            )
            .into(),
        }
    }
}

async fn show(state: web::Data<AppState>, LoggedIn { learner, visitor }: LoggedIn) -> Page {
    let snap = crate::quiz::service::snapshot(&state.quiz_as(&learner), learner.id).await?;
    let (prefs, states, now) = (&snap.prefs, &snap.states, snap.now);
    // The snapshot's version was checked for this request (see store::cache): what was computed
    // at it is what her data gives now. States are part of the data, so `levels` is too.
    let (version, day) = (snap.data.version(), prefs.day_index(now));
    let log = state
        .progress
        .get_or_compute(learner.id, version, day, || async {
            let reviews = store::quiz::review_facts(&state.db, learner.id).await?;
            Ok::<_, sqlx::Error>(FromLog::compute(&reviews, states, prefs, now))
        })
        .await?;
    // The cached snapshot already holds them: no second query.
    let read = &snap.data.papers_read;

    let papers = paper_rows(&state.content, read, &log.levels);
    let no_new_room = snap.plan().new_room() == 0;
    let mut concepts = concept_rows(&state.content, states, &log.levels, prefs, now, no_new_room);
    let memory = snap.data.card_memory(&state.db, learner.id).await?;
    for c in &mut concepts {
        (c.unmet, c.weakest) = card_summary(&state, read, &memory, &c.slug, now, prefs.decay());
    }
    let level_rows = level_rows(&concepts);
    let reread = reread_rows(&state.content, read, &concepts);
    // From her cached data: with her log computed once per version, the page costs no query.
    let backups = snap.data.backups;

    render(&ProgressPage {
        nav: visitor.nav("progress"),
        papers_read: read.len(),
        papers_total: state.content.papers.len(),
        concepts_learned: states.iter().filter(|s| !s.is_new()).count(),
        concepts_unlocked: states.len(),
        concepts_total: state.content.concepts.len(),
        knowledge: format!("约 {:.0} 个", stats::knowledge(states, prefs, now)),
        levels: level_rows,
        streak: log.streak,
        longest_streak: log.longest_streak,
        week_reviews: log.week_reviews,
        week_minutes: (log.week_ms + 59_999) / 60_000,
        total_reviews: log.total_reviews,
        papers,
        concepts,
        reread,
        heatmap_svg: Arc::clone(&log.heatmap_svg),
        forecast_svg: charts::forecast(&stats::forecast(states, prefs, now, 30)),
        accuracy_svg: Arc::clone(&log.accuracy_svg),
        retention_svg: Arc::clone(&log.retention_svg),
        target_percent: (prefs.desired_retention * 100.0).round() as u32,
        backup_reminder: backup_due(log.total_reviews, backups, now),
    })
}

/// One row per paper, with her mastery of the papers she has read.
fn paper_rows(
    content: &crate::content::Content,
    read: &[String],
    levels: &BTreeMap<String, stats::Level>,
) -> Vec<PaperRow> {
    content
        .papers
        .iter()
        .map(|p| PaperRow {
            slug: p.slug.clone(),
            short: p.short.clone(),
            title_zh: p.title_zh.clone(),
            mastery: stats::paper_mastery(&p.concepts, read.contains(&p.slug), levels),
        })
        .collect()
}

/// One row per unlocked concept, weakest first.
fn concept_rows(
    content: &crate::content::Content,
    states: &[crate::scheduler::ConceptState],
    levels: &BTreeMap<String, stats::Level>,
    prefs: &crate::scheduler::Prefs,
    now: i64,
    no_new_room: bool,
) -> Vec<ConceptRow> {
    let decay = prefs.decay();
    let mut concepts: Vec<(Option<f32>, ConceptRow)> = states
        .iter()
        .map(|s| {
            let recall = s.recall(now, decay);
            let row = ConceptRow {
                level: levels.get(&s.concept).copied().unwrap_or(stats::Level::New),
                just_reviewed: s.last_review_at.is_some_and(|t| now - t < 86_400),
                slug: s.concept.clone(),
                name: content
                    .concept(&s.concept)
                    .map(|c| c.name.clone())
                    .unwrap_or_else(|| s.concept.clone()),
                recall: recall.map(|r| (r * 100.0).round() as u32),
                lasts: s.memory().map(|m| format_days(f64::from(m.stability))),
                next_due: s
                    .due_at
                    .filter(|_| !s.is_new())
                    .map(|t| super::describe_when(t, now, prefs)),
                reps: s.reps,
                lapses: s.lapses,
                waits: s.is_new() && no_new_room,
                unmet: 0,
                weakest: None,
            };
            (recall, row)
        })
        .collect();
    // Weakest first: by level (未学 last: nothing to review yet), then by recall now.
    let rank = |l: stats::Level| match l {
        stats::Level::New => 4,
        l => l as u8,
    };
    concepts.sort_by(|a, b| {
        rank(a.1.level)
            .cmp(&rank(b.1.level))
            .then(match (a.0, b.0) {
                (Some(x), Some(y)) => x.total_cmp(&y),
                _ => std::cmp::Ordering::Equal,
            })
            .then_with(|| a.1.name.cmp(&b.1.name))
    });
    concepts.into_iter().map(|(_, r)| r).collect()
}

/// How many concepts are at each level, highest level first.
fn level_rows(concepts: &[ConceptRow]) -> Vec<LevelRow> {
    stats::Level::ALL
        .iter()
        .rev()
        .map(|&l| LevelRow {
            name: l.name(),
            explain: l.explain(),
            count: concepts.iter().filter(|c| c.level == l).count(),
        })
        .collect()
}

/// "约 5 小时", "约 12 天": whole units, as the time is an estimate.
fn format_days(d: f64) -> String {
    if d < 1.0 {
        format!("约 {:.0} 小时", (d * 24.0).max(1.0))
    } else {
        format!("约 {:.0} 天", d)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::learners::Backups;

    #[test]
    fn the_backup_reminder_waits_for_real_use_and_then_asks_monthly() {
        let now = 1_800_000_000;
        let day = 86_400;
        let never = Backups::default();
        assert!(!backup_due(19, never, now), "too little use to lose");
        assert!(backup_due(20, never, now));
        let exported = |ago: i64| Backups {
            last_export_at: Some(now - ago),
            dismissed_at: None,
        };
        assert!(!backup_due(500, exported(29 * day), now));
        assert!(backup_due(500, exported(30 * day), now));
        let dismissed = Backups {
            last_export_at: None,
            dismissed_at: Some(now - day),
        };
        assert!(!backup_due(500, dismissed, now));
    }
}
