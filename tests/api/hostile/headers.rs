//! Broken requests sent as raw bytes: request lines, headers, framing, cookies.

use super::*;

pub fn add(c: &mut Corpus) {
    let ctx = c.ctx;
    let a_last = ctx.a_last();
    let big = big();

    // 7. Broken requests: headers, framing, cookies.
    let host = format!("Host: 127.0.0.1:{}\r\n", ctx.port);
    let raw_cases: Vec<(&str, Vec<u8>, Expect)> = vec![
        ("garbage request line", b"HELLO\r\n\r\n".to_vec(), Expect::Reject),
        ("double space request line", format!("GET  / HTTP/1.1\r\n{host}Connection: close\r\n\r\n").into_bytes(), Expect::Reject),
        ("HTTP/9.9", format!("GET / HTTP/9.9\r\n{host}Connection: close\r\n\r\n").into_bytes(), Expect::Reject),
        ("lowercase method", format!("get / HTTP/1.1\r\n{host}Connection: close\r\n\r\n").into_bytes(), Expect::Reject),
        ("HTTP/1.0 without Host", b"GET / HTTP/1.0\r\n\r\n".to_vec(), Expect::Any),
        ("absolute-form target", format!("GET http://evil.example/papers HTTP/1.1\r\n{host}Connection: close\r\n\r\n").into_bytes(), Expect::Any),
        ("absolute-form traversal", format!("GET http://127.0.0.1/static/../Cargo.toml HTTP/1.1\r\n{host}Connection: close\r\n\r\n").into_bytes(), Expect::Reject),
        ("header without colon", format!("GET / HTTP/1.1\r\n{host}NoColonHere\r\nConnection: close\r\n\r\n").into_bytes(), Expect::Reject),
        ("NUL in header value", format!("GET / HTTP/1.1\r\n{host}X-Bad: a\0b\r\nConnection: close\r\n\r\n").into_bytes(), Expect::Reject),
        ("100 KB header", format!("GET / HTTP/1.1\r\n{host}X-Big: {big}\r\nConnection: close\r\n\r\n").into_bytes(), Expect::Any),
        ("100 KB cookie", format!("GET /quiz HTTP/1.1\r\n{host}Cookie: pd_session={big}\r\nConnection: close\r\n\r\n").into_bytes(), Expect::Reject),
        ("500 headers", {
            let mut s = format!("GET / HTTP/1.1\r\n{host}");
            for i in 0..500 {
                s.push_str(&format!("X-H{i}: {i}\r\n"));
            }
            s.push_str("Connection: close\r\n\r\n");
            s.into_bytes()
        }, Expect::Reject),
        ("100 KB path", format!("GET /papers/{big} HTTP/1.1\r\n{host}Connection: close\r\n\r\n").into_bytes(), Expect::Reject),
        ("Content-Length and chunked", format!("POST /login HTTP/1.1\r\n{host}Content-Type: {FORM}\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n0\r\n\r\n").into_bytes(), Expect::Reject),
        ("two Content-Lengths", format!("POST /login HTTP/1.1\r\n{host}Content-Type: {FORM}\r\nContent-Length: 3\r\nContent-Length: 5\r\nConnection: close\r\n\r\nabcde").into_bytes(), Expect::Reject),
        ("negative Content-Length", format!("POST /login HTTP/1.1\r\n{host}Content-Type: {FORM}\r\nContent-Length: -5\r\nConnection: close\r\n\r\n").into_bytes(), Expect::Reject),
        ("huge Content-Length", format!("POST /login HTTP/1.1\r\n{host}Content-Type: {FORM}\r\nContent-Length: 99999999999999999999\r\nConnection: close\r\n\r\n").into_bytes(), Expect::Reject),
        ("Content-Length 1 GB, short body", format!("POST /quiz/answer HTTP/1.1\r\n{host}Content-Type: {FORM}\r\nContent-Length: 1000000000\r\nConnection: close\r\n\r\ncsrf=x").into_bytes(), Expect::Reject),
        ("bad chunk size", format!("POST /login HTTP/1.1\r\n{host}Content-Type: {FORM}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\nZZ\r\nabc\r\n0\r\n\r\n").into_bytes(), Expect::Reject),
        ("chunked 1 MB body", {
            let mut s = format!("POST /quiz/answer HTTP/1.1\r\n{host}Content-Type: {FORM}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n").into_bytes();
            for _ in 0..16 {
                s.extend_from_slice(format!("{:x}\r\n", 64 * 1024).as_bytes());
                s.extend_from_slice(&[b'a'; 64 * 1024]);
                s.extend_from_slice(b"\r\n");
            }
            s.extend_from_slice(b"0\r\n\r\n");
            s
        }, Expect::Reject),
        ("gzip-encoded garbage body", format!("POST /login HTTP/1.1\r\n{host}Content-Type: {FORM}\r\nContent-Encoding: gzip\r\nContent-Length: 10\r\nConnection: close\r\n\r\n0123456789").into_bytes(), Expect::Reject),
        ("unknown Content-Encoding", format!("POST /logout HTTP/1.1\r\n{host}Content-Type: {FORM}\r\nContent-Encoding: br-x\r\nContent-Length: 6\r\nConnection: close\r\n\r\ncsrf=x").into_bytes(), Expect::Reject),
        ("Expect: 100-continue then nothing", format!("POST /login HTTP/1.1\r\n{host}Content-Type: {FORM}\r\nExpect: 100-continue\r\nContent-Length: 0\r\nConnection: close\r\n\r\n").into_bytes(), Expect::Reject),
        ("garbage cookies", format!("GET /quiz HTTP/1.1\r\n{host}Cookie: pd_session=%ZZ%FF; pd_anon=\"\\\"; ===; ;;\r\nConnection: close\r\n\r\n").into_bytes(), Expect::Reject),
        ("invalid UTF-8 cookie", {
            let mut s = format!("GET /quiz HTTP/1.1\r\n{host}").into_bytes();
            s.extend_from_slice(b"Cookie: pd_session=\xff\xfe\xfd\r\nConnection: close\r\n\r\n");
            s
        }, Expect::Reject),
        ("Alice's session cookie tampered", {
            let cookie = ctx.cookies["alice"].replace("pd_session=", "pd_session=A");
            format!("GET /quiz HTTP/1.1\r\n{host}Cookie: {cookie}\r\nConnection: close\r\n\r\n").into_bytes()
        }, Expect::Reject),
        ("Alice's session cookie, Bob's anon", {
            let anon = ctx.cookies["bob"]
                .split("; ")
                .find(|c| c.starts_with("pd_anon="))
                .unwrap_or("pd_anon=x")
                .to_string();
            let session = ctx.cookies["alice"]
                .split("; ")
                .find(|c| c.starts_with("pd_session="))
                .unwrap_or("pd_session=x")
                .to_string();
            let body = form(&kv(&[("csrf", &ctx.csrf_bob), ("review", &a_last.to_string())]));
            let mut s = format!(
                "POST /quiz/undo HTTP/1.1\r\n{host}Cookie: {session}; {anon}\r\nContent-Type: {FORM}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            )
            .into_bytes();
            s.extend_from_slice(&body);
            s
        }, Expect::Reject),
        ("If-None-Match garbage", {
            let mut s = format!("GET /static/style.css HTTP/1.1\r\n{host}").into_bytes();
            s.extend_from_slice(b"If-None-Match: \"\xff\xfe\"\r\nConnection: close\r\n\r\n");
            s
        }, Expect::Any),
        ("Accept-Encoding garbage", format!("GET / HTTP/1.1\r\n{host}Accept-Encoding: gzip;q=NaN, *;q=-1, br;q=99999999999999999999\r\nConnection: close\r\n\r\n").into_bytes(), Expect::Any),
        ("Range header", format!("GET /static/style.css HTTP/1.1\r\n{host}Range: bytes=99999999999999999999-\r\nConnection: close\r\n\r\n").into_bytes(), Expect::Any),
    ];
    for (label, req, expect) in raw_cases {
        c.add(format!("raw: {label}"), Who::Nobody, req, expect);
    }
}
