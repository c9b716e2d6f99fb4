//! An account she cannot lose (issue 20 §5): the password reset with a recovery code
//! (`/recover`, 忘记密码 on the log-in page), and the page that shows new codes once
//! (`/account/recovery-codes`). New codes are made at sign-up ([`super::auth`]) and on request
//! from `/account` ([`super::account`]); the codes themselves are in [`crate::auth::recovery`].
//!
//! A reset is a log-in attempt: it is reserved in the log-in limiter under the name typed
//! (the same buckets, in this process and in the database for every instance), so guesses at
//! codes and at passwords share one budget. A wrong name and a wrong or used code get the same
//! message. The code is checked before the new password is hashed, and used up in the
//! transaction that sets the new password and ends every session of hers; this device then
//! gets a fresh one.
//!
//! New codes travel to the page that shows them in an encrypted cookie sent only to that page
//! and removed by it, so they are shown once and never stored in plain text.

use super::auth::{describe_wait, with_status, AuthForm};
use super::error::AppError;
use super::session::{private_cookie, read_private};
use super::{render, CsrfForm, LoggedIn, Nav, Visitor};
use crate::auth::{self, recovery, Password};
use crate::startup::AppState;
use crate::store;
use crate::web::Page;
use actix_web::cookie::Cookie;
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

pub fn routes(r: &mut super::Routes) {
    r.get("/recover", recover_form)
        .post("/recover", recover)
        .get(CODES_PATH, show_codes);
}

/// The page that shows new codes, and the only path their cookie is sent to.
const CODES_PATH: &str = "/account/recovery-codes";
/// The encrypted cookie that carries new codes to [`CODES_PATH`]: her id and the codes.
const CODES_COOKIE: &str = "pd_codes";
/// How long the codes wait for their page: the redirect is followed at once.
const CODES_COOKIE_SECS: i64 = 600;

/// The one message for a wrong name, a wrong code and a used one: which it was is not said.
const WRONG: &str = "用户名或恢复码不对（每个恢复码只能用一次）。";

/// The stored hashes of `codes` for the learner `learner`.
pub(super) fn hashes_of(codes: &[String], learner: i64) -> Vec<String> {
    codes
        .iter()
        .filter_map(|c| recovery::key_of(c))
        .map(|k| recovery::hash(learner, &k))
        .collect()
}

/// A new set of codes for the learner, replacing all her old ones; the codes, to show once.
pub(super) async fn replace_codes(state: &AppState, learner: i64) -> Result<Vec<String>, AppError> {
    let codes = recovery::new_codes(recovery::CODES);
    let now = state.clock.now();
    store::recovery::replace(&state.db, learner, &hashes_of(&codes, learner), now).await?;
    Ok(codes)
}

/// A redirect to the page that shows `codes` once, then offers `next`.
pub(super) fn show_codes_once(
    state: &AppState,
    learner: i64,
    codes: &[String],
    next: &str,
) -> HttpResponse {
    let mut c = private_cookie(
        state,
        CODES_COOKIE,
        format!("{learner} {}", codes.join(" ")),
    );
    c.set_path(CODES_PATH);
    c.set_max_age(actix_web::cookie::time::Duration::seconds(
        CODES_COOKIE_SECS,
    ));
    let to = format!("{CODES_PATH}?next={}", super::encode_query(next));
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, to))
        .cookie(c)
        .finish()
}

/// The codes waiting for the learner `learner` in this request's cookie (none when the cookie
/// is missing, unreadable or another learner's).
fn pending_codes(req: &HttpRequest, state: &AppState, learner: i64) -> Vec<String> {
    let Some(value) = read_private(req, state, CODES_COOKIE) else {
        return Vec::new();
    };
    let mut words = value.split(' ');
    if words.next() != Some(learner.to_string().as_str()) {
        return Vec::new();
    }
    words
        .filter(|c| recovery::key_of(c).is_some())
        .map(str::to_string)
        .collect()
}

fn codes_removal(state: &AppState) -> Cookie<'static> {
    let mut c = super::session::removal_cookie(state, CODES_COOKIE);
    c.set_path(CODES_PATH);
    c
}

#[derive(Deserialize)]
pub struct CodesQuery {
    next: Option<String>,
}

#[derive(Template)]
#[template(path = "account/recovery_codes.html")]
struct CodesPage {
    nav: Nav,
    /// Empty when they were shown already (or never reached this browser).
    codes: Vec<String>,
    next: String,
}

/// Shows the codes just made, once: the response removes their cookie, so reloading the page
/// (or coming back to it) says they were shown already and where to make new ones.
async fn show_codes(
    req: HttpRequest,
    state: web::Data<AppState>,
    q: web::Query<CodesQuery>,
    LoggedIn { learner, visitor }: LoggedIn,
) -> Page {
    let page = CodesPage {
        nav: visitor.nav("settings"),
        codes: pending_codes(&req, &state, learner.id),
        next: auth::safe_next(q.next.as_deref()),
    };
    let mut res = render(&page)?;
    res.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    if req.cookie(CODES_COOKIE).is_some() {
        res.add_cookie(&codes_removal(&state))
            .map_err(|e| anyhow::anyhow!("codes cookie: {e}"))?;
    }
    Ok(res)
}

#[derive(Template)]
#[template(path = "auth/recover.html")]
struct RecoverPage {
    nav: Nav,
    form: AuthForm,
}

async fn recover_form(visitor: Visitor) -> Page {
    render(&RecoverPage {
        nav: visitor.form_nav("login"),
        form: AuthForm::empty("/".into()),
    })
}

#[derive(Deserialize)]
pub struct RecoverForm {
    username: String,
    code: String,
    new_password: String,
    new_password_confirm: String,
}

/// The password reset: name, code and new password, then a fresh session on this device.
async fn recover(
    req: HttpRequest,
    state: web::Data<AppState>,
    CsrfForm { visitor, form }: CsrfForm<RecoverForm>,
) -> Page {
    let key = form.username.trim().to_ascii_lowercase();
    let page = |msg: String, invalid: &'static str, status: StatusCode| {
        let form = AuthForm::again(&form.username, "/", msg, invalid);
        let nav = visitor.form_nav("login");
        with_status(&RecoverPage { nav, form }, status)
    };
    // Longer than any name or code can be: wrong without a look, like a log-in (review
    // 2026-12-06, N2), so text of any size never reaches the limiter or the database.
    if key.chars().count() > 32 || form.code.chars().count() > recovery::MAX_TYPED_CHARS {
        return page(WRONG.into(), "code", StatusCode::UNAUTHORIZED);
    }
    // The new password's own rules first: a typo there uses up no attempt.
    let new = match Password::parse_new(&form.new_password, form.username.trim()) {
        Ok(p) => p,
        Err(m) => return page(m, "new_password", StatusCode::BAD_REQUEST),
    };
    if form.new_password_confirm != new.expose() {
        let msg = "两次输入的新密码不一致。".to_string();
        return page(msg, "new_password_confirm", StatusCode::BAD_REQUEST);
    }
    let addr = super::guard::client_addr(&req, &state);
    let device = super::auth::known_device(&req, &state, &key);
    let attempt = match super::auth::begin_attempt(&state, &key, addr, device.as_deref()).await? {
        Ok(a) => a,
        Err(wait) => {
            let wait = describe_wait(wait);
            let msg = format!("尝试失败的次数太多，为了保护账户，请 {wait}后再试。");
            return page(msg, "", StatusCode::TOO_MANY_REQUESTS);
        }
    };
    let lane = super::auth::lane_of(device.is_some(), addr);
    let outcome = redeem(&state, lane, &key, &form.code, new).await;
    let Some(id) = attempt.settle(&state, &key, addr, outcome).await? else {
        return page(WRONG.into(), "code", StatusCode::UNAUTHORIZED);
    };
    tracing::info!(learner = id, "password reset with a recovery code");
    let sid = super::auth::new_session(&state, id).await?;
    let mut res = super::auth::session_redirect(&state, sid, "/account?done=recovered");
    res.add_cookie(&super::auth::device_cookie(&state, &key, device))
        .map_err(|e| anyhow::anyhow!("device cookie: {e}"))?;
    Ok(res)
}

/// Uses the code `typed` of the learner named `key` to set her new password, ending all her
/// sessions: her id, or `None` when the name or the code is wrong (or the code used). The new
/// password is hashed only once the code is known to be good.
async fn redeem(
    state: &AppState,
    lane: auth::Lane,
    key: &str,
    typed: &str,
    new: Password,
) -> Result<Option<i64>, AppError> {
    let learner = store::learners::credentials_by_key(&state.db, key)
        .await?
        .map(|c| c.id);
    let Some(code) = recovery::key_of(typed) else {
        return Ok(None);
    };
    // An unknown name is looked up all the same (no learner has id 0), so it answers like a
    // wrong code.
    let id = learner.unwrap_or(0);
    let hash = recovery::hash(id, &code);
    if !store::recovery::is_unused(&state.db, id, &hash).await? || learner.is_none() {
        return Ok(None);
    }
    let password_hash = super::auth::hash_new(state, lane, new).await?;
    let now = state.clock.now();
    if !store::recovery::redeem(&state.db, id, &hash, &password_hash, now).await? {
        // Used by another request meanwhile.
        return Ok(None);
    }
    state.db.cache.forget_sessions_of(id);
    Ok(Some(id))
}
