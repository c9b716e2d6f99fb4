//! Yardstick for paperdeck's load benchmark. Two endpoints:
//! - `GET /read/{size}`: reads one row by key and renders a page of `size` bytes;
//! - `POST /write`: updates one row and inserts one, in a transaction.
//!
//! SQLite is set up like paperdeck's (WAL, synchronous FULL, one writer connection, a read pool).

use actix_web::{web, App, HttpResponse, HttpServer};
use askama::Template;
use rand::Rng;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Row, SqlitePool};
use std::str::FromStr;

struct Pools {
    read: SqlitePool,
    write: SqlitePool,
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
    let row = match sqlx::query("SELECT title, body FROM items WHERE id = $1")
        .bind(key)
        .fetch_one(&p.read)
        .await
    {
        Ok(r) => r,
        Err(e) => return HttpResponse::InternalServerError().body(e.to_string()),
    };
    let title: String = row.get(0);
    let body: String = row.get(1);
    let used = title.len() + body.len() + 200;
    let filler = "阅".repeat(size.saturating_sub(used) / 3);
    match (Page { title: &title, body: &body, filler }).render() {
        Ok(html) => HttpResponse::Ok().content_type("text/html; charset=utf-8").body(html),
        Err(e) => HttpResponse::InternalServerError().body(e.to_string()),
    }
}

async fn write_rows(p: web::Data<Pools>) -> HttpResponse {
    let key = rand::rng().random_range(1..=ROWS);
    let result: Result<(), sqlx::Error> = async {
        let mut tx = p.write.begin().await?;
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
    .await;
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
    sqlx::query("CREATE TABLE IF NOT EXISTS items (id INTEGER PRIMARY KEY, title TEXT NOT NULL, body TEXT NOT NULL, hits INTEGER NOT NULL DEFAULT 0)")
        .execute(&write).await.map_err(std::io::Error::other)?;
    sqlx::query("CREATE TABLE IF NOT EXISTS log (id INTEGER PRIMARY KEY, item_id INTEGER NOT NULL, at BIGINT NOT NULL)")
        .execute(&write).await.map_err(std::io::Error::other)?;
    for id in 1..=ROWS {
        sqlx::query("INSERT INTO items (id, title, body) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING")
            .bind(id)
            .bind(format!("条目 {id}"))
            .bind("这是一段用来占位的正文。".repeat(20))
            .execute(&write)
            .await
            .map_err(std::io::Error::other)?;
    }
    let read = SqlitePoolOptions::new()
        .max_connections(8)
        .connect_with(opts)
        .await
        .map_err(std::io::Error::other)?;
    let data = web::Data::new(Pools { read, write });
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
