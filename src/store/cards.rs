//! Cards in the database, kept in line with the content.

use super::Db;
use crate::cards::{Card, CardData, CardKind};
use sqlx::Row;
use std::collections::{HashMap, HashSet};

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct SyncReport {
    pub added: usize,
    pub updated: usize,
    pub retired: usize,
    pub unchanged: usize,
}

/// Brings stored cards in line with `cards` in one transaction: new ids are inserted, changed
/// cards updated in place (same id, review history kept), missing cards retired (kept for the
/// review log, never shown). Running it twice with the same cards changes nothing.
pub async fn sync(db: &Db, cards: &[Card], now: i64) -> sqlx::Result<SyncReport> {
    let mut tx = db.write.begin().await?;
    let stored: Vec<(String, String, i64)> =
        sqlx::query_as("SELECT id, content_hash, retired FROM cards")
            .fetch_all(&mut *tx)
            .await?;
    let existing: HashMap<String, (String, bool)> = stored
        .into_iter()
        .map(|(id, hash, retired)| (id, (hash, retired != 0)))
        .collect();
    let mut report = SyncReport::default();
    let mut live = HashSet::new();
    for c in cards {
        live.insert(c.id.as_str());
        let hash = c.content_hash();
        let data = serde_json::to_string(&c.data).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
        match existing.get(&c.id) {
            Some((h, retired)) if *h == hash && !retired => report.unchanged += 1,
            found => {
                bound!(
                    "INSERT INTO cards (id, paper_slug, fact_key, kind, concept_slug, prompt, data_json,
                                        explanation, section, content_hash, retired, updated_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 0, $11)
                     ON CONFLICT (id) DO UPDATE SET
                        paper_slug = excluded.paper_slug, fact_key = excluded.fact_key,
                        kind = excluded.kind, concept_slug = excluded.concept_slug,
                        prompt = excluded.prompt, data_json = excluded.data_json,
                        explanation = excluded.explanation, section = excluded.section,
                        content_hash = excluded.content_hash, retired = 0,
                        updated_at = excluded.updated_at",
                    &c.id,
                    &c.paper,
                    &c.fact_key,
                    c.kind.as_str(),
                    &c.concept,
                    &c.prompt,
                    &data,
                    &c.explanation,
                    &c.section,
                    &hash,
                    now
                )
                .execute(&mut *tx)
                .await?;
                if found.is_some() {
                    report.updated += 1;
                } else {
                    report.added += 1;
                }
            }
        }
    }
    for (id, (_, retired)) in &existing {
        if !retired && !live.contains(id.as_str()) {
            bound!(
                "UPDATE cards SET retired = 1, updated_at = $1 WHERE id = $2",
                now,
                id
            )
            .execute(&mut *tx)
            .await?;
            report.retired += 1;
        }
    }
    tx.commit().await?;
    Ok(report)
}

const CARD_COLUMNS: &str =
    "id, paper_slug, kind, concept_slug, prompt, data_json, explanation, section";

/// A stored card as a [`Card`]. The fact key is not stored (ids already derive from it), so it
/// is empty. `None` for a row whose data no longer parses or whose columns have the wrong type.
fn card_from_row(r: &crate::store::DbRow) -> Option<Card> {
    let kind = CardKind::parse(r.try_get::<&str, _>(2).ok()?)?;
    let data: CardData = serde_json::from_str(r.try_get::<&str, _>(5).ok()?).ok()?;
    Some(Card {
        id: r.try_get(0).ok()?,
        paper: r.try_get(1).ok()?,
        fact_key: String::new(),
        kind,
        concept: r.try_get(3).ok()?,
        prompt: r.try_get(4).ok()?,
        data,
        explanation: r.try_get(6).ok()?,
        section: r.try_get(7).ok()?,
        prompt_html: Default::default(),
    })
}

/// A card by id, live or retired: feedback on an old answer still needs its card.
pub async fn by_id(db: &Db, id: &str) -> sqlx::Result<Option<Card>> {
    let sql = format!("SELECT {CARD_COLUMNS} FROM cards WHERE id = $1");
    let row = super::first_row(bound!(&sql, id), &db.read).await?;
    Ok(row.as_ref().and_then(card_from_row))
}
