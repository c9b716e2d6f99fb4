//! Answers, undo and re-grade: forged, tampered, foreign and used-up tokens with an otherwise
//! valid answer, answers of the wrong shape for the question's kind, other learners' reviews.

use super::*;

/// Answer fields that are well formed but wrong for this kind of question: the app must refuse
/// them with a 400 and record nothing, even with a valid token.
fn invalid_answers(
    kind: QuestionKind,
    good: &[(String, String)],
) -> Vec<(String, Vec<(String, String)>)> {
    let long = "答".repeat(2001);
    let mut out = vec![(
        "answer of 2001 chars".to_string(),
        set(good, "answer", &long),
    )];
    match kind {
        QuestionKind::Choice => {
            out.push((
                "answer not an option".into(),
                set(good, "answer", "' OR 1=1 --"),
            ));
            out.push(("empty choice".into(), set(good, "answer", "")));
            out.push(("missing choice".into(), without(good, "answer")));
            out.push((
                "choice with give_up".into(),
                set(&set(good, "answer", ""), "give_up", "1"),
            ));
            out.push((
                "script as choice".into(),
                set(good, "answer", "<script>alert(7)</script>"),
            ));
        }
        QuestionKind::TrueFalse => {
            out.push(("true/false: maybe".into(), set(good, "answer", "maybe")));
            out.push(("true/false: TRUE".into(), set(good, "answer", "TRUE")));
            out.push(("true/false: 1".into(), set(good, "answer", "1")));
            out.push(("true/false: empty".into(), set(good, "answer", "")));
        }
        QuestionKind::Fill => {
            let no_give_up = without(good, "give_up");
            out.push(("fill: empty".into(), set(&no_give_up, "answer", "")));
            out.push(("fill: blanks".into(), set(&no_give_up, "answer", "   ")));
            out.push(("fill: missing".into(), without(&no_give_up, "answer")));
        }
        QuestionKind::Recall => {
            out.push(("recall: no grade".into(), without(good, "grade")));
            out.push(("recall: grade 0".into(), set(good, "grade", "0")));
            out.push(("recall: grade 5".into(), set(good, "grade", "5")));
            out.push(("recall: grade 300".into(), set(good, "grade", "300")));
            out.push(("recall: grade -1".into(), set(good, "grade", "-1")));
            out.push(("recall: grade abc".into(), set(good, "grade", "abc")));
        }
    }
    out
}

pub fn add(c: &mut Corpus) {
    let ctx = c.ctx;
    let a_first = ctx.a_first();
    let a_last = ctx.a_last();
    let b_last = ctx.b_last();
    let alice = Who::Alice;
    let bob = Who::Bob;
    let big = big();
    let q = &ctx.alice_q;

    // 3a. /quiz/answer: forged, tampered, foreign and used-up tokens, with an otherwise valid
    //     answer; and invalid answers with a valid token.
    let mut answer_cases: Vec<(String, Vec<(String, String)>)> = vec![
        ("forged token".into(), set(q, "token", &"0".repeat(40))),
        ("token deadbeef".into(), set(q, "token", "deadbeef")),
        ("empty token".into(), set(q, "token", "")),
        (
            "token upper-cased".into(),
            set(q, "token", &field(q, "token").to_uppercase()),
        ),
        (
            "token + 1 char".into(),
            set(q, "token", &format!("{}0", field(q, "token"))),
        ),
        (
            "token of Bob's question".into(),
            set(q, "token", &field(&ctx.bob_q, "token")),
        ),
        (
            "Bob's concept".into(),
            set(q, "concept", &field(&ctx.bob_q, "concept")),
        ),
        (
            "Bob's card".into(),
            set(q, "card", &field(&ctx.bob_q, "card")),
        ),
        (
            "version + 1".into(),
            set(
                q,
                "version",
                &(field(q, "version").parse::<i64>().unwrap() + 1).to_string(),
            ),
        ),
        ("version -1".into(), set(q, "version", "-1")),
        ("mode practice".into(), set(q, "mode", "practice")),
        ("duplicate token".into(), {
            let mut f = q.clone();
            f.push(("token".into(), field(q, "token")));
            f
        }),
        ("duplicate answer".into(), {
            let mut f = q.clone();
            f.push(("answer".into(), "x".into()));
            f
        }),
        ("missing concept".into(), without(q, "concept")),
        ("missing card".into(), without(q, "card")),
        ("missing version".into(), without(q, "version")),
        ("missing token".into(), without(q, "token")),
        ("100 KB answer".into(), set(q, "answer", &big)),
        ("shown_at letters".into(), set(q, "shown_at", "abc")),
        (
            "shown_at huge".into(),
            set(q, "shown_at", "99999999999999999999"),
        ),
        ("grade letters".into(), set(q, "grade", "abc")),
        ("grade 256".into(), set(q, "grade", "256")),
        ("give_up twice".into(), {
            let mut f = set(q, "give_up", "1");
            f.push(("give_up".into(), "1".into()));
            f
        }),
    ];
    for v in NUMBERS {
        answer_cases.push((format!("version {v:?}"), set(q, "version", v)));
    }
    for s in SQLI.iter().chain(HTML) {
        answer_cases.push((format!("concept {s:?}"), set(q, "concept", s)));
        answer_cases.push((format!("card {s:?}"), set(q, "card", s)));
        answer_cases.push((format!("token {s:?}"), set(q, "token", s)));
    }
    answer_cases.extend(invalid_answers(ctx.alice_kind, q));
    for (kind, f) in &ctx.alice_practice {
        for (label, bad) in invalid_answers(*kind, f) {
            answer_cases.push((format!("practice {kind:?}: {label}"), bad));
        }
    }
    for (label, f) in &answer_cases {
        c.post_refused(
            &format!("answer, {label}, as Alice"),
            alice,
            "/quiz/answer",
            f,
        );
    }
    // A used-up token is a question answered already: she lands on the answer recorded then
    // and nothing is written (issue 20 §1), which the dump at the end holds it to.
    let used_up = set(&ctx.alice_old, "csrf", &ctx.csrf_alice);
    for (label, f) in [
        ("used-up token", used_up.clone()),
        (
            "used-up token, version moved on",
            set(&used_up, "version", &field(q, "version")),
        ),
    ] {
        let body = form(&f);
        let label = format!("answer, {label}, as Alice");
        c.post_body(
            &label,
            alice,
            "/quiz/answer",
            Some(FORM),
            &body,
            Expect::Any,
        );
    }
    // Alice's valid question sent by Bob (with his own csrf), and by anonymous visitors
    let as_bob = set(q, "csrf", &ctx.csrf_bob);
    c.post_refused("Alice's question as Bob", bob, "/quiz/answer", &as_bob);
    let as_bob = set(&as_bob, "token", &field(&ctx.bob_q, "token"));
    c.post_refused(
        "Alice's question with Bob's token as Bob",
        bob,
        "/quiz/answer",
        &as_bob,
    );
    for who in [Who::Anon, Who::Nobody, Who::Forged] {
        let f = set(q, "csrf", &ctx.csrf(who));
        c.post_refused(
            &format!("Alice's question as {who:?}"),
            who,
            "/quiz/answer",
            &f,
        );
    }

    // 3b. Undo and re-grade: other learners' reviews, old reviews, absurd ids and ratings.
    let mut review_ids: Vec<(String, String)> = vec![
        ("Bob's latest review".into(), b_last.to_string()),
        ("Bob's first review".into(), ctx.bob_ids[0].to_string()),
        ("Alice's first review".into(), a_first.to_string()),
        ("review 0".into(), "0".into()),
        ("review -1".into(), "-1".into()),
        ("review i64::MAX".into(), i64::MAX.to_string()),
        ("review i64::MIN".into(), i64::MIN.to_string()),
    ];
    for v in NUMBERS {
        review_ids.push((format!("review {v:?}"), v.to_string()));
    }
    for s in SQLI {
        review_ids.push((format!("review {s:?}"), format!("{a_last} {s}")));
        review_ids.push((format!("review {s:?} alone"), s.to_string()));
    }
    for (label, id) in &review_ids {
        c.post_refused(
            &format!("undo {label} as Alice"),
            alice,
            "/quiz/undo",
            &kv(&[("csrf", &ctx.csrf_alice), ("review", id)]),
        );
        for rating in ["4", "2"] {
            c.post_refused(
                &format!("regrade {label} to {rating} as Alice"),
                alice,
                "/quiz/regrade",
                &kv(&[
                    ("csrf", &ctx.csrf_alice),
                    ("review", id),
                    ("rating", rating),
                ]),
            );
        }
    }
    // Bob goes after Alice's latest review (which Alice herself could undo)
    for (path, extra) in [
        ("/quiz/undo", None),
        ("/quiz/regrade", Some("4")),
        ("/quiz/regrade", Some("2")),
    ] {
        let mut f = kv(&[("csrf", &ctx.csrf_bob), ("review", &a_last.to_string())]);
        if let Some(r) = extra {
            f.push(("rating".into(), r.into()));
        }
        c.post_refused("Alice's latest review as Bob", bob, path, &f);
        let mut f = set(&f, "learner_id", "1");
        f.push(("learner".into(), "alice".into()));
        c.post_refused("Alice's latest review as Bob, learner_id=1", bob, path, &f);
    }
    // Alice's own latest review with ratings that are not allowed
    for rating in [
        "1",
        "3",
        "5",
        "0",
        "-4",
        "abc",
        "256",
        "",
        "99999999999999999999",
    ] {
        c.post_refused(
            &format!("regrade own latest to {rating:?}"),
            alice,
            "/quiz/regrade",
            &kv(&[
                ("csrf", &ctx.csrf_alice),
                ("review", &a_last.to_string()),
                ("rating", rating),
            ]),
        );
    }
    c.post_refused(
        "regrade own latest, no rating",
        alice,
        "/quiz/regrade",
        &kv(&[("csrf", &ctx.csrf_alice), ("review", &a_last.to_string())]),
    );
    c.post_refused(
        "undo own latest, review twice",
        alice,
        "/quiz/undo",
        &kv(&[
            ("csrf", &ctx.csrf_alice),
            ("review", &a_last.to_string()),
            ("review", &a_last.to_string()),
        ]),
    );
    for who in [Who::Anon, Who::Nobody, Who::Forged] {
        let f = kv(&[("csrf", &ctx.csrf(who)), ("review", &a_last.to_string())]);
        c.post_refused(
            &format!("undo Alice's latest as {who:?}"),
            who,
            "/quiz/undo",
            &f,
        );
        let f = set(&f, "rating", "4");
        c.post_refused(
            &format!("regrade Alice's latest as {who:?}"),
            who,
            "/quiz/regrade",
            &f,
        );
    }
}

/// `shown_at` carries a signature (security review L4): any other value, extreme or plain, is
/// refused with a clear 400 and records nothing, so answer times cannot be forged.
#[tokio::test]
async fn forged_shown_at_values_are_refused_and_record_nothing() {
    let app = spawn_app().await;
    app.learner("timer", &["palm"]).await;
    let now_ms = chrono::Utc::now().timestamp_millis();
    let values = [
        i64::MIN.to_string(),
        (i64::MIN + 1).to_string(),
        (-now_ms).to_string(),
        "-1".into(),
        "0".into(),
        (now_ms - 3_600_000).to_string(),
        (now_ms + 3_600_000).to_string(),
        i64::MAX.to_string(),
        format!("{now_ms}.0000000000000000000000000000000000000000"),
    ];
    let mut failures = Vec::new();
    for v in values {
        let q = app.get("/quiz").await;
        let f = set(&answer_fields(&q), "shown_at", &v);
        let res = app.post_answer(&f).await;
        if res.status != 400 || !res.body.contains("显示时间不对") {
            failures.push(format!("shown_at={v}: status {}, expected 400", res.status));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    app.assert_count("SELECT COUNT(*) FROM reviews", 0).await;
    // The page's own value is accepted.
    let (_, fb) = app.submit(&app.some_answer().await).await;
    assert_eq!(fb.status, 200);
    app.assert_count("SELECT COUNT(*) FROM reviews", 1).await;
}
