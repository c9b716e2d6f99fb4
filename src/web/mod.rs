//! HTTP: the server, its middleware, and one module per page area. Templates under
//! `templates/` mirror these modules.

use crate::startup::AppState;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Server, ServiceResponse};
use actix_web::http::{header, StatusCode};
use actix_web::middleware::{self, DefaultHeaders, ErrorHandlerResponse, ErrorHandlers};
use actix_web::{web, App, HttpResponse, HttpServer};
use askama::Template;
use error::AppError;
use std::net::TcpListener;
use std::sync::Arc;

pub mod account;
pub mod assets;
pub mod auth;
pub mod error;
pub mod export;
pub mod extract;
pub mod guard;
pub mod pages;
pub mod paper_parts;
pub mod progress;
pub mod quiz;
pub mod reading;
pub mod recovery;
pub mod session;
pub mod settings;
pub mod shared;

pub use extract::{
    route_table, CsrfForm, LearnerForm, LoggedIn, NoFields, PaperPath, Routes, SessionForm,
};
pub use session::Visitor;

/// What every page's layout needs: who is logged in and the form token for the log-out button.
#[derive(Debug, Clone, Default)]
pub struct Nav {
    pub user: Option<String>,
    pub csrf: String,
    /// Which top-level area is active, for the header highlight.
    pub area: &'static str,
}

impl Nav {
    /// For an error page whose visitor could not be read (a server error before the session
    /// was): the header shows no account links, since it cannot know who is asking.
    pub fn plain() -> Nav {
        Nav {
            area: "error",
            ..Nav::default()
        }
    }

    pub fn asset(&self, name: &str) -> String {
        assets::url(name)
    }
}

/// What a handler returns: the page, or an [`AppError`] that becomes the friendly error page.
pub type Page = Result<HttpResponse, AppError>;

/// Renders a template as an HTML response.
pub fn render<T: Template>(t: &T) -> Page {
    render_with(StatusCode::OK, t)
}

/// Renders a template as an HTML response with another status (a form sent back with its error).
pub fn render_with<T: Template>(status: StatusCode, t: &T) -> Page {
    Ok(HttpResponse::build(status)
        .insert_header((header::CONTENT_TYPE, "text/html; charset=utf-8"))
        .body(t.render()?))
}

/// 400 for a page sent back with a form error, else 200.
pub fn form_status(error: &Option<String>) -> StatusCode {
    if error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    }
}

/// Redirect after a POST (303, so the browser follows with GET).
pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .finish()
}

const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   font-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; \
                   object-src 'none'";

/// File descriptors kept free of connections: database pools, logs, the listener, spare.
const FILES_KEPT: u64 = 128;

/// Body size limit for forms: generous for any field we accept, small enough to refuse abuse.
pub const FORM_LIMIT: usize = 64 * 1024;

pub fn server(listener: TcpListener, state: Arc<AppState>) -> std::io::Result<Server> {
    // Connections in all stay below the file limit, with room for the database, the log and
    // the listener (review 2026-12-06, M1r); actix counts them per worker.
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get());
    let files = guard::raise_file_limit();
    let total = (files.saturating_sub(FILES_KEPT) as usize).clamp(workers, 25_000);
    let connections = guard::Connections::new(
        state.settings.connections_per_addr,
        &state.settings.trusted_proxies,
    );
    tracing::info!(files, connections = total, "connection limits");
    let data = web::Data::from(state);
    let server = HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .app_data(
                web::FormConfig::default()
                    .limit(FORM_LIMIT)
                    .error_handler(|err, _| form_error(err).into()),
            )
            .app_data(web::PathConfig::default().error_handler(|_, _| AppError::NotFound.into()))
            .app_data(web::QueryConfig::default().error_handler(|err, _| {
                AppError::bad_request(format!("网址中的参数有误：{err}")).into()
            }))
            .app_data(web::PayloadConfig::default().limit(FORM_LIMIT))
            .wrap(ErrorHandlers::new().default_handler(friendly_errors))
            .wrap(middleware::from_fn(session::anon_cookie))
            .wrap(middleware::from_fn(guard::no_store))
            .wrap(middleware::from_fn(guard::body_deadline))
            .wrap(
                DefaultHeaders::new()
                    .add((header::CONTENT_SECURITY_POLICY, CSP))
                    .add((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
                    .add((header::REFERRER_POLICY, "same-origin"))
                    .add((header::X_FRAME_OPTIONS, "DENY")),
            )
            .wrap(middleware::Compress::default())
            .wrap(tracing_logger())
            .configure(|cfg| register(&mut Routes::new(cfg)))
            .default_service(web::to(|| async {
                Err::<HttpResponse, _>(AppError::NotFound)
            }))
    })
    .workers(workers)
    .max_connections(total / workers)
    .on_connect(move |io, data| connections.admit(io, data))
    .listen(listener)?
    .shutdown_timeout(10)
    // Stop signals are listened for in `startup`, from before the first connection.
    .disable_signals()
    .run();
    Ok(server)
}

fn tracing_logger() -> middleware::Logger {
    middleware::Logger::new("%r %s %Dms").log_target("paperdeck::http")
}

/// Every route of the app; [`route_table`] lists them.
fn register(r: &mut Routes) {
    r.get("/healthz", pages::healthz);
    r.get("/livez", pages::livez);
    assets::routes(r);
    pages::routes(r);
    auth::routes(r);
    account::routes(r);
    recovery::routes(r);
    quiz::routes(r);
    reading::routes(r);
    progress::routes(r);
    settings::routes(r);
    export::routes(r);
}

/// Form errors from actix (missing field, wrong type, bad UTF-8, too large) become a 400 page
/// that says what is wrong.
pub(crate) fn form_error(err: actix_web::error::UrlencodedError) -> AppError {
    use actix_web::error::UrlencodedError as E;
    match err {
        // 400 rather than 413: the learner gets the same kind of page as for any bad form.
        E::Overflow { .. } | E::UnknownLength => AppError::bad_request(
            "提交的内容太大了，超过了表单允许的大小，所以没有保存。请缩短后再试。",
        ),
        E::ContentType => AppError::bad_request("表单的格式不对：需要以普通网页表单提交。"),
        E::Parse(e) => {
            AppError::bad_request(format!("表单内容有误：{}", describe_serde(&e.to_string())))
        }
        E::Encoding => AppError::bad_request("表单的文字编码不对：请用 UTF-8 提交。"),
        E::Payload(p) if guard::is_body_timeout(&p) => AppError::RequestTimeout,
        other => AppError::bad_request(format!("表单无法读取：{other}")),
    }
}

fn describe_serde(msg: &str) -> String {
    if let Some(f) = msg.strip_prefix("missing field ") {
        format!("缺少字段 {f}")
    } else if msg.contains("invalid digit") || msg.contains("invalid type") {
        format!("有字段的类型不对（{msg}）")
    } else {
        msg.to_string()
    }
}

/// Every error page, ours (an [`AppError`]) or actix's own (its 404 and 405, extractor errors),
/// is rendered here with the visitor's own header and a way back (B2), so a learner never sees a
/// bare text error or seems logged out. Pages that answer a form with its error (a 400 with the
/// form) are ours and left as they are.
fn friendly_errors<B: MessageBody + 'static>(
    res: ServiceResponse<B>,
) -> actix_web::Result<ErrorHandlerResponse<B>> {
    let status = res.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    }
    let app_error = res
        .response()
        .error()
        .and_then(|e| e.as_error::<AppError>())
        .map(AppError::public_text);
    // Our own pages, and the JSON of /healthz (a 503 there is an answer for a load balancer,
    // which reads the body, not an error page).
    let ours = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html") || v.starts_with("application/json"));
    let (title, message) = match app_error {
        Some(text) => text,
        None if ours => return Ok(ErrorHandlerResponse::Response(res.map_into_left_body())),
        None => {
            let (title, message) = match status {
                StatusCode::NOT_FOUND => ("页面不存在", "找不到这个页面。"),
                StatusCode::METHOD_NOT_ALLOWED => {
                    ("不支持这种请求", "这个网址不接受这种请求方式。")
                }
                StatusCode::PAYLOAD_TOO_LARGE => ("提交的内容太大", "提交的内容超过了允许的大小。"),
                StatusCode::UNSUPPORTED_MEDIA_TYPE => ("格式不对", "提交的内容格式不被支持。"),
                s if s.is_server_error() => ("服务器出了点问题", "这不是你的错，请稍后再试。"),
                _ => ("请求有误", "请求无法处理，请检查后再试。"),
            };
            (title, message.to_string())
        }
    };
    let (req, _) = res.into_parts();
    Ok(ErrorHandlerResponse::Future(Box::pin(async move {
        let visitor = session::visitor_for_error(&req, status.is_server_error()).await;
        let here = req.uri().path_and_query().map(|p| p.as_str().to_string());
        let back = session::referer_path(&req).filter(|r| Some(r) != here.as_ref());
        let nav = visitor.map_or_else(Nav::plain, |v| v.nav(""));
        let page: HttpResponse<BoxBody> =
            error::error_page_with(nav, back, status, title, &message);
        Ok(ServiceResponse::new(req, page).map_into_right_body::<B>())
    })))
}

/// A GET route that also answers HEAD (actix leaves the body out for HEAD).
pub fn get() -> actix_web::Route {
    use actix_web::guard;
    web::route().guard(guard::Any(guard::Get()).or(guard::Head()))
}

/// Percent-encodes a value for a query string.
pub fn encode_query(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// "今天稍后", "明天（12月1日）", "5 天后（12月5日）" in the learner's time zone and days.
pub fn describe_when(ts: i64, now: i64, prefs: &crate::scheduler::Prefs) -> String {
    let days = prefs.day_index(ts) - prefs.day_index(now);
    let local = chrono::DateTime::from_timestamp(ts, 0)
        .unwrap_or_default()
        .with_timezone(&prefs.tz);
    let date = local.format("%-m月%-d日").to_string();
    match days {
        d if d <= 0 => {
            let mins = ((ts - now).max(0) + 59) / 60;
            if mins < 60 {
                format!("今天稍后（约 {mins} 分钟后）")
            } else {
                format!("今天稍后（约 {} 小时后）", (mins + 30) / 60)
            }
        }
        1 => format!("明天（{date}）"),
        d => format!("{d} 天后（{date}）"),
    }
}
