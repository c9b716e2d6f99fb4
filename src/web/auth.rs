//! Sign-up, log-in and log-out.

use super::error::AppError;
use super::session::{private_cookie, random_id, removal_cookie, SESSION_COOKIE};
use super::{render, CsrfForm, Nav, NoFields, Visitor};
use crate::auth::{self, Password, Username};
use crate::startup::AppState;
use crate::store;
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

#[derive(Template)]
#[template(path = "auth/signup.html")]
struct SignupPage {
    nav: Nav,
    username: String,
    error: Option<String>,
    next: String,
}

#[derive(Template)]
#[template(path = "auth/login.html")]
struct LoginPage {
    nav: Nav,
    username: String,
    error: Option<String>,
    next: String,
}

fn with_status<T: Template>(t: &T, status: StatusCode) -> Result<HttpResponse, AppError> {
    super::render_with(status, t)
}

async fn signup_form(visitor: Visitor, q: web::Query<NextQuery>) -> Result<HttpResponse, AppError> {
    render(&SignupPage {
        nav: visitor.nav("signup"),
        username: String::new(),
        error: None,
        next: auth::safe_next(q.next.as_deref()),
    })
}

#[derive(Deserialize)]
pub struct SignupForm {
    username: String,
    password: String,
    #[serde(default)]
    password_confirm: Option<String>,
    #[serde(default)]
    next: Option<String>,
}

async fn signup(
    state: web::Data<AppState>,
    CsrfForm { visitor, form }: CsrfForm<SignupForm>,
) -> Result<HttpResponse, AppError> {
    let next = auth::safe_next(form.next.as_deref());
    let fail = |msg: String| {
        with_status(
            &SignupPage {
                nav: visitor.nav("signup"),
                username: form.username.chars().take(64).collect(),
                error: Some(msg),
                next: next.clone(),
            },
            StatusCode::BAD_REQUEST,
        )
    };
    let username = match Username::parse(&form.username) {
        Ok(u) => u,
        Err(m) => return fail(m),
    };
    let password = match Password::parse(&form.password) {
        Ok(p) => p,
        Err(m) => return fail(m),
    };
    if let Some(confirm) = &form.password_confirm {
        if confirm != password.expose() {
            return fail("两次输入的密码不一致。".into());
        }
    }
    let hash = state
        .hasher
        .run(move || auth::hash_password(password.expose()))
        .await
        .map_err(|e| anyhow::anyhow!("hashing task failed: {e}"))?
        .map_err(|e| anyhow::anyhow!("hashing failed: {e}"))?;
    let now = state.clock.now();
    let Some(id) =
        store::learners::create(&state.db, username.as_str(), &username.key(), &hash, now).await?
    else {
        return fail("这个用户名已经有人用了（不区分大小写），换一个吧。".into());
    };
    tracing::info!(learner = id, "new learner signed up");
    start_session(&state, id, &next).await
}

async fn start_session(
    state: &AppState,
    learner_id: i64,
    next: &str,
) -> Result<HttpResponse, AppError> {
    let sid = random_id();
    store::learners::create_session(&state.db, &sid, learner_id, state.clock.now()).await?;
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, next))
        .cookie(private_cookie(state, SESSION_COOKIE, sid))
        .finish())
}

async fn login_form(visitor: Visitor, q: web::Query<NextQuery>) -> Result<HttpResponse, AppError> {
    render(&LoginPage {
        nav: visitor.nav("login"),
        username: String::new(),
        error: None,
        next: auth::safe_next(q.next.as_deref()),
    })
}

#[derive(Deserialize)]
pub struct LoginForm {
    username: String,
    password: String,
    #[serde(default)]
    next: Option<String>,
}

async fn login(
    req: HttpRequest,
    state: web::Data<AppState>,
    CsrfForm { visitor, form }: CsrfForm<LoginForm>,
) -> Result<HttpResponse, AppError> {
    let next = auth::safe_next(form.next.as_deref());
    let key = form.username.trim().to_ascii_lowercase();
    let addr = req.peer_addr().map(|a| a.ip());
    let page = |msg: String| LoginPage {
        nav: visitor.nav("login"),
        username: form.username.chars().take(64).collect(),
        error: Some(msg),
        next: next.clone(),
    };

    let blocked = state
        .limiter
        .lock()
        .map_err(|_| anyhow::anyhow!("limiter lock poisoned"))?
        .blocked(&key, addr, Instant::now());
    if let Some(wait) = blocked {
        let minutes = wait.as_secs().div_ceil(60).max(1);
        return with_status(
            &page(format!(
                "登录失败次数太多，为了保护账户，请 {minutes} 分钟后再试。"
            )),
            StatusCode::TOO_MANY_REQUESTS,
        );
    }

    let creds = if key.chars().count() <= 32 && form.password.chars().count() <= 128 {
        store::learners::credentials_by_key(&state.db, &key).await?
    } else {
        None
    };
    let password = form.password.clone();
    let stored = creds.as_ref().map(|c| c.password_hash.clone());
    let ok = state
        .hasher
        .run(move || match stored {
            Some(h) => auth::verify_password(&password, &h),
            None => {
                // Same work for an unknown name, so timing does not tell whether it exists.
                auth::verify_password(&password, auth::dummy_hash());
                false
            }
        })
        .await
        .map_err(|e| anyhow::anyhow!("verify task failed: {e}"))?;

    match creds {
        Some(c) if ok => {
            if let Ok(mut l) = state.limiter.lock() {
                l.record_success(&key);
            }
            start_session(&state, c.id, &next).await
        }
        _ => {
            if let Ok(mut l) = state.limiter.lock() {
                l.record_failure(&key, addr, Instant::now());
            }
            with_status(&page("用户名或密码不对。".into()), StatusCode::UNAUTHORIZED)
        }
    }
}

async fn logout(
    state: web::Data<AppState>,
    CsrfForm { visitor, .. }: CsrfForm<NoFields>,
) -> Result<HttpResponse, AppError> {
    if let Some(sid) = &visitor.session_id {
        store::learners::delete_session(&state.db, sid).await?;
        state.db.cache.forget_session(sid);
    }
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/"))
        .cookie(removal_cookie(&state, SESSION_COOKIE))
        .finish())
}
