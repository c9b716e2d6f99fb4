//! The one error type of the web layer.
//!
//! Handlers return `Result<_, AppError>` and use `?` on anything: database, template and
//! unexpected errors convert automatically and become a generic 500 page while the full cause
//! goes to the log; the 4xx variants carry a message the learner can act on.
//!
//! | variant          | status |
//! |------------------|--------|
//! | `BadRequest`     | 400    |
//! | `Forbidden`      | 403    |
//! | `NotFound`       | 404    |
//! | `Conflict`       | 409    |
//! | `PayloadTooLarge`| 413    |
//! | `RequestTimeout` | 408    |
//! | `TooManyRequests`| 429    |
//! | `Database`, when the database cannot be reached | 503 |
//! | `Internal`, `Database`, `Template` | 500 |

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use askama::Template;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("bad request: {0}")]
    BadRequest(String),
    /// Not an error page: a redirect to `/login?next=<the page asked for>`.
    #[error("login required for {0}")]
    LoginRequired(String),
    #[error("forbidden: {0}")]
    Forbidden(String),
    #[error("not found")]
    NotFound,
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("payload too large")]
    PayloadTooLarge,
    /// The request body stopped arriving (see `web::guard::body_deadline`).
    #[error("request body timed out")]
    RequestTimeout,
    #[error("too many requests: {0}")]
    TooManyRequests(String),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("template error: {0}")]
    Template(#[from] askama::Error),
    #[error("internal error: {0:#}")]
    Internal(#[from] anyhow::Error),
}

impl AppError {
    pub fn bad_request(msg: impl Into<String>) -> Self {
        AppError::BadRequest(msg.into())
    }

    pub fn forbidden(msg: impl Into<String>) -> Self {
        AppError::Forbidden(msg.into())
    }

    /// The title and message the learner sees.
    pub(super) fn public_text(&self) -> (&'static str, String) {
        match self {
            AppError::BadRequest(m) => ("请求有误", m.clone()),
            AppError::LoginRequired(_) => ("请先登录", "这个页面需要登录。".to_string()),
            AppError::Forbidden(m) => ("操作被拒绝", m.clone()),
            AppError::NotFound => (
                "页面不存在",
                "找不到这个页面。可能是链接写错了，或者页面已经移走。".to_string(),
            ),
            AppError::Conflict(m) => ("操作没有完成", m.clone()),
            AppError::PayloadTooLarge => (
                "提交的内容太大",
                "提交的内容超过了允许的大小，请缩短后再试。".to_string(),
            ),
            AppError::RequestTimeout => (
                "提交超时",
                "提交的内容传得太慢，已经中断。请检查网络后再试一次。".to_string(),
            ),
            AppError::TooManyRequests(m) => ("请稍后再试", m.clone()),
            AppError::Database(e) if crate::store::is_unavailable(e) => (
                "暂时无法访问数据库",
                "数据库暂时连不上（可能正在重启），你的数据没有丢失。请过几秒钟再试一次。"
                    .to_string(),
            ),
            AppError::Database(_) | AppError::Template(_) | AppError::Internal(_) => (
                "服务器出了点问题",
                "这不是你的错。问题已经记录下来，请稍后再试。".to_string(),
            ),
        }
    }
}

#[derive(Template)]
#[template(path = "errors/error.html")]
pub struct ErrorPage<'a> {
    pub nav: super::Nav,
    pub status: u16,
    pub title: &'a str,
    pub message: &'a str,
    /// The page she came from (same site), as a way back: messages say "回到上一页".
    pub back: Option<String>,
}

/// Renders the friendly error page; falls back to plain text if even that fails. `nav` is the
/// visitor's header when known ([`Nav::plain`](super::Nav::plain) when not).
pub fn error_page(status: StatusCode, title: &str, message: &str) -> HttpResponse {
    error_page_with(super::Nav::plain(), None, status, title, message)
}

/// [`error_page`] with her own header and a way back to the page she came from.
pub fn error_page_with(
    nav: super::Nav,
    back: Option<String>,
    status: StatusCode,
    title: &str,
    message: &str,
) -> HttpResponse {
    let page = ErrorPage {
        nav,
        status: status.as_u16(),
        title,
        message,
        back,
    };
    let body = page
        .render()
        .unwrap_or_else(|_| format!("{title}\n{message}"));
    HttpResponse::build(status)
        .insert_header((header::CONTENT_TYPE, "text/html; charset=utf-8"))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(body)
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::LoginRequired(_) => StatusCode::SEE_OTHER,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::RequestTimeout => StatusCode::REQUEST_TIMEOUT,
            AppError::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            AppError::Database(e) if crate::store::is_unavailable(e) => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            AppError::Database(_) | AppError::Template(_) | AppError::Internal(_) => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let AppError::LoginRequired(next) = self {
            let location = format!("/login?next={}", super::encode_query(next));
            return HttpResponse::SeeOther()
                .insert_header((header::LOCATION, location))
                .finish();
        }
        let status = self.status_code();
        if status.is_server_error() {
            tracing::error!(error = %self, "request failed");
        } else {
            tracing::debug!(error = %self, "request rejected");
        }
        let (title, message) = self.public_text();
        error_page(status, title, &message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_variant_maps_to_its_status() {
        let cases = [
            (AppError::bad_request("x"), 400),
            (AppError::forbidden("x"), 403),
            (AppError::NotFound, 404),
            (AppError::Conflict("x".into()), 409),
            (AppError::PayloadTooLarge, 413),
            (AppError::TooManyRequests("x".into()), 429),
            (AppError::Internal(anyhow::anyhow!("boom")), 500),
            (AppError::Database(sqlx::Error::PoolTimedOut), 503),
            (AppError::Database(sqlx::Error::RowNotFound), 500),
        ];
        for (err, status) in cases {
            assert_eq!(err.status_code().as_u16(), status, "{err:?}");
        }
    }

    #[test]
    fn internal_errors_do_not_leak_their_cause() {
        let err = AppError::Internal(anyhow::anyhow!("secret table name"));
        let (_, msg) = err.public_text();
        assert!(!msg.contains("secret"));
    }
}
