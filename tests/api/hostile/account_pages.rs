//! The pages that write for a learner: Alice's real export uploaded to /import by everyone with a
//! bad token (nothing may be imported), and `account_pages_survive_garbage`: /settings and
//! /import with absurd values and bent export files from the learner herself.

use super::*;

pub fn add(c: &mut Corpus) {
    let ctx = c.ctx;

    // Alice's real export uploaded to /import with a forged, foreign or missing token, by
    //    everyone: nothing may be imported into anyone's account.
    {
        let ct = format!("multipart/form-data; boundary={BOUNDARY}");
        for who in EVERYONE {
            for (label, token) in [
                ("forged", Some("deadbeef".repeat(5))),
                ("foreign", Some(ctx.other_csrf(who))),
                ("no", None),
            ] {
                let fields: Vec<(&str, &str)> = match &token {
                    Some(t) => vec![("csrf", t.as_str())],
                    None => Vec::new(),
                };
                let body = upload(&fields, "file", "paperdeck.json", &ctx.alice_export);
                let req = ctx.request(who, "POST", b"/import", Some(&ct), &body);
                c.add(
                    format!("import Alice's export with {label} csrf as {who:?}"),
                    who,
                    req,
                    Expect::Reject,
                );
            }
        }
    }
}

/// Rewrites every leaf of a JSON document.
fn mutate(
    v: &serde_json::Value,
    f: &dyn Fn(&serde_json::Value) -> Option<serde_json::Value>,
) -> serde_json::Value {
    use serde_json::Value;
    if let Some(new) = f(v) {
        return new;
    }
    match v {
        Value::Array(a) => Value::Array(a.iter().map(|x| mutate(x, f)).collect()),
        Value::Object(o) => {
            Value::Object(o.iter().map(|(k, x)| (k.clone(), mutate(x, f))).collect())
        }
        other => other.clone(),
    }
}

type JsonMap = serde_json::Map<String, serde_json::Value>;
type LeafMutation = Box<dyn Fn(&serde_json::Value) -> Option<serde_json::Value>>;

/// Changes the shape of a JSON document: arrays and objects.
fn reshape(
    v: &serde_json::Value,
    arrays: &dyn Fn(&[serde_json::Value]) -> Vec<serde_json::Value>,
    objects: &dyn Fn(&JsonMap) -> JsonMap,
) -> serde_json::Value {
    use serde_json::Value;
    match v {
        Value::Array(a) => {
            let inner: Vec<Value> = a.iter().map(|x| reshape(x, arrays, objects)).collect();
            Value::Array(arrays(&inner))
        }
        Value::Object(o) => {
            let inner = o
                .iter()
                .map(|(k, x)| (k.clone(), reshape(x, arrays, objects)))
                .collect();
            Value::Object(objects(&inner))
        }
        other => other.clone(),
    }
}

/// `/settings`, `/settings/*`, `/export/*` and `/import` with absurd values and files, sent by
/// the learner herself with a valid token. These may write (that is what they are for), so the
/// only demands are: never a 500 or a panic, the learner's pages keep working afterwards, the
/// other learner's rows are untouched, and the database stays sound.
#[tokio::test]
async fn account_pages_survive_garbage() {
    use serde_json::{json, Value};
    let started = Instant::now();
    let app = spawn_app().await;
    let alice = app.other_browser();
    assert_eq!(alice.signup("alice", PW).await.status, 303);
    let csrf = alice.get("/papers/chinchilla").await.csrf();
    assert_eq!(
        alice
            .post("/papers/chinchilla/read", &[("csrf", &csrf)])
            .await
            .status,
        303
    );
    answer_some(&alice, 4).await;
    let bob = app.other_browser();
    assert_eq!(bob.signup("bob", PW).await.status, 303);
    let csrf_bob = bob.get("/papers/qlora").await.csrf();
    assert_eq!(
        bob.post("/papers/qlora/read", &[("csrf", &csrf_bob)])
            .await
            .status,
        303
    );
    answer_some(&bob, 3).await;
    let bob_before = rows_of(&app, 2).await;

    let cookie = alice.cookie_header();
    let port = app.port;
    let mut histogram: BTreeMap<String, usize> = BTreeMap::new();
    let mut failures: Vec<String> = Vec::new();
    let mut count = 0usize;
    let verbose = std::env::var_os("HOSTILE_VERBOSE").is_some();
    let mut send = async |label: String,
                          method: &str,
                          target: &str,
                          ct: Option<&str>,
                          body: Vec<u8>|
           -> Option<Raw> {
        count += 1;
        let req = raw_request(
            port,
            Some(&cookie),
            method,
            target.as_bytes(),
            ct,
            &body,
            &[],
        );
        match send_raw(port, req).await {
            Err(e) => {
                *histogram.entry("no response".into()).or_default() += 1;
                failures.push(format!("{label}: no response: {e}"));
                None
            }
            Ok(r) => {
                *histogram.entry(r.status.to_string()).or_default() += 1;
                if verbose {
                    println!("{} {label}", r.status);
                }
                let body = String::from_utf8_lossy(&r.body);
                if r.status >= 500 {
                    failures.push(format!(
                        "{label}: status {} ({})",
                        r.status,
                        cut(&body, 200)
                    ));
                } else {
                    // Downloads (JSON, CSV) carry her own strings verbatim; pages must not.
                    let html = r
                        .header("content-type")
                        .is_some_and(|c| c.starts_with("text/html"));
                    let bad = NEVER_IN_BODY
                        .iter()
                        .filter(|s| html || **s == "panicked" || s.starts_with("$argon2"))
                        .find(|s| body.contains(**s));
                    if let Some(bad) = bad {
                        failures.push(format!(
                            "{label}: status {}, body contains {bad:?}",
                            r.status
                        ));
                    }
                }
                Some(r)
            }
        }
    };
    let csrf = alice.get("/papers/chinchilla").await.csrf();

    // Pages a learner reads; checked again after every change that was accepted.
    let pages = [
        "/",
        "/quiz",
        "/quiz?mode=practice",
        "/progress",
        "/settings",
        "/export",
        "/export/paperdeck.json",
        "/export/revlog.csv",
        "/export/cards.csv",
        "/papers/chinchilla",
    ];

    // 1. Settings: every field in turn takes absurd values; the rest stay valid.
    let base = [
        ("desired_retention", "90"),
        ("new_per_day", "5"),
        ("max_reviews_per_day", "50"),
        ("timezone", "Asia/Shanghai"),
        ("rollover_hour", "4"),
    ];
    let big = "9".repeat(100 * 1024);
    let mut values: Vec<String> = [
        "",
        "   ",
        "abc",
        "NaN",
        "inf",
        "-inf",
        "1e309",
        "1e-400",
        "-0",
        "-1",
        "0",
        "1",
        "0.5",
        "0.8",
        "0.97",
        "97.4",
        "80",
        "96.5%",
        "%",
        "99999999999999999999",
        "-99999999999999999999",
        "9223372036854775807",
        "-9223372036854775808",
        "0x10",
        "１",
        "5\0",
        "Pacific/Kiritimati",
        "Etc/GMT+12",
        "Etc/GMT-14",
        "../../etc/passwd",
        "Mars/Olympus",
        "UTC\0",
        "+08:00",
        "posix/Asia/Shanghai",
        "asia/shanghai",
        "Factory",
        "EST5EDT",
        "23",
        "24",
        "1000",
        "1001",
        "50",
        "51",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    values.extend(SQLI.iter().chain(HTML).map(|s| s.to_string()));
    values.push(big.clone());
    values.push("x".repeat(60 * 1024));
    let mut accepted = 0;
    for (field, _) in base {
        for v in &values {
            let mut f = kv(&[("csrf", &csrf)]);
            f.extend(base.iter().map(|(k, d)| {
                (
                    k.to_string(),
                    if *k == field {
                        v.clone()
                    } else {
                        d.to_string()
                    },
                )
            }));
            let label = format!("settings {field}={:?}", cut(v, 30));
            let r = send(label.clone(), "POST", "/settings", Some(FORM), form(&f)).await;
            if r.is_some_and(|r| r.status == 303) {
                accepted += 1;
                for p in pages {
                    send(format!("{p} after {label}"), "GET", p, None, Vec::new()).await;
                }
            }
        }
    }
    // extreme but valid combinations, then the pages
    for (tz, hour, retention, new, max) in [
        ("Pacific/Kiritimati", "23", "97", "50", "1000"),
        ("Etc/GMT+12", "0", "80", "0", "1"),
        ("UTC", "23", "0.8", "0", "1000"),
    ] {
        let f = kv(&[
            ("csrf", &csrf),
            ("desired_retention", retention),
            ("new_per_day", new),
            ("max_reviews_per_day", max),
            ("timezone", tz),
            ("rollover_hour", hour),
        ]);
        send(
            format!("settings {tz} {hour}h"),
            "POST",
            "/settings",
            Some(FORM),
            form(&f),
        )
        .await;
        for p in pages {
            send(
                format!("{p} after settings {tz} {hour}h"),
                "GET",
                p,
                None,
                Vec::new(),
            )
            .await;
        }
    }
    for (label, body) in [
        ("missing fields", form(&kv(&[("csrf", &csrf)]))),
        ("duplicate fields", {
            let mut f = kv(&[("csrf", &csrf)]);
            f.extend(base.iter().map(|(k, v)| (k.to_string(), v.to_string())));
            f.extend(base.iter().map(|(k, v)| (k.to_string(), v.to_string())));
            form(&f)
        }),
        ("invalid UTF-8", {
            let mut b = form(&kv(&[("csrf", &csrf)]));
            b.extend_from_slice(b"&timezone=\xff\xfe&rollover_hour=\xc3\x28&new_per_day=%FF&max_reviews_per_day=%ZZ&desired_retention=%");
            b
        }),
    ] {
        send(
            format!("settings, {label}"),
            "POST",
            "/settings",
            Some(FORM),
            body,
        )
        .await;
    }
    for path in ["/settings/optimise", "/settings/reset-params"] {
        for body in [
            form(&kv(&[("csrf", &csrf)])),
            form(&kv(&[("csrf", "forged")])),
            form(&kv(&[("csrf", &csrf), ("params", "[1e309, NaN]")])),
            b"csrf=%ZZ\xff".to_vec(),
        ] {
            send(path.to_string(), "POST", path, Some(FORM), body).await;
        }
        send(
            format!("{path} as JSON"),
            "POST",
            path,
            Some("application/json"),
            b"{\"csrf\": 1}".to_vec(),
        )
        .await;
    }
    for q in [
        "/settings?saved=abc",
        "/settings?saved=99999999999999999999",
        "/export/paperdeck.json?x=%ZZ",
        "/export/revlog.csv?%FF",
        "/export/../Cargo.toml",
        "/export/%2e%2e%2fCargo.toml",
        "/export/paperdeck.json/",
        "/export/nope.json",
        "/progress?concept=%ZZ&days=-1&from=99999999999999999999",
    ] {
        send(format!("GET {q}"), "GET", q, None, Vec::new()).await;
    }

    // 2. Import: files that are not exports, exports bent out of shape, other learners' data.
    let own = alice.get("/export/paperdeck.json").await;
    let bob_export = bob.get("/export/paperdeck.json").await;
    // The bent files below are made from these: if either were not JSON the cases would all
    // collapse into `{}`, so an export that does not parse fails the test here.
    let export: Value = serde_json::from_str(&own.body)
        .unwrap_or_else(|e| panic!("Alice's export ({}) is not JSON: {e}", own.status));
    let bob_export: Value = serde_json::from_str(&bob_export.body)
        .unwrap_or_else(|e| panic!("Bob's export ({}) is not JSON: {e}", bob_export.status));
    let mut files: Vec<(String, Vec<u8>)> = vec![
        ("empty file".into(), Vec::new()),
        ("{}".into(), b"{}".to_vec()),
        ("[]".into(), b"[]".to_vec()),
        ("null".into(), b"null".to_vec()),
        ("a string".into(), b"\"export\"".to_vec()),
        (
            "truncated".into(),
            own.body.as_bytes()[..own.body.len() / 2].to_vec(),
        ),
        (
            "invalid UTF-8".into(),
            b"{\"version\": \"\xff\xfe\"}".to_vec(),
        ),
        (
            "binary".into(),
            (0..=255u8).cycle().take(64 * 1024).collect(),
        ),
        ("100 000 nested arrays".into(), {
            let mut b = vec![b'['; 100_000];
            b.extend(vec![b']'; 100_000]);
            b
        }),
        (
            "a 1 MB number".into(),
            format!("{{\"n\": {}}}", "9".repeat(1024 * 1024)).into_bytes(),
        ),
        ("a CSV".into(), b"id,answer\n1,' OR 1=1 --\n".to_vec()),
        (
            "own export, unchanged".into(),
            own.body.clone().into_bytes(),
        ),
        ("own export, twice".into(), own.body.clone().into_bytes()),
        (
            "Bob's export".into(),
            serde_json::to_vec(&bob_export).unwrap(),
        ),
        ("over 20 MB".into(), vec![b' '; 21 * 1024 * 1024]),
    ];
    let leaf_mutations: Vec<(&str, LeafMutation)> = vec![
        (
            "every integer -1",
            Box::new(|v: &Value| v.is_i64().then(|| json!(-1))),
        ),
        (
            "every integer i64::MAX",
            Box::new(|v: &Value| v.is_i64().then(|| json!(i64::MAX))),
        ),
        (
            "every integer i64::MIN",
            Box::new(|v: &Value| v.is_i64().then(|| json!(i64::MIN))),
        ),
        (
            "every number 1e300",
            Box::new(|v: &Value| v.is_number().then(|| json!(1e300))),
        ),
        (
            "every number -1.5",
            Box::new(|v: &Value| v.is_number().then(|| json!(-1.5))),
        ),
        (
            "every number 0",
            Box::new(|v: &Value| v.is_number().then(|| json!(0))),
        ),
        (
            "every number a string",
            Box::new(|v: &Value| v.is_number().then(|| json!(v.to_string()))),
        ),
        (
            "every string SQL",
            Box::new(|v: &Value| v.is_string().then(|| json!(SQLI[1]))),
        ),
        (
            "every string HTML",
            Box::new(|v: &Value| v.is_string().then(|| json!(HTML[1]))),
        ),
        (
            "every string empty",
            Box::new(|v: &Value| v.is_string().then(|| json!(""))),
        ),
        (
            "every string 100 KB",
            Box::new(|v: &Value| v.is_string().then(|| json!("字".repeat(35_000)))),
        ),
        (
            "every string a number",
            Box::new(|v: &Value| v.is_string().then(|| json!(7))),
        ),
        (
            "every null 99999",
            Box::new(|v: &Value| v.is_null().then(|| json!(99999))),
        ),
        (
            "every bool flipped",
            Box::new(|v: &Value| v.as_bool().map(|b| json!(!b))),
        ),
        (
            "every leaf null",
            Box::new(|v: &Value| (!v.is_array() && !v.is_object()).then_some(Value::Null)),
        ),
    ];
    for (label, f) in &leaf_mutations {
        files.push((
            format!("own export, {label}"),
            serde_json::to_vec(&mutate(&export, f.as_ref())).unwrap(),
        ));
    }
    let keep = |o: &serde_json::Map<String, Value>| o.clone();
    let same = |a: &[Value]| a.to_vec();
    let shapes: Vec<(&str, Value)> = vec![
        (
            "every array doubled",
            reshape(&export, &|a| a.iter().chain(a).cloned().collect(), &keep),
        ),
        (
            "every array empty",
            reshape(&export, &|_| Vec::new(), &keep),
        ),
        (
            "every array x200",
            reshape(
                &export,
                &|a| a.iter().cycle().take(a.len() * 200).cloned().collect(),
                &keep,
            ),
        ),
        (
            "every object without its first key",
            reshape(&export, &same, &|o| {
                o.iter()
                    .skip(1)
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect()
            }),
        ),
        (
            "every object with learner_id 2 and id 1",
            reshape(&export, &same, &|o| {
                let mut o = o.clone();
                o.insert("learner_id".into(), json!(2));
                o.insert("id".into(), json!(1));
                o
            }),
        ),
        (
            "every object empty",
            reshape(&export, &same, &|_| serde_json::Map::new()),
        ),
        (
            "Bob's export, every integer -1",
            mutate(&bob_export, &|v: &Value| v.is_i64().then(|| json!(-1))),
        ),
    ];
    for (label, v) in shapes {
        files.push((
            format!("own export, {label}"),
            serde_json::to_vec(&v).unwrap(),
        ));
    }
    let mut imported = 0;
    for (label, file) in &files {
        let body = upload(&[("csrf", &csrf)], "file", "paperdeck.json", file);
        let ct = format!("multipart/form-data; boundary={BOUNDARY}");
        let r = send(
            format!("import {label}"),
            "POST",
            "/import",
            Some(&ct),
            body,
        )
        .await;
        if r.is_some_and(|r| r.status < 400) {
            imported += 1;
            for p in pages {
                send(
                    format!("{p} after import {label}"),
                    "GET",
                    p,
                    None,
                    Vec::new(),
                )
                .await;
            }
        }
    }
    // broken uploads
    let ct = format!("multipart/form-data; boundary={BOUNDARY}");
    let own_bytes = own.body.as_bytes();
    for (label, body, content_type) in [
        (
            "no file part",
            upload(&[("csrf", &csrf)], "other", "x.json", b"{}"),
            ct.clone(),
        ),
        (
            "no csrf part",
            upload(&[], "file", "x.json", own_bytes),
            ct.clone(),
        ),
        (
            "file name traversal",
            upload(&[("csrf", &csrf)], "file", "../../../etc/passwd", b"{}"),
            ct.clone(),
        ),
        (
            "two file parts",
            {
                let mut b = upload(&[("csrf", &csrf)], "file", "a.json", b"{}");
                b.extend(upload(&[], "file", "b.json", b"[]"));
                b
            },
            ct.clone(),
        ),
        (
            "two csrf parts",
            upload(&[("csrf", &csrf), ("csrf", &csrf)], "file", "a.json", b"{}"),
            ct.clone(),
        ),
        (
            "wrong boundary",
            upload(&[("csrf", &csrf)], "file", "a.json", b"{}"),
            "multipart/form-data; boundary=nope".to_string(),
        ),
        (
            "no boundary",
            upload(&[("csrf", &csrf)], "file", "a.json", b"{}"),
            "multipart/form-data".to_string(),
        ),
        (
            "unterminated",
            upload(&[("csrf", &csrf)], "file", "a.json", b"{}")[..60].to_vec(),
            ct.clone(),
        ),
        ("garbage", b"--\r\n\r\n--\xff\xfe".to_vec(), ct.clone()),
        (
            "part without a name",
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data\r\n\r\nx\r\n--{BOUNDARY}--\r\n"
            )
            .into_bytes(),
            ct.clone(),
        ),
        (
            "10 000 parts",
            {
                let mut b = Vec::new();
                for i in 0..10_000 {
                    b.extend_from_slice(format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"f{i}\"\r\n\r\nx\r\n").as_bytes());
                }
                b.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
                b
            },
            ct.clone(),
        ),
    ] {
        send(
            format!("import, {label}"),
            "POST",
            "/import",
            Some(&content_type),
            body,
        )
        .await;
    }

    for p in pages {
        send(format!("{p} at the end"), "GET", p, None, Vec::new()).await;
    }
    // every review of Alice's has a feedback page that works
    let ids: Vec<i64> = {
        let pool = app.db().await;
        let ids = sqlx::query_scalar("SELECT id FROM reviews WHERE learner_id = 1 ORDER BY id")
            .fetch_all(&pool)
            .await
            .expect("ids");
        if crate::common::app::backend() == crate::common::app::Backend::Sqlite {
            let ok: Vec<String> = sqlx::query_scalar("PRAGMA integrity_check")
                .fetch_all(&pool)
                .await
                .expect("integrity");
            assert_eq!(ok, ["ok"]);
        }
        pool.close().await;
        ids
    };
    for id in ids.iter().take(200) {
        let p = format!("/quiz/feedback/{id}");
        send(format!("{p} at the end"), "GET", &p, None, Vec::new()).await;
    }

    let bob_after = rows_of(&app, 2).await;
    println!(
        "account pages: {count} requests ({accepted} settings saved, {imported} imports accepted) in {:.1} s; status histogram: {}",
        started.elapsed().as_secs_f64(),
        histogram_line(&histogram)
    );
    assert!(
        failures.is_empty(),
        "{} of {count} requests to the account pages failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert_eq!(
        bob_before, bob_after,
        "Alice's imports and settings changed Bob's rows"
    );
}
