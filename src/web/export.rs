//! `/export` and `/import`: her data as downloads, and a JSON export taken back. The work is
//! done in [`crate::export`]; these handlers only check the visitor and shape the responses.

use super::error::AppError;
use super::{LearnerForm, LoggedIn, Nav, NoFields, Visitor, FORM_LIMIT};
use crate::export::{self, ImportError, ImportReport};
use crate::startup::AppState;
use crate::store;
use crate::web::Page;
use actix_multipart::form::bytes::Bytes;
use actix_multipart::form::text::Text;
use actix_multipart::form::{MultipartForm, MultipartFormConfig};
use actix_multipart::MultipartError;
use actix_web::http::header::{self, CacheControl, CacheDirective};
use actix_web::http::header::{ContentDisposition, DispositionParam, DispositionType};
use actix_web::{guard, web, HttpRequest, HttpResponse};
use askama::Template;

pub fn routes(r: &mut super::Routes) {
    use actix_web::http::Method;
    r.get("/export", show)
        .get("/export/paperdeck.json", json)
        .get("/export/revlog.csv", revlog)
        .get("/export/cards.csv", cards)
        .resource("/import", &[Method::GET, Method::POST], || {
            // The upload limits apply to this resource only; every other form keeps the small
            // limit set for the whole app.
            web::resource("/import")
                .app_data(upload_config())
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

fn upload_config() -> MultipartFormConfig {
    // The whole form may hold the file plus the token and the part headers.
    MultipartFormConfig::default()
        .total_limit(IMPORT_LIMIT + FORM_LIMIT)
        .memory_limit(IMPORT_LIMIT + FORM_LIMIT)
        .error_handler(|err, _| upload_error(err).into())
}

/// A broken or oversized upload is the learner's problem to fix, so it gets a 400 page that
/// says what to do rather than actix's bare error.
fn upload_error(err: MultipartError) -> AppError {
    use actix_web::error::PayloadError;
    match err {
        MultipartError::Payload(PayloadError::Overflow) => AppError::bad_request(format!(
            "文件太大了：最多可以导入 {IMPORT_LIMIT_MB} MB 的导出文件。没有导入任何数据。"
        )),
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
    let permit = state
        .heavy
        .try_enter(learner.id)
        .map_err(|busy| AppError::TooManyRequests(busy.message().to_string()))?;
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
    let body = Streamed {
        first: first.map(actix_web::web::Bytes::from),
        pending: Some(Box::pin(source.next_chunk())),
        _permit: permit,
    };
    Ok(download_headers(content_type, export::file_name(&learner.username, suffix)).body(body))
}

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

/// A response body that pulls the next piece of a [`export::Download`] only when the client
/// has taken the previous one, so a slow reader costs one page of memory, not the whole file.
struct Streamed {
    /// Read before the response was built (see [`download_of`]).
    first: Option<actix_web::web::Bytes>,
    pending: Option<PendingChunk>,
    _permit: crate::heavy::Permit,
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
        if let Some(first) = self.first.take() {
            return Poll::Ready(Some(Ok(first)));
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
                Poll::Ready(None)
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

/// The upload form. Both fields are optional so that a missing token is refused as a CSRF
/// failure (403) and a missing file gets its own message, instead of a generic form error.
#[derive(MultipartForm)]
pub struct ImportForm {
    #[multipart(limit = "20 MiB")]
    file: Option<Bytes>,
    csrf: Option<Text<String>>,
}

async fn import(
    req: HttpRequest,
    state: web::Data<AppState>,
    visitor: Visitor,
    form: MultipartForm<ImportForm>,
) -> Page {
    let learner = visitor.require(&req)?.id;
    // The token is inside the multipart body, so this handler checks it itself (the route table
    // test covers it like every other POST route).
    visitor.verify_csrf(form.csrf.as_ref().map(|t| t.0.as_str()).unwrap_or(""))?;
    // One import per learner and a few in the server: parsing and writing take seconds.
    let _permit = state
        .heavy
        .try_enter(learner)
        .map_err(|busy| AppError::TooManyRequests(busy.message().to_string()))?;
    let Some(data) = form
        .file
        .as_ref()
        .map(|f| f.data.clone())
        .filter(|d| !d.is_empty())
    else {
        let msg = "请先选择要导入的文件（从 paperdeck 导出的 .json 文件）。".to_string();
        return page(&state, &visitor, learner, None, Some(msg)).await;
    };
    // Parsing megabytes of JSON would hold up this worker's other requests.
    let parsed = web::block(move || export::parse(&data))
        .await
        .map_err(|e| anyhow::anyhow!("import parse task: {e}"))?;
    let result = match parsed {
        Ok(file) => export::import(&state.db, &state.content, learner, &file).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(report) => page(&state, &visitor, learner, Some(report), None).await,
        Err(ImportError::Invalid(msg)) => page(&state, &visitor, learner, None, Some(msg)).await,
        Err(ImportError::Database(e)) => Err(e.into()),
    }
}
