//! Static assets, compiled into the binary and served with long cache lifetimes. URLs carry a
//! content hash (`/static/style.css?v=…`), so a new release is picked up at once.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use include_dir::{include_dir, Dir};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::OnceLock;

static STATIC: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/static");

struct Asset {
    bytes: &'static [u8],
    etag: String,
}

fn table() -> &'static HashMap<&'static str, Asset> {
    static TABLE: OnceLock<HashMap<&'static str, Asset>> = OnceLock::new();
    TABLE.get_or_init(|| {
        STATIC
            .files()
            .filter_map(|f| {
                let name = f.path().to_str()?;
                let hash = Sha256::digest(f.contents());
                Some((
                    name,
                    Asset {
                        bytes: f.contents(),
                        etag: hex::encode(&hash[..8]),
                    },
                ))
            })
            .collect()
    })
}

/// The URL of an asset, with its version for cache busting.
pub fn url(name: &str) -> String {
    match table().get(name) {
        Some(a) => format!("/static/{name}?v={}", a.etag),
        None => format!("/static/{name}"),
    }
}

fn content_type(name: &str) -> &'static str {
    match name.rsplit('.').next() {
        Some("css") => "text/css; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("ico") => "image/x-icon",
        Some("txt") => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// Looks the name up in the compiled-in table only: no path ever reaches the file system.
async fn serve(req: HttpRequest, name: web::Path<String>) -> HttpResponse {
    let Some(asset) = table().get(name.as_str()) else {
        return super::error::error_page(
            actix_web::http::StatusCode::NOT_FOUND,
            "文件不存在",
            "找不到这个静态文件。",
        );
    };
    let etag = format!("\"{}\"", asset.etag);
    let matches = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == etag);
    let mut res = if matches {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    // Only the versioned URL (`?v=<hash>`, as the pages link it) may be cached for a year: the
    // bare URL's content changes with each release, so it is revalidated with its ETag.
    let versioned = req.query_string() == format!("v={}", asset.etag);
    let cache = if versioned {
        "public, max-age=31536000, immutable"
    } else {
        "public, no-cache"
    };
    res.insert_header((header::ETAG, etag))
        .insert_header((header::CACHE_CONTROL, cache));
    if matches {
        return res.finish();
    }
    res.insert_header((header::CONTENT_TYPE, content_type(&name)))
        .body(asset.bytes)
}

pub fn routes(r: &mut super::Routes) {
    r.get("/static/{name}", serve)
        .get("/favicon.ico", || async {
            HttpResponse::MovedPermanently()
                .insert_header((header::LOCATION, url("favicon.svg")))
                .finish()
        });
}
