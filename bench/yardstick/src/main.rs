//! Yardstick for paperdeck's load benchmark. Two endpoints:
//! - `GET /read/{size}`: reads one row by key and renders a page of `size` bytes;
//! - `POST /write`: updates one row and inserts one, in a transaction.
//!
//! SQLite is set up like paperdeck's (WAL, synchronous FULL, one writer connection, a read pool).
//! Given a `postgres://` URL it does the same over sqlx's PostgreSQL driver (one pool, the size
//! of paperdeck's read and write pools together), so PostgreSQL figures are ratios too.

use actix_web::{web, App, HttpResponse, HttpServer};
use askama::Template;
use rand::Rng;
use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Row, SqlitePool};
use std::str::FromStr;

enum Pools {
    Sqlite { read: SqlitePool, write: SqlitePool },
    Postgres(PgPool),
}

/// Runs the same statement on either backend: `on_pools!(&pools, |read, write| expr)`.
macro_rules! on_pools {
    ($p:expr, |$pool:ident, $write:ident| $body:expr) => {
        match $p {
            Pools::Sqlite { read, write } => {
                let ($pool, $write) = (read, write);
                $body
            }
            Pools::Postgres(pg) => {
                let ($pool, $write) = (pg, pg);
                $body
            }
        }
    };
}

#[derive(Template)]
#[template(path = "page.html")]
struct Page<'a> {
    title: &'a str,
    body: &'a str,
    filler: String,
}

const ROWS: i64 = 1000;

async fn read_page(p: web::Data<Pools>, size: web::Path<usize>) -> HttpResponse {
    let key = rand::rng().random_range(1..=ROWS);
    let row: Result<(String, String), sqlx::Error> = on_pools!(p.get_ref(), |pool, _w| {
        sqlx::query("SELECT title, body FROM items WHERE id = $1")
            .bind(key)
            .fetch_one(pool)
            .await
            .map(|r| (r.get(0), r.get(1)))
    });
    let (title, body) = match row {
        Ok(r) => r,
        Err(e) => return HttpResponse::InternalServerError().body(e.to_string()),
    };
    let used = title.len() + body.len() + 200;
    let filler = "阅".repeat(size.saturating_sub(used) / 3);
    match (Page { title: &title, body: &body, filler }).render() {
        Ok(html) => HttpResponse::Ok().content_type("text/html; charset=utf-8").body(html),
        Err(e) => HttpResponse::InternalServerError().body(e.to_string()),
    }
}

async fn write_rows(p: web::Data<Pools>) -> HttpResponse {
    let key = rand::rng().random_range(1..=ROWS);
    let result: Result<(), sqlx::Error> = on_pools!(p.get_ref(), |_r, pool| {
        async {
            let mut tx = pool.begin().await?;
            sqlx::query("UPDATE items SET hits = hits + 1 WHERE id = $1")
                .bind(key)
                .execute(&mut *tx)
                .await?;
            sqlx::query("INSERT INTO log (item_id, at) VALUES ($1, $2)")
                .bind(key)
                .bind(0i64)
                .execute(&mut *tx)
                .await?;
            tx.commit().await
        }
        .await
    });
    match result {
        Ok(()) => HttpResponse::SeeOther().insert_header(("location", "/read/2000")).finish(),
        Err(e) => HttpResponse::InternalServerError().body(e.to_string()),
    }
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let addr = args.next().unwrap_or_else(|| "127.0.0.1:8090".into());
    let db = args.next().unwrap_or_else(|| "sqlite://yardstick.db".into());
    let pools = if db.starts_with("postgres") {
        let pg = PgPoolOptions::new()
            .max_connections(12)
            .connect(&db)
            .await
            .map_err(std::io::Error::other)?;
        Pools::Postgres(pg)
    } else {
        let opts = SqliteConnectOptions::from_str(&db)
            .map_err(std::io::Error::other)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(std::time::Duration::from_secs(5));
        let write = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(opts.clone())
            .await
            .map_err(std::io::Error::other)?;
        let read = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(opts)
            .await
            .map_err(std::io::Error::other)?;
        Pools::Sqlite { read, write }
    };
    // SQLite's rowid key as before; PostgreSQL's own kinds of the same.
    let (key, serial) = match pools {
        Pools::Sqlite { .. } => ("INTEGER PRIMARY KEY", "INTEGER PRIMARY KEY"),
        Pools::Postgres(_) => ("BIGINT PRIMARY KEY", "BIGSERIAL PRIMARY KEY"),
    };
    let setup = [
        format!("CREATE TABLE IF NOT EXISTS items (id {key}, title TEXT NOT NULL, body TEXT NOT NULL, hits INTEGER NOT NULL DEFAULT 0)"),
        format!("CREATE TABLE IF NOT EXISTS log (id {serial}, item_id BIGINT NOT NULL, at BIGINT NOT NULL)"),
    ];
    for sql in &setup {
        on_pools!(&pools, |_r, w| sqlx::query(sql).execute(w).await.map(|_| ()))
            .map_err(std::io::Error::other)?;
    }
    for id in 1..=ROWS {
        on_pools!(&pools, |_r, w| {
            sqlx::query("INSERT INTO items (id, title, body) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING")
                .bind(id)
                .bind(format!("条目 {id}"))
                .bind("这是一段用来占位的正文。".repeat(20))
                .execute(w)
                .await
                .map(|_| ())
        })
        .map_err(std::io::Error::other)?;
    }
    let data = web::Data::new(pools);
    println!("yardstick listening on http://{addr}");
    HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .route("/read/{size}", web::get().to(read_page))
            .route("/write", web::post().to(write_rows))
    })
    .bind(addr)?
    .run()
    .await
}
