//! Paths and query strings: queries on the pages that read them, review ids in the feedback
//! path, traversal on /static, raw bytes and broken percent-encoding.

use super::*;

pub fn add(c: &mut Corpus) {
    let ctx = c.ctx;
    let a_last = ctx.a_last();
    let b_last = ctx.b_last();
    let alice = Who::Alice;
    let bob = Who::Bob;
    let big = big();

    // 4. Query strings on the pages that read them: who asks, what they must get, the targets.
    let queries: &[(Who, Expect, &[&str])] = &[
        (
            alice,
            Expect::Reject,
            &[
                "/papers/chinchilla?read=99999999999999999999",
                "/papers/chinchilla?read=-1",
                "/papers/chinchilla?read=256",
                "/papers/chinchilla?read=1&read=1",
                "/quiz?undone=abc",
                "/quiz?undone=-1",
                "/quiz?undone=99999999999999999999",
                "/quiz?concept=",
                "/quiz?concept=no-such",
                "/quiz?concept=rlhf",
                "/quiz?concept=lora",
                "/quiz?concept=compute-optimal&concept=lora",
                "/quiz?concept=%ZZ",
                "/quiz?concept=%FF%FE",
                "/quiz?concept=compute-optimal%00",
                "/quiz?mode=practice&concept=no-such",
                "/quiz?mode=practice&concept=rlhf",
            ],
        ),
        (
            alice,
            Expect::Any,
            &[
                "/papers/chinchilla?read=1",
                "/quiz?mode=",
                "/quiz?mode=%ZZ",
                "/quiz?mode=%FF",
                "/quiz?mode=practice&mode=normal",
            ],
        ),
        (bob, Expect::Reject, &["/quiz?concept=compute-optimal"]),
        (
            Who::Anon,
            Expect::Reject,
            &["/papers/chinchilla?read=abc", "/quiz?concept=lora"],
        ),
        (Who::Forged, Expect::Reject, &["/quiz?mode=practice"]),
        (
            Who::Anon,
            Expect::Any,
            &[
                "/signup?next=//evil.example/",
                "/signup?next=%2F%2Fevil.example",
                "/login?next=javascript:alert(7)",
                "/login?next=%0d%0aSet-Cookie:%20x=1",
                "/login?next=/%5Cevil.example",
                "/login?next=%ZZ",
                "/login?next=%FF",
                "/papers?%FF=%FE",
            ],
        ),
        (
            Who::Nobody,
            Expect::Any,
            &["/?a=%ZZ&&&=&", "/static/style.css?v=%ZZ", "/healthz?x=%00"],
        ),
    ];
    for (who, expect, targets) in queries {
        for target in *targets {
            c.get("query", *who, target, *expect);
        }
    }
    for s in SQLI.iter().chain(HTML) {
        let e = urlencode(s);
        for (who, target, expect) in [
            (alice, format!("/quiz?concept={e}"), Expect::Reject),
            (alice, format!("/quiz?mode={e}"), Expect::Any),
            (Who::Anon, format!("/login?next={e}"), Expect::Any),
            (Who::Anon, format!("/signup?next={e}"), Expect::Any),
        ] {
            c.get("sql/html in query", who, &target, expect);
        }
        for (who, target) in [
            (Who::Anon, format!("/papers/{e}")),
            (Who::Anon, format!("/concepts/{e}")),
            (alice, format!("/quiz/feedback/{e}")),
            (Who::Anon, format!("/static/{e}")),
        ] {
            c.get("sql/html in path", who, &target, Expect::Reject);
        }
    }
    c.get(
        "100 KB query",
        alice,
        &format!("/quiz?concept={big}"),
        Expect::Reject,
    );
    c.get(
        "100 KB query",
        Who::Anon,
        &format!("/login?next=/{big}"),
        Expect::Reject,
    );
    c.get(
        "10 KB query",
        Who::Anon,
        &format!("/login?next=/{}", "n".repeat(10_000)),
        Expect::Any,
    );

    // 5. Review ids in the feedback path: others', absurd, broken.
    for id in [
        b_last.to_string(),
        ctx.bob_ids[0].to_string(),
        "0".into(),
        "-1".into(),
        i64::MAX.to_string(),
        i64::MIN.to_string(),
        "99999999999999999999".into(),
        "abc".into(),
        "1.5".into(),
        "1e3".into(),
        "0x10".into(),
        "%ZZ".into(),
        "%FF".into(),
        "1%00".into(),
        format!("{a_last}%20OR%201=1"),
        format!("{a_last};DROP%20TABLE%20reviews"),
        format!("{a_last}/"),
        format!("{a_last}/../{b_last}"),
    ] {
        c.get(
            "feedback id",
            alice,
            &format!("/quiz/feedback/{id}"),
            Expect::Reject,
        );
    }
    let alices = format!("/quiz/feedback/{a_last}");
    for who in [bob, Who::Forged, Who::Nobody] {
        c.get("feedback of Alice's review", who, &alices, Expect::Reject);
    }

    // 6. Path traversal and odd names on /static, raw bytes, broken percent-encoding.
    let traversal: &[&[u8]] = &[
        b"/static/../Cargo.toml",
        b"/static/../../Cargo.toml",
        b"/static/%2e%2e%2fCargo.toml",
        b"/static/%2e%2e/Cargo.toml",
        b"/static/%2E%2E%2F%2E%2E%2FCargo.toml",
        b"/static/..%2fCargo.toml",
        b"/static/..%2f..%2fCargo.toml",
        b"/static/..%5cCargo.toml",
        b"/static/..\\Cargo.toml",
        b"/static/%2e%2e%5c%2e%2e%5cCargo.toml",
        b"/static/%252e%252e%252fCargo.toml",
        b"/static/%c0%ae%c0%ae%2fCargo.toml",
        b"/static/.%2e/.%2e/Cargo.toml",
        b"/static/....//....//Cargo.toml",
        b"/static/style.css/../../Cargo.toml",
        b"/static//etc/passwd",
        b"/static/%2fetc%2fpasswd",
        b"/static/%00",
        b"/static/style.css%00",
        b"/static/style.css%00.js",
        b"/static/..%00/Cargo.toml",
        b"/static/\x00",
        b"/static/",
        b"/static",
        b"/static/.",
        b"/static/..",
        b"/static/%2e",
        b"/static/../src/main.rs",
        b"/static/../../../../../../etc/passwd",
        b"/../Cargo.toml",
        b"/%2e%2e/Cargo.toml",
        b"/static/STYLE.CSS",
        b"/static/style.css.map",
        b"/static/%73tyle.css%3F",
    ];
    for t in traversal {
        for who in [Who::Nobody, alice] {
            let req = ctx.request(who, "GET", t, None, b"");
            c.add(
                format!("traversal {} as {who:?}", String::from_utf8_lossy(t)),
                who,
                req,
                Expect::Reject,
            );
        }
    }
    let odd_paths: &[&[u8]] = &[
        b"/papers/\xff\xfe",
        b"/papers/%ZZ",
        b"/papers/%",
        b"/papers/%F",
        b"/papers/%FF%FE",
        b"/papers/chinchilla%00",
        b"/papers/chinchilla/",
        b"/papers//chinchilla",
        b"/concepts/\xc3\x28",
        b"/concepts/%ZZ",
        b"/concepts/rlhf%2F..%2F..",
        b"/quiz/feedback/\xff",
        b"/quiz/feedback/%ZZ",
        b"/quiz/feedback/",
        b"/quiz/feedback",
        b"/quiz/undo/1",
        b"/quiz/answer/",
        b"/papers/chinchilla/read/",
        b"/\xff",
        b"/%ZZ",
        b"*",
        b"//papers",
        b"/papers?\xff=\xfe",
        b"/quiz?concept=\xff\xfe",
    ];
    for t in odd_paths {
        for (who, m) in [(alice, "GET"), (Who::Nobody, "GET"), (alice, "POST")] {
            let body = if m == "POST" {
                form(&kv(&[("csrf", &ctx.csrf_alice)]))
            } else {
                Vec::new()
            };
            let ct = (m == "POST").then_some(FORM);
            let req = ctx.request(who, m, t, ct, &body);
            c.add(
                format!("odd path {m} {} as {who:?}", String::from_utf8_lossy(t)),
                who,
                req,
                Expect::Reject,
            );
        }
    }
}
