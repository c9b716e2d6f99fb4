//! Sign-up, log-in and log-out.

use super::error::AppError;
use super::session::{logged_out, private_cookie, random_id, SESSION_COOKIE};
use super::{render, CsrfForm, Nav, NoFields, Visitor};
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

/// What the sign-up and log-in forms show besides the navigation.
struct AuthForm {
    /// The name as typed, shown again after an error.
    username: String,
    error: Option<String>,
    /// The id of the field the error is about ("" when none): marked invalid and focused.
    invalid: &'static str,
    next: String,
}

impl AuthForm {
    fn blank(q: &NextQuery) -> AuthForm {
        AuthForm {
            username: String::new(),
            error: None,
            invalid: "",
            next: auth::safe_next(q.next.as_deref()),
        }
    }

    /// The form again with `error` about the field `invalid`.
    fn again(typed: &str, next: &str, error: String, invalid: &'static str) -> AuthForm {
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

fn with_status<T: Template>(t: &T, status: StatusCode) -> Page {
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
    // Every sign-up costs a password hash: limit them per address and overall (M5), after
    // the cheap checks so a typo does not use up the budget.
    let addr = super::guard::client_addr(&req, &state);
    let now = Instant::now();
    let limited = state
        .signups_by_addr
        .take(addr, now)
        .and_then(|()| state.signups_all.take(None, now));
    if let Err(wait) = limited {
        return with_status(
            &page(
                format!("注册太频繁了，请 {}后再试。", describe_wait(wait)),
                "",
            ),
            StatusCode::TOO_MANY_REQUESTS,
        );
    }
    // One sign-up at a time waits for the hashing thread, so log-ins queue behind at most one
    // sign-up's hash however many sign-ups arrive.
    let permit = tokio::time::timeout(
        std::time::Duration::from_secs(10),
        state.signup_permit.acquire(),
    )
    .await;
    let Ok(Ok(_permit)) = permit else {
        return with_status(
            &page("现在注册的人很多，请稍后再试。".into(), ""),
            StatusCode::TOO_MANY_REQUESTS,
        );
    };
    let hash = hash_new(&state, password).await?;
    let now = state.clock.now();
    let Some(id) =
        store::learners::create(&state.db, username.as_str(), &username.key(), &hash, now).await?
    else {
        return fail(
            "这个用户名已经有人用了（不区分大小写），换一个吧。".into(),
            "username",
        );
    };
    tracing::info!(learner = id, "new learner signed up");
    start_session(&state, id, &next).await
}

/// The stored hash of a new password, made on the hashing thread.
pub async fn hash_new(state: &AppState, password: Password) -> Result<String, AppError> {
    let hash = state
        .hasher
        .run(move || auth::hash_password(password.expose()))
        .await
        .map_err(|e| anyhow::anyhow!("hashing task failed: {e}"))?
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

async fn start_session(state: &AppState, learner_id: i64, next: &str) -> Page {
    let sid = random_id();
    store::learners::create_session(&state.db, &sid, learner_id, state.clock.now()).await?;
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, next))
        .cookie(private_cookie(state, SESSION_COOKIE, sid))
        .finish())
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

    // Reserve the attempt before hashing (H2): it counts from now on, so concurrent guesses
    // cannot all pass the check while the first ones are still being verified. The stored
    // failures add what other instances have seen.
    let shared = shared_login_wait(&state, &key, addr).await?;
    let attempt = match shared.map_or_else(|| state.limiter.begin(&key, addr, Instant::now()), Err)
    {
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

    let ok = match check_password(&state, &key, &form.password).await? {
        Some(id) => {
            attempt.succeeded();
            store::learners::clear_login_failures(&state.db, &key, &addr_key(addr)).await?;
            id
        }
        None => {
            attempt.failed(Instant::now());
            record_login_failure(&state, &key, addr).await?;
            return with_status(
                &page("用户名或密码不对。".into(), "password"),
                StatusCode::UNAUTHORIZED,
            );
        }
    };
    start_session(&state, ok, &next).await
}

/// How an address is stored with a failed log-in (empty when unknown).
fn addr_key(addr: Option<std::net::IpAddr>) -> String {
    addr.map(|a| auth::limit_key(a).to_string())
        .unwrap_or_default()
}

/// The wait the failures stored by every instance impose on an attempt at `key` from `addr`,
/// if any. The in-process limiter keeps its finer rules (attempts in flight, per-address
/// spacing); this makes the two rules that protect an account hold across instances.
pub async fn shared_login_wait(
    state: &AppState,
    key: &str,
    addr: Option<std::net::IpAddr>,
) -> Result<Option<std::time::Duration>, AppError> {
    let policy = auth::LoginPolicy::default();
    let now = state.clock.now();
    let since = now - policy.window.as_secs() as i64;
    let failures = store::learners::login_failures(&state.db, key, since).await?;
    Ok(policy.shared_wait(&failures, &addr_key(addr), now))
}

pub async fn record_login_failure(
    state: &AppState,
    key: &str,
    addr: Option<std::net::IpAddr>,
) -> Result<(), AppError> {
    let now = state.clock.now();
    store::learners::add_login_failure(&state.db, key, &addr_key(addr), now).await?;
    Ok(())
}

/// The learner id when `password` is right for the name `key`. Runs on the hashing thread;
/// an unknown name costs the same hash, so timing does not tell whether it exists.
pub async fn check_password(
    state: &AppState,
    key: &str,
    password: &str,
) -> Result<Option<i64>, AppError> {
    let creds = if key.chars().count() <= 32 && password.chars().count() <= 128 {
        store::learners::credentials_by_key(&state.db, key).await?
    } else {
        None
    };
    let password = password.to_string();
    let stored = creds.as_ref().map(|c| c.password_hash.clone());
    let ok = state
        .hasher
        .run(move || match stored {
            Some(h) => auth::verify_password(&password, &h),
            None => {
                auth::verify_password(&password, auth::dummy_hash());
                false
            }
        })
        .await
        .map_err(|e| anyhow::anyhow!("verify task failed: {e}"))?;
    Ok(creds.filter(|_| ok).map(|c| c.id))
}

async fn logout(state: web::Data<AppState>, CsrfForm { visitor, .. }: CsrfForm<NoFields>) -> Page {
    if let Some(sid) = &visitor.session_id {
        store::learners::delete_session(&state.db, sid).await?;
        state.db.cache.forget_session(sid);
    }
    Ok(logged_out(&state))
}
