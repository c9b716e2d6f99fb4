use crate::helpers::{new_learner, spawn_app, Page, TestApp};

/// The settings form's fields after `csrf`, in the order [`save_settings`] takes values.
const FIELDS: [&str; 5] = [
    "desired_retention",
    "new_per_day",
    "max_reviews_per_day",
    "timezone",
    "rollover_hour",
];

/// Posts the settings form with `csrf` and `values` for [`FIELDS`].
async fn save_settings(app: &TestApp, csrf: &str, values: [&str; 5]) -> Page {
    let mut form = vec![("csrf", csrf)];
    form.extend(FIELDS.into_iter().zip(values));
    app.post("/settings", &form).await
}

/// Stores 150 days of simulated history (from `seed`) for the learner `sim0001` the way an
/// import would, and logs her in on `browser`; her number of reviews.
async fn simulated_learner(browser: &TestApp, seed: u64) -> usize {
    let content = paperdeck::content::embedded().unwrap();
    let concepts: Vec<String> = content.concepts.iter().map(|c| c.slug.clone()).collect();
    let start = paperdeck::store::now_ts() - 150 * 86_400;
    let mut reviews = Vec::new();
    paperdeck::simulate::simulate(1, 150, start, &concepts, seed, |r| reviews.push(r.clone()));
    paperdeck::simulate::store_learners(&browser.database_url, &content, &reviews, 1)
        .await
        .unwrap();
    let login = browser
        .login("sim0001", paperdeck::simulate::SIM_PASSWORD)
        .await;
    assert_eq!(login.status, 303, "{}", login.body);
    reviews.len()
}

#[tokio::test]
async fn settings_are_saved_and_bad_values_come_back_with_a_message() {
    let app = new_learner("sora").await;
    let page = app.get("/settings").await;
    assert_eq!(page.status, 200);
    page.assert_has(r#"step="1" value="90""#);
    let csrf = page.csrf();
    let ok = save_settings(&app, &csrf, ["85", "3", "40", "Europe/London", "5"]).await;
    assert_eq!(ok.status, 303, "{}", ok.body);
    let row: (f64, i64, i64, String, i64) = sqlx::query_as(
        "SELECT desired_retention, new_per_day, max_reviews_per_day, timezone, rollover_hour FROM learners",
    )
    .fetch_one(&app.db().await)
    .await
    .unwrap();
    assert_eq!(row, (0.85, 3, 40, "Europe/London".to_string(), 5));
    for (r, tz, h, msg) in [
        ("99", "UTC", "4", "80% 到 97%"),
        ("90", "Mars/Base", "4", "不认识时区"),
        ("90", "UTC", "25", "每天开始的时间"),
        ("ninety", "UTC", "4", "80% 到 97%"),
    ] {
        let bad = save_settings(&app, &csrf, [r, "3", "40", tz, h]).await;
        assert_eq!(bad.status, 400, "{r} {tz} {h}");
        assert!(bad.body.contains(msg), "{msg}");
    }
    let after: f64 = sqlx::query_scalar("SELECT desired_retention FROM learners")
        .fetch_one(&app.db().await)
        .await
        .unwrap();
    assert_eq!(after, 0.85);
}

#[tokio::test]
async fn optimising_needs_enough_reviews() {
    let app = new_learner("taro").await;
    let csrf = app.get("/settings").await.csrf();
    // Post/Redirect/Get: the outcome comes back on the settings page, said as a fact about her
    // history, not as an error.
    let page = app.post("/settings/optimise", &[("csrf", &csrf)]).await;
    assert_eq!(page.status, 303);
    let page = app.get(page.location.as_deref().unwrap()).await;
    assert_eq!(page.status, 200);
    page.assert_has("至少要有");
    app.assert_count(
        "SELECT COUNT(*) FROM learners WHERE fsrs_params IS NOT NULL",
        0,
    )
    .await;
}

#[tokio::test]
async fn optimising_fits_parameters_to_a_real_history_and_shows_both_scores() {
    let app = spawn_app().await;
    // A learner with months of history.
    let reviews = simulated_learner(&app, 11).await;
    assert!(reviews >= 100, "{reviews}");

    let page = app.get("/settings").await;
    page.assert_has("优化我的复习安排");
    let posted = app
        .post("/settings/optimise", &[("csrf", &page.csrf())])
        .await;
    assert_eq!(posted.status, 303, "{}", posted.body);
    let result = app.get(posted.location.as_deref().unwrap()).await;
    assert_eq!(result.status, 200, "{}", result.body);
    assert!(result.body.contains("默认参数") && result.body.contains("你的参数"));
    let kept = result.body.contains("已经采用");
    let stored = app
        .count("SELECT COUNT(*) FROM learners WHERE fsrs_params IS NOT NULL")
        .await;
    // Parameters are stored exactly when the page says they were kept.
    assert_eq!(stored, i64::from(kept));
}

/// The number in the workload chart's description for her current target, in minutes.
fn minutes_now(body: &str) -> f64 {
    let after = body
        .split("；你现在的 ")
        .nth(1)
        .expect("current target in the description");
    let num = after.split(" 约 ").nth(1).and_then(|r| r.split(' ').next());
    num.and_then(|n| n.parse().ok()).expect("minutes")
}

#[tokio::test]
async fn the_workload_chart_is_shown_for_a_new_and_a_busy_learner() {
    let app = new_learner("mei").await;
    let page = app.get("/settings").await;
    assert_eq!(page.status, 200);
    // New: nothing unlocked, so the estimate is for all the content's concepts.
    page.assert_has_all(&[r#"<section id="workload""#, "你还没有解锁概念", "现在 90%"]);
    // Every target from 80% to 97% is in the table under the chart, without JavaScript.
    for pct in [80, 90, 97] {
        page.assert_has(format!(r#"<th scope="row">{pct}%</th><td>约 "#));
    }
    let new_minutes = minutes_now(&page.body);
    assert!(new_minutes > 0.0);

    // Busy: months of history on all concepts.
    let busy = app.other_browser();
    simulated_learner(&busy, 5).await;
    let page = busy.get("/settings").await;
    assert_eq!(page.status, 200);
    let concepts = paperdeck::content::embedded().unwrap().concepts.len();
    page.assert_has(format!("按你已经解锁的 {concepts} 个概念"));
    page.assert_has("<polyline");
    // Her concepts are learned, months in: a day costs less than learning them all from new.
    assert!(minutes_now(&page.body) < new_minutes);
    // The marker follows her setting.
    let csrf = page.csrf();
    let saved = save_settings(&busy, &csrf, ["85", "5", "50", "Asia/Shanghai", "4"]).await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    busy.get("/settings").await.assert_has("现在 85%");
}
