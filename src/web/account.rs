//! The account page: change password, recovery codes (how many are left, new ones), log out
//! everywhere, delete the account.
//!
//! Each action that needs the password goes through the log-in limiter like a log-in, so a
//! borrowed session cannot be used to guess the password either.

use super::auth::describe_wait;
use super::error::AppError;
use super::extract::{LearnerForm, LoggedIn};
use super::session::{logged_out, Learner};
use super::{Nav, Visitor};
use crate::auth::Password;
use crate::startup::AppState;
use crate::store;
use crate::web::Page;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

pub fn routes(r: &mut super::Routes) {
    r.get("/account", show)
        .post("/account/password", change_password)
        .post("/account/recovery-codes", new_recovery_codes)
        .post("/account/logout-everywhere", logout_everywhere)
        .post("/account/delete", delete);
}

#[derive(Template)]
#[template(path = "account/index.html")]
struct AccountPage {
    nav: Nav,
    username: String,
    /// Her recovery codes not used yet.
    codes_left: i64,
    error: Option<String>,
    notice: Option<String>,
}

#[derive(Deserialize)]
pub struct ShowQuery {
    done: Option<String>,
}

/// The account page for `learner`, with an error or a notice.
async fn page(
    state: &AppState,
    (visitor, learner): (&Visitor, &Learner),
    error: Option<String>,
    notice: Option<String>,
    status: StatusCode,
) -> Page {
    let body = AccountPage {
        nav: visitor.nav("settings"),
        username: learner.username.clone(),
        codes_left: store::recovery::unused(&state.db, learner.id).await?,
        error,
        notice,
    };
    super::render_with(status, &body)
}

async fn show(
    state: web::Data<AppState>,
    q: web::Query<ShowQuery>,
    LoggedIn { learner, visitor }: LoggedIn,
) -> Page {
    let notice = match q.done.as_deref() {
        Some("password") => Some("密码已修改，其他设备上的登录都已失效。".to_string()),
        Some("recovered") => Some(
            "密码已经重设，你已登录。用过的恢复码不能再用；其他设备上的登录都已失效。".to_string(),
        ),
        _ => None,
    };
    page(&state, (&visitor, &learner), None, notice, StatusCode::OK).await
}

/// Checks the learner's own password through the log-in limiter. `Err(page)` is the response
/// to send when the password is wrong or the limiter says to wait.
async fn confirm_password(
    req: &HttpRequest,
    state: &AppState,
    (visitor, learner): (&Visitor, &Learner),
    password: &str,
) -> Result<Result<(), HttpResponse>, AppError> {
    let key = learner.username.to_ascii_lowercase();
    let addr = super::guard::client_addr(req, state);
    let device = super::auth::known_device(req, state, &key);
    let who = (visitor, learner);
    let attempt = match super::auth::begin_attempt(state, &key, addr, device.as_deref()).await? {
        Ok(a) => a,
        Err(wait) => {
            let msg = format!("密码错误次数太多，请 {}后再试。", describe_wait(wait));
            let status = StatusCode::TOO_MANY_REQUESTS;
            return Ok(Err(page(state, who, Some(msg), None, status).await?));
        }
    };
    if attempt.check(state, &key, addr, password).await?.is_some() {
        return Ok(Ok(()));
    }
    let msg = "密码不对，所以没有做任何修改。".to_string();
    let status = StatusCode::UNAUTHORIZED;
    Ok(Err(page(state, who, Some(msg), None, status).await?))
}

#[derive(Deserialize)]
pub struct PasswordForm {
    current_password: String,
    new_password: String,
    new_password_confirm: String,
}

async fn change_password(
    req: HttpRequest,
    state: web::Data<AppState>,
    LearnerForm {
        learner,
        visitor,
        form,
    }: LearnerForm<PasswordForm>,
) -> Page {
    let who = (&visitor, &learner);
    let new = match Password::parse_new(&form.new_password, &learner.username) {
        Ok(p) => p,
        Err(m) => return page(&state, who, Some(m), None, StatusCode::BAD_REQUEST).await,
    };
    if form.new_password_confirm != new.expose() {
        let msg = "两次输入的新密码不一致。".to_string();
        return page(&state, who, Some(msg), None, StatusCode::BAD_REQUEST).await;
    }
    if let Err(res) = confirm_password(&req, &state, who, &form.current_password).await? {
        return Ok(res);
    }
    let addr = super::guard::client_addr(&req, &state);
    let hash = super::auth::hash_new(&state, crate::auth::Lane::From(addr), new).await?;
    store::learners::set_password_hash(&state.db, learner.id, &hash).await?;
    // Whoever else knew the old password loses their sessions, and this device gets a new
    // session id (review 2026-12-06, N8): a stolen copy of this device's cookie dies too.
    let sid = super::auth::new_session(&state, learner.id).await?;
    store::learners::delete_sessions_except(&state.db, learner.id, Some(&sid)).await?;
    state.db.cache.forget_sessions_of(learner.id);
    tracing::info!(learner = learner.id, "password changed");
    Ok(super::auth::session_redirect(
        &state,
        sid,
        "/account?done=password",
    ))
}

/// New recovery codes, after her password (like every action here, through the log-in
/// limiter): the old ones, used or not, stop working, and the new ones are shown once on
/// `/account/recovery-codes`.
async fn new_recovery_codes(
    req: HttpRequest,
    state: web::Data<AppState>,
    f: LearnerForm<DeleteForm>,
) -> Page {
    let who = (&f.visitor, &f.learner);
    if let Err(res) = confirm_password(&req, &state, who, &f.form.password).await? {
        return Ok(res);
    }
    let codes = super::recovery::replace_codes(&state, f.learner.id).await?;
    tracing::info!(learner = f.learner.id, "recovery codes renewed");
    Ok(super::recovery::show_codes_once(
        &state,
        f.learner.id,
        &codes,
        "/account",
    ))
}

/// "Log out everywhere" asks for the password (review 2026-12-06, N8), so a stolen cookie
/// cannot use it to throw the owner out.
async fn logout_everywhere(
    req: HttpRequest,
    state: web::Data<AppState>,
    f: LearnerForm<DeleteForm>,
) -> Page {
    let learner = &f.learner;
    let who = (&f.visitor, learner);
    if let Err(res) = confirm_password(&req, &state, who, &f.form.password).await? {
        return Ok(res);
    }
    store::learners::delete_sessions_except(&state.db, learner.id, None).await?;
    state.db.cache.forget_sessions_of(learner.id);
    Ok(logged_out(&state))
}

/// A form whose one field is her password.
#[derive(Deserialize)]
pub struct DeleteForm {
    password: String,
}

async fn delete(req: HttpRequest, state: web::Data<AppState>, f: LearnerForm<DeleteForm>) -> Page {
    let learner = &f.learner;
    let who = (&f.visitor, learner);
    if let Err(res) = confirm_password(&req, &state, who, &f.form.password).await? {
        return Ok(res);
    }
    store::learners::delete(&state.db, learner.id).await?;
    state.db.cache.forget_sessions_of(learner.id);
    state.db.cache.forget(learner.id);
    tracing::info!(learner = learner.id, "account deleted");
    Ok(logged_out(&state))
}
