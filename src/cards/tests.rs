//! Properties of the generator over the shipped content, for any seed.

use super::*;
use proptest::prelude::*;

/// The unit of the figure a card asks about ("" when its fact is not a figure).
pub(crate) fn figure_unit(card: &Card) -> String {
    content()
        .paper(&card.paper)
        .and_then(|p| p.facts.iter().find(|f| f.key == card.fact_key))
        .and_then(|f| match &f.body {
            FactBody::Figure { unit, .. } => Some(unit.clone()),
            _ => None,
        })
        .unwrap_or_default()
}

/// The hand-written wrong numbers of the figure a card asks about, sorted.
fn own_figure_distractors(card: &Card) -> Vec<f64> {
    let mut own = content()
        .paper(&card.paper)
        .and_then(|p| p.facts.iter().find(|f| f.key == card.fact_key))
        .map(|f| match &f.body {
            FactBody::Figure { distractors, .. } => distractors.clone(),
            _ => Vec::new(),
        })
        .unwrap_or_default();
    own.sort_by(f64::total_cmp);
    own
}

/// The shipped content, parsed once for all the card tests.
pub(crate) fn content() -> &'static Content {
    static C: std::sync::OnceLock<Content> = std::sync::OnceLock::new();
    C.get_or_init(|| crate::content::embedded().expect("shipped content is valid"))
}

fn options(card: &Card) -> Option<(String, Vec<String>)> {
    let (answer, distractors) = card.data.options()?;
    Some((answer.clone(), distractors.to_vec()))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn choice_cards_have_one_right_option_and_no_duplicates(seed in any::<u64>()) {
        let cards = generate(content(), seed).expect("generates");
        let names = crate::content::names::Names::new(content());
        for card in &cards {
            let Some((answer, distractors)) = options(card) else { continue };
            prop_assert_eq!(distractors.len(), 3, "{}", card.id);
            // No two options mean the same: by value for numbers, by the name table for names.
            let options: Vec<&String> = std::iter::once(&answer).chain(&distractors).collect();
            for (i, a) in options.iter().enumerate() {
                for b in &options[i + 1..] {
                    let numeric = normalize::parse_quantity(a).is_some() && normalize::parse_quantity(b).is_some();
                    let same = if numeric { same_figure(a, b) } else { names.same_meaning(a, b) };
                    prop_assert!(!same, "{}: {a} / {b}", card.id);
                }
            }
            // a figure's distractors are other numbers, never the right one in another spelling
            if let (CardKind::Choice, Some(Card { data: CardData::Choice { .. }, .. })) = (card.kind, Some(card)) {
                for d in &distractors {
                    prop_assert!(!normalize::matches(d, &answer, &[], None), "{}: {d}", card.id);
                }
            }
        }
    }

    #[test]
    fn generation_is_deterministic_for_a_seed(seed in any::<u64>()) {
        prop_assert_eq!(generate(content(), seed).unwrap(), generate(content(), seed).unwrap());
    }
}

#[test]
fn figure_distractors_are_numbers_near_the_answer() {
    let cards = generate(content(), APP_SEED).unwrap();
    let fill_numbers: std::collections::HashMap<(&str, &str), f64> = cards
        .iter()
        .filter_map(|c| match &c.data {
            CardData::Fill {
                number: Some(n), ..
            } => Some(((c.paper.as_str(), c.fact_key.as_str()), *n)),
            _ => None,
        })
        .collect();
    let mut checked = 0;
    for c in &cards {
        let (Some(n), CardData::Choice { distractors, .. }) = (
            fill_numbers.get(&(c.paper.as_str(), c.fact_key.as_str())),
            &c.data,
        ) else {
            continue;
        };
        let unit = figure_unit(c);
        let own = own_figure_distractors(c);
        if !own.is_empty() {
            // Hand-written wrong numbers (an order of magnitude, a count out of a total) are the
            // author's choice and are used as they are.
            let mut shown: Vec<f64> = distractors
                .iter()
                .filter_map(|d| {
                    normalize::parse_quantity(d.strip_suffix(unit.as_str()).unwrap_or(d))
                })
                .collect();
            shown.sort_by(f64::total_cmp);
            assert_eq!(shown, own, "{}", c.id);
            checked += 1;
            continue;
        }
        for d in distractors {
            let number = d.strip_suffix(unit.as_str()).unwrap_or(d);
            let v =
                normalize::parse_quantity(number).expect("a figure distractor reads as a number");
            assert!(v != *n, "{}: {d}", c.id);
            assert!(
                v / n <= 10.0 + 1e-9 && v / n >= 0.1 - 1e-9,
                "{}: {d} is far from {n}",
                c.id
            );
        }
        checked += 1;
    }
    assert!(checked >= 20, "{checked}");
}

#[test]
fn card_ids_depend_on_paper_key_and_kind_only() {
    // Pinned: ids are stored with every review, so a change in how they are made would orphan
    // every learner's history. (Comparing the call with itself could not fail.)
    assert_eq!(
        card_id("palm", "k", CardKind::Fill, 0),
        "9eb797b137ddb8234e42"
    );
    assert_ne!(
        card_id("palm", "k", CardKind::Fill, 0),
        card_id("palm", "other-key", CardKind::Fill, 0)
    );
    assert_ne!(
        card_id("palm", "k", CardKind::Fill, 0),
        card_id("palm", "k", CardKind::Choice, 0)
    );
    assert_ne!(
        card_id("palm", "k", CardKind::Fill, 0),
        card_id("bloom", "k", CardKind::Fill, 0)
    );
}

#[test]
fn the_shipped_content_meets_the_coverage_minimums() {
    let cards = generate(content(), APP_SEED).unwrap();
    let cov = coverage(content(), &cards);
    assert!(cov.problems.is_empty(), "{:?}", cov.problems);
    assert!(cov.total >= MIN_TOTAL);
    for kind in CardKind::ALL {
        assert!(
            cov.per_kind.get(kind.as_str()).copied().unwrap_or(0) > 0,
            "{kind:?}"
        );
    }
}

#[test]
fn coverage_names_what_falls_short() {
    let mut small = content().clone();
    small.papers.truncate(4);
    let cards = generate(&small, APP_SEED).unwrap();
    let cov = coverage(&small, &cards);
    assert!(cov.problems.iter().any(|p| p.contains("卡片总数")));
    assert!(cov
        .problems
        .iter()
        .any(|p| p.contains("概念 multimodality")));
}

#[test]
fn numbers_are_shown_the_chinese_way() {
    assert_eq!(format_figure(70e9, "个参数"), "700 亿个参数");
    assert_eq!(format_figure(1.4e12, "个 token"), "1.4 万亿个 token");
    assert_eq!(format_figure(67.5, "%"), "67.5%");
    assert_eq!(format_figure(48.0, "GB"), "48 GB");
    assert_eq!(format_figure(1e6, "条比较"), "100 万条比较");
    assert_eq!(format_figure(6144.0, "块芯片"), "6144 块芯片");
}
