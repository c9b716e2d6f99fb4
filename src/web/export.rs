//! `/export` and `/import`: her data as downloads, and a JSON export taken back. The work is
//! done in [`crate::export`]; these handlers only check the visitor and shape the responses.

use super::error::AppError;
use super::{LearnerForm, LoggedIn, Nav, NoFields, Visitor};
use crate::export::{self, ImportError, ImportReport};
use crate::startup::AppState;
use crate::store;
use crate::web::Page;
use actix_multipart::{Multipart, MultipartError};
use actix_web::http::header::{self, CacheControl, CacheDirective};
use actix_web::http::header::{ContentDisposition, DispositionParam, DispositionType};
use actix_web::{guard, web, HttpRequest, HttpResponse};
use askama::Template;
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

pub fn routes(r: &mut super::Routes) {
    use actix_web::http::Method;
    r.get("/export", show)
        .get("/export/paperdeck.json", json)
        .get("/export/revlog.csv", revlog)
        .get("/export/cards.csv", cards)
        .resource("/import", &[Method::GET, Method::POST], || {
            web::resource("/import")
                .route(super::get().to(show))
                .route(web::post().guard(guard::fn_guard(is_upload)).to(import))
                .route(web::post().to(not_an_upload))
        });
}

/// Whether a request is a `multipart/form-data` upload. The multipart extractor refuses other
/// bodies before its error handler runs (with a bare 415), so they are routed to
/// [`not_an_upload`] instead.
fn is_upload(ctx: &guard::GuardContext<'_>) -> bool {
    ctx.head()
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.trim_start()
                .to_ascii_lowercase()
                .starts_with("multipart/form-data")
        })
}

/// A POST to `/import` that is not a file upload: after the log-in and the token are checked,
/// the learner is told how to send the file.
async fn not_an_upload(_: LearnerForm<NoFields>) -> Page {
    Err(AppError::bad_request(
        "导入需要以文件上传表单提交：请在导入页面选择文件后再提交。没有导入任何数据。",
    ))
}

/// Largest export file accepted: years of daily answers fit in a few megabytes.
pub const IMPORT_LIMIT_MB: usize = 20;
const IMPORT_LIMIT: usize = IMPORT_LIMIT_MB * 1024 * 1024;
/// The token field, and any other small field of the upload form.
const SMALL_FIELD_LIMIT: usize = 1024;

fn too_big() -> AppError {
    AppError::bad_request(format!(
        "文件太大了：最多可以导入 {IMPORT_LIMIT_MB} MB 的导出文件。没有导入任何数据。"
    ))
}

/// A broken upload is the learner's problem to fix, so it gets a 400 page that says what to do
/// rather than actix's bare error.
fn upload_error(err: MultipartError) -> AppError {
    use actix_web::error::PayloadError;
    match err {
        MultipartError::Payload(PayloadError::Overflow) => too_big(),
        MultipartError::Payload(p) if super::guard::is_body_timeout(&p) => AppError::RequestTimeout,
        MultipartError::ContentTypeMissing
        | MultipartError::ContentTypeParse
        | MultipartError::ContentTypeIncompatible
        | MultipartError::BoundaryMissing => AppError::bad_request(
            "导入需要以文件上传表单提交：请在导入页面选择文件后再提交。没有导入任何数据。",
        ),
        MultipartError::Field { name, .. } => AppError::bad_request(format!(
            "表单字段“{}”无法读取，没有导入任何数据。",
            name.chars().take(40).collect::<String>()
        )),
        other => AppError::bad_request(format!(
            "上传的表单无法读取（{other}），没有导入任何数据。请重新选择文件再试。"
        )),
    }
}

#[derive(Template)]
#[template(path = "export/index.html")]
struct ExportPage {
    nav: Nav,
    reviews: usize,
    states: usize,
    papers: usize,
    cards: usize,
    limit_mb: usize,
    report: Option<ImportReport>,
    error: Option<String>,
}

async fn page(
    state: &AppState,
    visitor: &Visitor,
    learner: i64,
    report: Option<ImportReport>,
    error: Option<String>,
) -> Page {
    let status = super::form_status(&error);
    let page = ExportPage {
        nav: visitor.nav("export"),
        reviews: store::quiz::review_count(&state.db, learner).await?,
        states: store::quiz::states(&state.db, learner).await?.len(),
        papers: store::quiz::papers_read(&state.db, learner).await?.len(),
        cards: state.cards.cards.len(),
        limit_mb: IMPORT_LIMIT_MB,
        report,
        error,
    };
    super::render_with(status, &page)
}

async fn show(state: web::Data<AppState>, who: LoggedIn) -> Page {
    page(&state, &who.visitor, who.learner.id, None, None).await
}

/// A place in the heavy-request gate for the whole deployment, or the busy page.
pub(crate) async fn enter_heavy(
    state: &AppState,
    learner: i64,
) -> Result<crate::heavy::Permit, AppError> {
    state
        .heavy
        .enter(&state.db, learner)
        .await?
        .map_err(|busy| AppError::TooManyRequests(busy.message().to_string()))
}

/// A file download: never cached (it is personal and changes with every answer), saved under
/// a name that says whose it is.
fn download_headers(content_type: &str, file_name: String) -> actix_web::HttpResponseBuilder {
    let mut res = HttpResponse::Ok();
    res.insert_header((header::CONTENT_TYPE, content_type))
        .insert_header(ContentDisposition {
            disposition: DispositionType::Attachment,
            parameters: vec![DispositionParam::Filename(file_name)],
        })
        .insert_header(CacheControl(vec![CacheDirective::NoStore]));
    res
}

/// A download of her data, written a page of rows at a time while the client reads it. The
/// permit keeps her place in [`crate::heavy`] until the last byte is sent or the client goes.
/// The first piece (the JSON head: account, papers, concept states) is read before the status
/// line goes out, so a database that cannot give it is an error page, not a dropped connection.
async fn download_of(
    state: &AppState,
    learner: &crate::web::session::Learner,
    kind: export::DownloadKind,
) -> Page {
    let permit = enter_heavy(state, learner.id).await?;
    let (content_type, suffix) = match kind {
        export::DownloadKind::Json => ("application/json; charset=utf-8", ".json"),
        export::DownloadKind::RevlogCsv => ("text/csv; charset=utf-8", "-revlog.csv"),
    };
    let source = export::Download::new(state.db.clone(), learner.id, kind, store::now_ts());
    let (source, first) = source.next_chunk().await;
    let first = first.map_err(|e| match e {
        export::DownloadError::Database(e) => AppError::Database(e),
        other => AppError::Internal(other.into()),
    })?;
    let hold = Arc::new(Hold {
        permit: Mutex::new(Some(permit)),
        last_read: Mutex::new(tokio::time::Instant::now()),
    });
    watch_download(
        Arc::downgrade(&hold),
        state.settings.download_idle,
        state.settings.download_deadline,
    );
    // The whole export is her backup: when it has been sent to the end, the monthly reminder
    // on /progress (`progress::backup_due`) starts counting again. A download cut short (or a
    // HEAD request, whose body is never sent) does not count.
    let on_end: Option<Ending> = (kind == export::DownloadKind::Json).then(|| {
        let (db, learner, now) = (state.db.clone(), learner.id, state.clock.now());
        Box::pin(async move {
            if let Err(e) = store::learners::record_backup_event(
                &db,
                learner,
                store::learners::BackupEvent::Exported,
                now,
            )
            .await
            {
                tracing::warn!(error = %e, learner, "could not record the export time");
            }
        }) as Ending
    });
    let body = Streamed {
        first: first.map(actix_web::web::Bytes::from),
        pending: Some(Box::pin(source.next_chunk())),
        hold,
        on_end,
        ending: None,
    };
    Ok(download_headers(content_type, export::file_name(&learner.username, suffix)).body(body))
}

/// What runs once a download has been sent to its end, before the body ends.
type Ending = std::pin::Pin<Box<dyn std::future::Future<Output = ()>>>;

type PendingChunk = std::pin::Pin<
    Box<
        dyn std::future::Future<
            Output = (
                export::Download,
                Result<Option<Vec<u8>>, export::DownloadError>,
            ),
        >,
    >,
>;

/// The heavy-gate place of a download in progress, and when the client last took a piece.
struct Hold {
    permit: Mutex<Option<crate::heavy::Permit>>,
    last_read: Mutex<tokio::time::Instant>,
}

/// Gives a download's place back when its client stops reading for `idle`, or when it has taken
/// `deadline` in all (review 2026-12-06, N3): a permit must not depend on the client's reading
/// speed. The body then ends with an error the next time it is polled, which cuts the file
/// short (no import accepts a cut file). Ends with the body.
fn watch_download(hold: Weak<Hold>, idle: Duration, deadline: Duration) {
    let end = tokio::time::Instant::now() + deadline;
    actix_web::rt::spawn(async move {
        loop {
            let Some(h) = hold.upgrade() else { return };
            let last = *h.last_read.lock().unwrap_or_else(|e| e.into_inner());
            let due = (last + idle).min(end);
            drop(h);
            tokio::time::sleep_until(due).await;
            let Some(h) = hold.upgrade() else { return };
            let last = *h.last_read.lock().unwrap_or_else(|e| e.into_inner());
            let now = tokio::time::Instant::now();
            if now >= end || now >= last + idle {
                let permit = h.permit.lock().unwrap_or_else(|e| e.into_inner()).take();
                drop(permit);
                tracing::info!("a download was not read in time; its place is given back");
                return;
            }
        }
    });
}

/// A response body that pulls the next piece of a [`export::Download`] only when the client
/// has taken the previous one, so a slow reader costs one page of memory, not the whole file.
struct Streamed {
    /// Read before the response was built (see [`download_of`]).
    first: Option<actix_web::web::Bytes>,
    pending: Option<PendingChunk>,
    hold: Arc<Hold>,
    /// Run after the last piece, before the body ends: so a client that has read the whole
    /// file finds it recorded.
    on_end: Option<Ending>,
    /// [`Streamed::on_end`] while it runs.
    ending: Option<Ending>,
}

impl actix_web::body::MessageBody for Streamed {
    type Error = std::io::Error;

    fn size(&self) -> actix_web::body::BodySize {
        actix_web::body::BodySize::Stream
    }

    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<actix_web::web::Bytes, Self::Error>>> {
        use std::task::Poll;
        let still_held = self.hold.permit.lock().map_or(true, |p| p.is_some());
        if !still_held {
            self.pending = None;
            return Poll::Ready(Some(Err(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                "download not read in time",
            ))));
        }
        *self
            .hold
            .last_read
            .lock()
            .unwrap_or_else(|e| e.into_inner()) = tokio::time::Instant::now();
        if let Some(first) = self.first.take() {
            return Poll::Ready(Some(Ok(first)));
        }
        if let Some(ending) = self.ending.as_mut() {
            if ending.as_mut().poll(cx).is_pending() {
                return Poll::Pending;
            }
            self.ending = None;
            return Poll::Ready(None);
        }
        let Some(pending) = self.pending.as_mut() else {
            return Poll::Ready(None);
        };
        let (source, chunk) = match pending.as_mut().poll(cx) {
            Poll::Pending => return Poll::Pending,
            Poll::Ready(done) => done,
        };
        match chunk {
            Ok(Some(bytes)) => {
                self.pending = Some(Box::pin(source.next_chunk()));
                Poll::Ready(Some(Ok(actix_web::web::Bytes::from(bytes))))
            }
            Ok(None) => {
                self.pending = None;
                self.ending = self.on_end.take();
                match self.ending.is_some() {
                    true => self.poll_next(cx),
                    false => Poll::Ready(None),
                }
            }
            Err(e) => {
                // The status line is long gone: the only way to tell the client is to cut the
                // file short, which no import accepts.
                tracing::error!(error = %e, "download stopped half-way");
                self.pending = None;
                Poll::Ready(Some(Err(std::io::Error::other(e.to_string()))))
            }
        }
    }
}

async fn json(state: web::Data<AppState>, LoggedIn { learner, .. }: LoggedIn) -> Page {
    download_of(&state, &learner, export::DownloadKind::Json).await
}

async fn revlog(state: web::Data<AppState>, LoggedIn { learner, .. }: LoggedIn) -> Page {
    download_of(&state, &learner, export::DownloadKind::RevlogCsv).await
}

async fn cards(state: web::Data<AppState>, LoggedIn { learner, .. }: LoggedIn) -> Page {
    let body = export::anki_csv(&state.content, &state.cards).map_err(anyhow::Error::from)?;
    let name = export::file_name(&learner.username, "-cards.csv");
    Ok(download_headers("text/csv; charset=utf-8", name).body(body))
}

/// The next item of a multipart stream (a field, or a field's next chunk).
async fn next_of<S: futures_core::Stream + Unpin>(stream: &mut S) -> Option<S::Item> {
    std::future::poll_fn(|cx| std::pin::Pin::new(&mut *stream).poll_next(cx)).await
}

/// A field's content, refused with `over` as soon as it passes `limit` bytes: nothing larger is
/// ever held.
async fn read_field(
    field: &mut actix_multipart::Field,
    limit: usize,
    over: impl Fn() -> AppError,
) -> Result<Vec<u8>, AppError> {
    let mut data = Vec::new();
    while let Some(chunk) = next_of(field).await {
        let chunk = chunk.map_err(upload_error)?;
        if data.len() + chunk.len() > limit {
            return Err(over());
        }
        data.extend_from_slice(&chunk);
    }
    Ok(data)
}

/// The CSRF token sent outside the body, in an `X-CSRF-Token` header or a `csrf` query
/// parameter, so that it can be checked before a byte of the body is read.
fn token_outside_body(req: &HttpRequest) -> Option<String> {
    if let Some(v) = req.headers().get("x-csrf-token") {
        return Some(v.to_str().unwrap_or("").to_string());
    }
    web::Query::<std::collections::HashMap<String, String>>::from_query(req.query_string())
        .ok()
        .and_then(|q| q.get("csrf").cloned())
}

/// An upload is decided before its body is read (review 2026-12-06, N1): the session, then the
/// token when it comes in a header or the query, then a place among the uploads in flight (one
/// per learner, a few in the server). Only then is the body streamed: the page's form sends
/// the token field first, and the file is not read until that token has been checked, and never
/// beyond [`IMPORT_LIMIT`]. The parse and the write take a place in the heavy gate like any
/// import.
async fn import(
    req: HttpRequest,
    state: web::Data<AppState>,
    visitor: Visitor,
    mut body: Multipart,
) -> Page {
    let learner = visitor.require(&req)?.id;
    let mut token_ok = false;
    if let Some(token) = token_outside_body(&req) {
        visitor.verify_csrf(&token)?;
        token_ok = true;
    }
    let _upload = state
        .uploads
        .try_enter(learner)
        .map_err(|busy| AppError::TooManyRequests(busy.message().to_string()))?;
    let mut data = Vec::new();
    while let Some(field) = next_of(&mut body).await {
        let mut field = field.map_err(upload_error)?;
        match field.name() {
            Some("csrf") if !token_ok => {
                let bad_token = || AppError::bad_request("表单令牌太长了，没有导入任何数据。");
                let token = read_field(&mut field, SMALL_FIELD_LIMIT, bad_token).await?;
                visitor.verify_csrf(std::str::from_utf8(&token).unwrap_or(""))?;
                token_ok = true;
            }
            // The file before any token: refused unread, as a form without a token is.
            Some("file") if !token_ok => break,
            Some("file") => data = read_field(&mut field, IMPORT_LIMIT, too_big).await?,
            _ => {
                let odd = || AppError::bad_request("表单里有多余的大字段，没有导入任何数据。");
                read_field(&mut field, SMALL_FIELD_LIMIT, odd).await?;
            }
        }
    }
    if !token_ok {
        visitor.verify_csrf("")?;
    }
    // One import per learner and a few in the server, across every instance: parsing and
    // writing take seconds, and two imports at once could pass the account's size cap.
    let _permit = enter_heavy(&state, learner).await?;
    if data.is_empty() {
        let msg = "请先选择要导入的文件（从 paperdeck 导出的 .json 文件）。".to_string();
        return page(&state, &visitor, learner, None, Some(msg)).await;
    }
    // Parsing megabytes of JSON would hold up this worker's other requests.
    let parsed = web::block(move || export::parse(&data))
        .await
        .map_err(|e| anyhow::anyhow!("import parse task: {e}"))?;
    let result = match parsed {
        Ok(file) => {
            let now = state.clock.now();
            export::import(&state.db, &state.content, learner, &file, now).await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(report) => page(&state, &visitor, learner, Some(report), None).await,
        Err(ImportError::Invalid(msg)) => page(&state, &visitor, learner, None, Some(msg)).await,
        Err(ImportError::Database(e)) => Err(e.into()),
    }
}
