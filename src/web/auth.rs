//! Sign-up, log-in and log-out.

use super::error::AppError;
use super::session::{logged_out, private_cookie, random_id, SESSION_COOKIE};
use super::{render, CsrfForm, Nav, NoFields, SessionForm, Visitor};
use crate::auth::{self, Password, Username};
use crate::startup::AppState;
use crate::store;
use crate::web::Page;
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;
use std::time::Instant;

pub fn routes(r: &mut super::Routes) {
    r.get("/signup", signup_form)
        .post("/signup", signup)
        .get("/login", login_form)
        .post("/login", login)
        .post("/logout", logout);
}

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

/// What the sign-up, log-in and recovery forms show besides the navigation.
pub(super) struct AuthForm {
    /// The name as typed, shown again after an error.
    pub(super) username: String,
    pub(super) error: Option<String>,
    /// The id of the field the error is about ("" when none): marked invalid and focused.
    pub(super) invalid: &'static str,
    pub(super) next: String,
}

impl AuthForm {
    fn blank(q: &NextQuery) -> AuthForm {
        AuthForm::empty(auth::safe_next(q.next.as_deref()))
    }

    /// The form with nothing typed yet, going on to `next` (a checked local path).
    pub(super) fn empty(next: String) -> AuthForm {
        AuthForm {
            username: String::new(),
            error: None,
            invalid: "",
            next,
        }
    }

    /// The form again with `error` about the field `invalid`.
    pub(super) fn again(typed: &str, next: &str, error: String, invalid: &'static str) -> AuthForm {
        AuthForm {
            username: typed.chars().take(64).collect(),
            error: Some(error),
            invalid,
            next: next.to_string(),
        }
    }
}

#[derive(Template)]
#[template(path = "auth/signup.html")]
struct SignupPage {
    nav: Nav,
    form: AuthForm,
}

#[derive(Template)]
#[template(path = "auth/login.html")]
struct LoginPage {
    nav: Nav,
    form: AuthForm,
}

pub(super) fn with_status<T: Template>(t: &T, status: StatusCode) -> Page {
    super::render_with(status, t)
}

async fn signup_form(visitor: Visitor, q: web::Query<NextQuery>) -> Page {
    let form = AuthForm::blank(&q);
    render(&SignupPage {
        nav: visitor.form_nav("signup"),
        form,
    })
}

/// The sign-up and log-in forms' fields (log-in has no confirmation).
#[derive(Deserialize)]
pub struct CredentialsForm {
    username: String,
    password: String,
    #[serde(default)]
    password_confirm: Option<String>,
    #[serde(default)]
    next: Option<String>,
}

async fn signup(
    req: HttpRequest,
    state: web::Data<AppState>,
    CsrfForm { visitor, form }: CsrfForm<CredentialsForm>,
) -> Page {
    let next = auth::safe_next(form.next.as_deref());
    let page = |msg: String, invalid: &'static str| SignupPage {
        nav: visitor.form_nav("signup"),
        form: AuthForm::again(&form.username, &next, msg, invalid),
    };
    let fail = |msg: String, invalid: &'static str| {
        with_status(&page(msg, invalid), StatusCode::BAD_REQUEST)
    };
    let username = match Username::parse(&form.username) {
        Ok(u) => u,
        Err(m) => return fail(m, "username"),
    };
    let password = match Password::parse_new(&form.password, username.as_str()) {
        Ok(p) => p,
        Err(m) => return fail(m, "password"),
    };
    if let Some(confirm) = &form.password_confirm {
        if confirm != password.expose() {
            return fail("两次输入的密码不一致。".into(), "password_confirm");
        }
    }
    let addr = super::guard::client_addr(&req, &state);
    let _permit = match admit_signup(&state, addr).await? {
        Ok(permit) => permit,
        Err(msg) => return with_status(&page(msg, ""), StatusCode::TOO_MANY_REQUESTS),
    };
    let hash = hash_new(&state, auth::Lane::From(addr), password).await?;
    let now = state.clock.now();
    // Her recovery codes are made with her account, in its transaction, and shown once on the
    // page she is sent to next.
    let codes = auth::recovery::new_codes(auth::recovery::CODES);
    let hashes = |id| super::recovery::hashes_of(&codes, id);
    let (name, key) = (username.as_str(), username.key());
    let made = store::recovery::create_learner(&state.db, name, &key, &hash, now, hashes).await?;
    let Some(id) = made else {
        return fail(
            "这个用户名已经有人用了（不区分大小写），换一个吧。".into(),
            "username",
        );
    };
    tracing::info!(learner = id, "new learner signed up");
    let sid = new_session(&state, id).await?;
    let mut res = super::recovery::show_codes_once(&state, id, &codes, &next);
    res.add_cookie(&private_cookie(&state, SESSION_COOKIE, sid))
        .map_err(|e| anyhow::anyhow!("session cookie: {e}"))?;
    Ok(res)
}

/// Every sign-up costs a password hash: they are limited per address and overall (M5), after
/// the cheap checks so a typo does not use up the budget. The overall budget slows a flood
/// from many addresses, but must not close sign-up for everyone (review 2026-12-06, N5): an
/// address's first sign-up in the hour passes it, up to a ceiling ten times as high. The
/// counts are rows in the database, so they hold for every instance (N6). Then one sign-up at
/// a time waits for the hashing thread, so log-ins queue behind at most one sign-up's hash
/// however many sign-ups arrive. The permit to go on, or the message for a 429.
async fn admit_signup(
    state: &AppState,
    addr: Option<std::net::IpAddr>,
) -> Result<Result<tokio::sync::SemaphorePermit<'_>, String>, AppError> {
    let s = &state.settings;
    let budget = store::learners::SignupBudget {
        window: 3600,
        per_addr: s.signups_per_addr_per_hour as i64,
        overall: s.signups_per_hour as i64,
        first_overall: (s.signups_per_hour as i64).saturating_mul(10),
    };
    let taken =
        store::learners::take_signup(&state.db, &addr_key(addr), state.clock.now(), budget).await?;
    if let Err(wait) = taken {
        let wait = std::time::Duration::from_secs(wait.max(1) as u64);
        return Ok(Err(format!(
            "注册太频繁了，请 {}后再试。",
            describe_wait(wait)
        )));
    }
    let permit = tokio::time::timeout(
        std::time::Duration::from_secs(10),
        state.signup_permit.acquire(),
    )
    .await;
    match permit {
        Ok(Ok(permit)) => Ok(Ok(permit)),
        _ => Ok(Err("现在注册的人很多，请稍后再试。".into())),
    }
}

/// The stored hash of a new password, made on the hashing thread.
pub async fn hash_new(
    state: &AppState,
    lane: auth::Lane,
    password: Password,
) -> Result<String, AppError> {
    let hash = state
        .hasher
        .run_in(lane, move || auth::hash_password(password.expose()))
        .await
        .map_err(hash_error)?
        .map_err(|e| anyhow::anyhow!("hashing failed: {e}"))?;
    Ok(hash)
}

/// "3 分钟" or "20 秒": how long to wait, for a message.
pub fn describe_wait(wait: std::time::Duration) -> String {
    let secs = wait.as_secs().max(1);
    if secs >= 60 {
        format!("{} 分钟", secs.div_ceil(60))
    } else {
        format!("{secs} 秒")
    }
}

/// A new session for the learner: its row, and a redirect to `next` that sets its cookie.
pub async fn start_session(state: &AppState, learner_id: i64, next: &str) -> Page {
    let sid = new_session(state, learner_id).await?;
    Ok(session_redirect(state, sid, next))
}

/// A new session row for the learner; its id.
pub async fn new_session(state: &AppState, learner_id: i64) -> Result<String, AppError> {
    let sid = random_id();
    store::learners::create_session(&state.db, &sid, learner_id, state.clock.now()).await?;
    Ok(sid)
}

/// A redirect to `next` that sets the session cookie to `sid`.
pub fn session_redirect(state: &AppState, sid: String, next: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, next))
        .cookie(private_cookie(state, SESSION_COOKIE, sid))
        .finish()
}

async fn login_form(visitor: Visitor, q: web::Query<NextQuery>) -> Page {
    let form = AuthForm::blank(&q);
    render(&LoginPage {
        nav: visitor.form_nav("login"),
        form,
    })
}

async fn login(
    req: HttpRequest,
    state: web::Data<AppState>,
    CsrfForm { visitor, form }: CsrfForm<CredentialsForm>,
) -> Page {
    let key = form.username.trim().to_ascii_lowercase();
    let next = auth::safe_next(form.next.as_deref());
    let addr = super::guard::client_addr(&req, &state);
    let page = |msg: String, invalid: &'static str| LoginPage {
        nav: visitor.form_nav("login"),
        form: AuthForm::again(&form.username, &next, msg, invalid),
    };

    // A name or password longer than any account can have is wrong without a look (review
    // 2026-12-06, N2): it never reaches the limiter, the table of failures or the hasher, so
    // client-chosen text of any size is not kept anywhere.
    if !could_be_credentials(&key, &form.password) {
        return with_status(
            &page("用户名或密码不对。".into(), "password"),
            StatusCode::UNAUTHORIZED,
        );
    }

    // Reserve the attempt before hashing (H2): it counts from now on, so concurrent guesses
    // cannot all pass the check while the first ones are still being verified. The stored
    // failures add what other instances have seen. A browser that logged in to this account
    // before has its own budget instead (H3r), so nobody else's failures keep its owner out.
    let device = known_device(&req, &state, &key);
    let attempt = match begin_attempt(&state, &key, addr, device.as_deref()).await? {
        Ok(a) => a,
        Err(wait) => {
            return with_status(
                &page(
                    format!(
                        "登录失败次数太多，为了保护账户，请 {}后再试。",
                        describe_wait(wait)
                    ),
                    "",
                ),
                StatusCode::TOO_MANY_REQUESTS,
            );
        }
    };

    let Some(ok) = attempt.check(&state, &key, addr, &form.password).await? else {
        return with_status(
            &page("用户名或密码不对。".into(), "password"),
            StatusCode::UNAUTHORIZED,
        );
    };
    let cookie = device_cookie(&state, &key, device);
    let mut res = start_session(&state, ok, &next).await?;
    res.add_cookie(&cookie)
        .map_err(|e| anyhow::anyhow!("device cookie: {e}"))?;
    Ok(res)
}

/// Whether a name key and a password are within the lengths an account can have (user names
/// at most 32 characters, passwords at most 128): anything longer cannot be right.
pub fn could_be_credentials(key: &str, password: &str) -> bool {
    key.chars().count() <= 32 && password.chars().count() <= 128
}

/// The cookie that marks a browser which has logged in to an account: the account's name key
/// and a random id, encrypted under the app key (OWASP's "device cookies").
pub const DEVICE_COOKIE: &str = "pd_device";
const DEVICE_DAYS: i64 = 365;

/// This browser's device id, if its device cookie is one this server issued for `key`.
pub fn known_device(req: &HttpRequest, state: &AppState, key: &str) -> Option<String> {
    let value = super::session::read_private(req, state, DEVICE_COOKIE)?;
    let (name, id) = value.split_once(' ')?;
    (name == key && id.len() == 48).then(|| id.to_string())
}

/// The device cookie after a right password (or recovery code): the same id when it was
/// already known.
pub(super) fn device_cookie(
    state: &AppState,
    key: &str,
    known: Option<String>,
) -> actix_web::cookie::Cookie<'static> {
    let id = known.unwrap_or_else(random_id);
    let mut c = private_cookie(state, DEVICE_COOKIE, format!("{key} {id}"));
    c.set_max_age(actix_web::cookie::time::Duration::days(DEVICE_DAYS));
    c
}

/// Reserves a log-in attempt, deciding before working (review 2026-12-06, N4): on the device's
/// own budget for a known device; else in this process's limiter (attempts in flight,
/// per-address spacing). Then a place in the hashing queue's lane (the device's or the
/// address's): an attempt refused so far has cost no database round trip and no hash, so a
/// flood's refusals never queue for a connection or the SQLite writer. Only then, for an
/// unknown browser, the database, where the failures of every instance are judged and a
/// failure is stored before the password is checked (review 2026-12-06, N6); that short
/// transaction commits before the hash is waited for. `Ok(Err(wait))` when the attempt must
/// wait; `Err(TooManyRequests)` when the hashing queue has no room.
pub async fn begin_attempt(
    state: &AppState,
    key: &str,
    addr: Option<std::net::IpAddr>,
    device: Option<&str>,
) -> Result<Result<Reserved, std::time::Duration>, AppError> {
    let limited = match device {
        Some(d) => state.limiter.begin_device(d, Instant::now()),
        None => state.limiter.begin(key, addr, Instant::now()),
    };
    let attempt = match limited {
        Ok(a) => a,
        Err(wait) => return Ok(Err(wait)),
    };
    let slot = match state.hasher.reserve(lane_of(device.is_some(), addr)) {
        Ok(slot) => slot,
        Err(e) => {
            attempt.cancelled();
            return Err(hash_error(e));
        }
    };
    if device.is_some() {
        return Ok(Ok(Reserved {
            attempt,
            slot: Some(slot),
            stored_at: None,
        }));
    }
    let policy = auth::LoginPolicy::default();
    let now = state.clock.now();
    let window = policy.window.as_secs() as i64;
    let here = addr_key(addr);
    let judge = |failures: &[(String, i64)]| policy.shared_wait(failures, &here, now);
    let waited =
        store::learners::reserve_login_attempt(&state.db, key, &here, now, window, judge).await;
    match waited {
        Ok(None) => Ok(Ok(Reserved {
            attempt,
            slot: Some(slot),
            stored_at: Some(now),
        })),
        Ok(Some(wait)) => {
            attempt.cancelled();
            Ok(Err(wait))
        }
        Err(e) => {
            attempt.cancelled();
            Err(e.into())
        }
    }
}

/// A reserved log-in attempt: in this process's limiter, with its place in the hashing queue,
/// and (unless from a known device) as a failure stored in advance at `stored_at`.
pub struct Reserved {
    attempt: auth::Attempt,
    /// Taken by the check; an unused one is given back with the attempt.
    slot: Option<auth::Slot>,
    stored_at: Option<i64>,
}

impl Reserved {
    /// Checks `password` for `key` in the reserved place of the hashing queue and settles the
    /// attempt ([`Reserved::settle`]). The learner id when the password is right.
    pub async fn check(
        mut self,
        state: &AppState,
        key: &str,
        addr: Option<std::net::IpAddr>,
        password: &str,
    ) -> Result<Option<i64>, AppError> {
        let outcome = match self.slot.take() {
            Some(slot) => check_password(state, slot, key, password).await,
            None => Err(hash_error(auth::HashError::Busy)),
        };
        self.settle(state, key, addr, outcome).await
    }

    /// Settles the attempt with what its check found (a password, a recovery code): a right
    /// one (`Ok(Some)`) forgets the failures of this (name, address) pair, a wrong one
    /// (`Ok(None)`) stays counted, and one the hashing queue had no room for is taken back.
    /// Any other error leaves it counted as a failure. Returns `outcome`.
    pub async fn settle<T>(
        self,
        state: &AppState,
        key: &str,
        addr: Option<std::net::IpAddr>,
        outcome: Result<Option<T>, AppError>,
    ) -> Result<Option<T>, AppError> {
        let here = addr_key(addr);
        match outcome {
            Ok(Some(found)) => {
                self.attempt.succeeded();
                state.hasher.note_success(lane_of(false, addr));
                store::learners::clear_login_failures(&state.db, key, &here).await?;
                Ok(Some(found))
            }
            Ok(None) => {
                self.attempt.failed(Instant::now());
                if self.stored_at.is_none() {
                    record_login_failure(state, key, addr).await?;
                }
                Ok(None)
            }
            Err(e) => {
                if matches!(e, AppError::TooManyRequests(_)) {
                    self.attempt.cancelled();
                    if let Some(at) = self.stored_at {
                        store::learners::release_login_attempt(&state.db, key, &here, at).await?;
                    }
                }
                Err(e)
            }
        }
    }
}

/// The hashing queue a password check waits in: a known device first, else its address's.
pub fn lane_of(known_device: bool, addr: Option<std::net::IpAddr>) -> auth::Lane {
    if known_device {
        auth::Lane::First
    } else {
        auth::Lane::From(addr)
    }
}

/// What a full hashing queue tells the learner.
fn hash_error(e: auth::HashError) -> AppError {
    match e {
        auth::HashError::Busy => AppError::TooManyRequests(
            "现在登录和注册的请求太多了，请过几秒再试，这次没有做任何修改。".into(),
        ),
        auth::HashError::Stopped => anyhow::anyhow!("hashing failed: {e}").into(),
    }
}

/// How an address is stored with a failed log-in (empty when unknown).
fn addr_key(addr: Option<std::net::IpAddr>) -> String {
    addr.map(|a| auth::limit_key(a).to_string())
        .unwrap_or_default()
}

pub async fn record_login_failure(
    state: &AppState,
    key: &str,
    addr: Option<std::net::IpAddr>,
) -> Result<(), AppError> {
    let now = state.clock.now();
    // Failures past the window count for nothing: they go as new ones come in, so the table
    // holds one window's worth whatever the hourly purge does.
    let window = auth::LoginPolicy::default().window.as_secs() as i64;
    store::learners::purge_login_failures(&state.db, now - window).await?;
    store::learners::add_login_failure(&state.db, key, &addr_key(addr), now).await?;
    Ok(())
}

/// The learner id when `password` is right for the name `key`. Runs on the hashing thread, in
/// the place `slot` reserved; an unknown name costs the same hash, so timing does not tell
/// whether it exists.
pub async fn check_password(
    state: &AppState,
    slot: auth::Slot,
    key: &str,
    password: &str,
) -> Result<Option<i64>, AppError> {
    let creds = if could_be_credentials(key, password) {
        store::learners::credentials_by_key(&state.db, key).await?
    } else {
        None
    };
    let password = password.to_string();
    let stored = creds.as_ref().map(|c| c.password_hash.clone());
    let ok = slot
        .run(move || match stored {
            Some(h) => auth::verify_password(&password, &h),
            None => {
                auth::verify_password(&password, auth::dummy_hash());
                false
            }
        })
        .await
        .map_err(hash_error)?;
    Ok(creds.filter(|_| ok).map(|c| c.id))
}

/// Log-out. From a page left open after she logged out elsewhere, or after her session ended,
/// there is no session to end: she lands logged out all the same (see [`SessionForm`]).
async fn logout(
    state: web::Data<AppState>,
    SessionForm { visitor, .. }: SessionForm<NoFields>,
) -> Page {
    if let Some(sid) = &visitor.session_id {
        store::learners::delete_session(&state.db, sid).await?;
        state.db.cache.forget_session(sid);
    }
    Ok(logged_out(&state))
}
