//! Raw HTTP over TCP: any bytes in the request line, headers and body, and the encodings the
//! corpus needs (forms, JSON, multipart).

use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

pub struct Raw {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Raw {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Sends `request` (complete bytes) and reads the response. Writing and reading run together,
/// so a server that answers before reading a large body is fine; reading stops at the end of
/// the response (or when the server closes).
pub async fn send_raw(port: u16, request: Vec<u8>) -> Result<Raw, String> {
    let stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .map_err(|e| format!("connect: {e}"))?;
    let head_only = request.starts_with(b"HEAD ");
    let (mut rd, mut wr) = stream.into_split();
    // The writer hands the socket back, so it stays open until the response is read.
    let writer = tokio::spawn(async move {
        let _ = wr.write_all(&request).await;
        let _ = wr.flush().await;
        wr
    });
    let mut buf = Vec::new();
    let read = async {
        let mut chunk = vec![0u8; 64 * 1024];
        loop {
            match rd.read(&mut chunk).await {
                Ok(0) => return Ok(()),
                Ok(n) => {
                    buf.extend_from_slice(&chunk[..n]);
                    if complete(&buf, head_only) {
                        return Ok(());
                    }
                }
                Err(e) => return Err(e),
            }
        }
    };
    let read = tokio::time::timeout(Duration::from_secs(30), read).await;
    writer.abort();
    match read {
        Err(_) => {
            return Err(format!(
                "no complete response within 30 s ({} bytes read)",
                buf.len()
            ))
        }
        Ok(Err(e)) if buf.is_empty() => return Err(format!("read: {e}")),
        _ => {}
    }
    parse_response(&buf)
}

/// The status, headers and body offset of the first final (non-1xx) response in `buf`.
pub type Head = (u16, Vec<(String, String)>, usize);

pub fn split_head(buf: &[u8]) -> Option<Head> {
    let mut offset = 0;
    loop {
        let b = &buf[offset..];
        let end = b.windows(4).position(|w| w == b"\r\n\r\n")?;
        let head = String::from_utf8_lossy(&b[..end]).to_string();
        let mut lines = head.split("\r\n");
        let status: u16 = lines.next()?.split(' ').nth(1)?.parse().ok()?;
        if (100..200).contains(&status) {
            offset += end + 4;
            continue;
        }
        let headers = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
            .collect();
        return Some((status, headers, offset + end + 4));
    }
}

pub fn is_chunked(headers: &[(String, String)]) -> bool {
    headers.iter().any(|(k, v)| {
        k.eq_ignore_ascii_case("transfer-encoding") && v.to_ascii_lowercase().contains("chunked")
    })
}

pub fn content_length(headers: &[(String, String)]) -> Option<usize> {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse().ok())
}

/// Whether `buf` holds a whole response.
pub fn complete(buf: &[u8], head_only: bool) -> bool {
    let Some((status, headers, body_at)) = split_head(buf) else {
        return false;
    };
    if head_only || status == 204 || status == 304 {
        return true;
    }
    let body = &buf[body_at..];
    if is_chunked(&headers) {
        return body.ends_with(b"0\r\n\r\n");
    }
    content_length(&headers).is_some_and(|n| body.len() >= n)
}

pub fn parse_response(buf: &[u8]) -> Result<Raw, String> {
    let (status, headers, body_at) = split_head(buf).ok_or_else(|| {
        format!(
            "no response head in {} bytes: {:?}",
            buf.len(),
            String::from_utf8_lossy(&buf[..buf.len().min(200)])
        )
    })?;
    let mut body = buf[body_at..].to_vec();
    if is_chunked(&headers) {
        body = dechunk(&body);
    }
    Ok(Raw {
        status,
        headers,
        body,
    })
}

pub fn dechunk(mut b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(eol) = b.windows(2).position(|w| w == b"\r\n") {
        let size_text = String::from_utf8_lossy(&b[..eol]);
        let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16)
            .unwrap_or(0);
        b = &b[eol + 2..];
        if size == 0 || size > b.len() {
            out.extend_from_slice(&b[..size.min(b.len())]);
            break;
        }
        out.extend_from_slice(&b[..size]);
        b = &b[(size + 2).min(b.len())..];
    }
    out
}

/// `application/x-www-form-urlencoded` encoding.
pub fn urlencode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

pub fn form(fields: &[(String, String)]) -> Vec<u8> {
    fields
        .iter()
        .map(|(k, v)| format!("{}={}", urlencode(k), urlencode(v)))
        .collect::<Vec<_>>()
        .join("&")
        .into_bytes()
}

pub fn json(fields: &[(String, String)]) -> Vec<u8> {
    let map: serde_json::Map<String, serde_json::Value> = fields
        .iter()
        .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
        .collect();
    serde_json::Value::Object(map).to_string().into_bytes()
}

pub const BOUNDARY: &str = "----paperdeckHostileBoundary7MA4YWxk";

pub fn multipart(fields: &[(String, String)]) -> Vec<u8> {
    let mut out = String::new();
    for (k, v) in fields {
        out.push_str(&format!(
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n"
        ));
    }
    out.push_str(&format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"../../evil.csv\"\r\n\
         Content-Type: text/csv\r\n\r\nid,answer\n1,' OR 1=1 --\r\n--{BOUNDARY}--\r\n"
    ));
    out.into_bytes()
}

/// The bytes of one HTTP/1.1 request that asks the server to close afterwards.
pub fn raw_request(
    port: u16,
    cookie: Option<&str>,
    method: &str,
    target: &[u8],
    content_type: Option<&str>,
    body: &[u8],
    extra: &[String],
) -> Vec<u8> {
    let mut r = Vec::with_capacity(body.len() + 512);
    r.extend_from_slice(method.as_bytes());
    r.push(b' ');
    r.extend_from_slice(target);
    r.extend_from_slice(b" HTTP/1.1\r\n");
    r.extend_from_slice(format!("Host: 127.0.0.1:{port}\r\n").as_bytes());
    r.extend_from_slice(b"Connection: close\r\nUser-Agent: paperdeck-hostile\r\n");
    if let Some(c) = cookie.filter(|c| !c.is_empty()) {
        r.extend_from_slice(format!("Cookie: {c}\r\n").as_bytes());
    }
    if let Some(ct) = content_type {
        r.extend_from_slice(format!("Content-Type: {ct}\r\n").as_bytes());
    }
    for h in extra {
        r.extend_from_slice(h.as_bytes());
        r.extend_from_slice(b"\r\n");
    }
    if !(method == "GET" || method == "HEAD") || !body.is_empty() {
        r.extend_from_slice(format!("Content-Length: {}\r\n", body.len()).as_bytes());
    }
    r.extend_from_slice(b"\r\n");
    r.extend_from_slice(body);
    r
}

/// A multipart body with the given text fields and one file part.
pub fn upload(fields: &[(&str, &str)], file_field: &str, file_name: &str, file: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    for (k, v) in fields {
        out.extend_from_slice(
            format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    out.extend_from_slice(
        format!(
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{file_field}\"; \
             filename=\"{file_name}\"\r\nContent-Type: application/json\r\n\r\n"
        )
        .as_bytes(),
    );
    out.extend_from_slice(file);
    out.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    out
}

pub const FORM: &str = "application/x-www-form-urlencoded";
