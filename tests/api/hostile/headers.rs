//! Broken requests sent as raw bytes: request lines, headers, framing, cookies.

use super::*;

/// A request: `line`, the Host header, `headers` (each line ending in CRLF), `Connection:
/// close`, then `body`.
fn request(port: u16, line: &str, headers: &[u8], body: &[u8]) -> Vec<u8> {
    let mut r = format!("{line}\r\nHost: 127.0.0.1:{port}\r\n").into_bytes();
    r.extend_from_slice(headers);
    r.extend_from_slice(b"Connection: close\r\n\r\n");
    r.extend_from_slice(body);
    r
}

pub fn add(c: &mut Corpus) {
    let ctx = c.ctx;
    let port = ctx.port;
    let a_last = ctx.a_last();
    let big = big();
    let get = |target: &str, headers: &[u8]| {
        request(port, &format!("GET {target} HTTP/1.1"), headers, b"")
    };
    // A form post whose `framing` (header lines after the content type) and body are the case.
    let post = |path: &str, framing: &str, body: &[u8]| {
        let line = format!("POST {path} HTTP/1.1");
        let headers = format!("Content-Type: {FORM}\r\n{framing}\r\n");
        request(port, &line, headers.as_bytes(), body)
    };
    let mut raw = |label: &str, req: Vec<u8>, expect: Expect| {
        c.add(format!("raw: {label}"), Who::Nobody, req, expect);
    };

    // 7. Broken requests: request lines, headers, framing, cookies.
    raw(
        "garbage request line",
        b"HELLO\r\n\r\n".to_vec(),
        Expect::Reject,
    );
    raw(
        "HTTP/1.0 without Host",
        b"GET / HTTP/1.0\r\n\r\n".to_vec(),
        Expect::Any,
    );
    for (label, line, expect) in [
        (
            "double space request line",
            "GET  / HTTP/1.1",
            Expect::Reject,
        ),
        ("HTTP/9.9", "GET / HTTP/9.9", Expect::Reject),
        ("lowercase method", "get / HTTP/1.1", Expect::Reject),
        (
            "absolute-form target",
            "GET http://evil.example/papers HTTP/1.1",
            Expect::Any,
        ),
        (
            "absolute-form traversal",
            "GET http://127.0.0.1/static/../Cargo.toml HTTP/1.1",
            Expect::Reject,
        ),
    ] {
        raw(label, request(port, line, b"", b""), expect);
    }
    raw(
        "100 KB path",
        get(&format!("/papers/{big}"), b""),
        Expect::Reject,
    );

    // One header line that is broken, too large or garbage.
    let tampered = ctx.cookies["alice"].replace("pd_session=", "pd_session=A");
    for (label, target, header, expect) in [
        (
            "header without colon",
            "/",
            b"NoColonHere".to_vec(),
            Expect::Reject,
        ),
        (
            "NUL in header value",
            "/",
            b"X-Bad: a\0b".to_vec(),
            Expect::Reject,
        ),
        (
            "100 KB header",
            "/",
            format!("X-Big: {big}").into_bytes(),
            Expect::Any,
        ),
        (
            "100 KB cookie",
            "/quiz",
            format!("Cookie: pd_session={big}").into_bytes(),
            Expect::Reject,
        ),
        (
            "garbage cookies",
            "/quiz",
            b"Cookie: pd_session=%ZZ%FF; pd_anon=\"\\\"; ===; ;;".to_vec(),
            Expect::Reject,
        ),
        (
            "invalid UTF-8 cookie",
            "/quiz",
            b"Cookie: pd_session=\xff\xfe\xfd".to_vec(),
            Expect::Reject,
        ),
        (
            "Alice's session cookie tampered",
            "/quiz",
            format!("Cookie: {tampered}").into_bytes(),
            Expect::Reject,
        ),
        (
            "If-None-Match garbage",
            "/static/style.css",
            b"If-None-Match: \"\xff\xfe\"".to_vec(),
            Expect::Any,
        ),
        (
            "Accept-Encoding garbage",
            "/",
            b"Accept-Encoding: gzip;q=NaN, *;q=-1, br;q=99999999999999999999".to_vec(),
            Expect::Any,
        ),
        (
            "Range header",
            "/static/style.css",
            b"Range: bytes=99999999999999999999-".to_vec(),
            Expect::Any,
        ),
    ] {
        raw(
            label,
            get(target, &[header, b"\r\n".to_vec()].concat()),
            expect,
        );
    }
    let many: String = (0..500).map(|i| format!("X-H{i}: {i}\r\n")).collect();
    raw("500 headers", get("/", many.as_bytes()), Expect::Reject);

    // Broken framing of a form post: (label, path, header lines after the content type, body).
    for (label, path, framing, body) in [
        (
            "Content-Length and chunked",
            "/login",
            "Content-Length: 4\r\nTransfer-Encoding: chunked",
            "0\r\n\r\n",
        ),
        (
            "two Content-Lengths",
            "/login",
            "Content-Length: 3\r\nContent-Length: 5",
            "abcde",
        ),
        (
            "negative Content-Length",
            "/login",
            "Content-Length: -5",
            "",
        ),
        (
            "huge Content-Length",
            "/login",
            "Content-Length: 99999999999999999999",
            "",
        ),
        (
            "Content-Length 1 GB, short body",
            "/quiz/answer",
            "Content-Length: 1000000000",
            "csrf=x",
        ),
        (
            "bad chunk size",
            "/login",
            "Transfer-Encoding: chunked",
            "ZZ\r\nabc\r\n0\r\n\r\n",
        ),
        (
            "gzip-encoded garbage body",
            "/login",
            "Content-Encoding: gzip\r\nContent-Length: 10",
            "0123456789",
        ),
        (
            "unknown Content-Encoding",
            "/logout",
            "Content-Encoding: br-x\r\nContent-Length: 6",
            "csrf=x",
        ),
        (
            "Expect: 100-continue then nothing",
            "/login",
            "Expect: 100-continue\r\nContent-Length: 0",
            "",
        ),
    ] {
        raw(label, post(path, framing, body.as_bytes()), Expect::Reject);
    }
    let mut chunks = Vec::new();
    for _ in 0..16 {
        chunks.extend_from_slice(format!("{:x}\r\n", 64 * 1024).as_bytes());
        chunks.extend_from_slice(&[b'a'; 64 * 1024]);
        chunks.extend_from_slice(b"\r\n");
    }
    chunks.extend_from_slice(b"0\r\n\r\n");
    let chunked = post("/quiz/answer", "Transfer-Encoding: chunked", &chunks);
    raw("chunked 1 MB body", chunked, Expect::Reject);

    // Alice's session with Bob's anonymous cookie and his token.
    let anon = ctx.cookies["bob"]
        .split("; ")
        .find(|c| c.starts_with("pd_anon="))
        .unwrap_or("pd_anon=x");
    let session = ctx.cookies["alice"]
        .split("; ")
        .find(|c| c.starts_with("pd_session="))
        .unwrap_or("pd_session=x");
    let body = form(&kv(&[
        ("csrf", &ctx.csrf_bob),
        ("review", &a_last.to_string()),
    ]));
    let framing = format!(
        "Cookie: {session}; {anon}\r\nContent-Length: {}",
        body.len()
    );
    let mixed = post("/quiz/undo", &framing, &body);
    raw("Alice's session cookie, Bob's anon", mixed, Expect::Reject);
}
