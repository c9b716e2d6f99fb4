//! Builds the application: content, database, HTTP server. [`Application::build`] binds the
//! listener itself, so tests can ask for port 0 and read the real port back.

use crate::cards::{Card, CardIndex};
use crate::config::{key_file_for, Settings};
use crate::content::{self, Content};
use crate::store::Db;
use crate::web;
use actix_web::cookie::Key;
use actix_web::dev::Server;
use anyhow::Context;
use base64::Engine;
use rand::RngCore;
use std::net::TcpListener;
use std::sync::Arc;

/// Everything a handler may need, shared by all workers.
pub struct AppState {
    pub content: Arc<Content>,
    /// The live cards, generated from the content at start; the database holds the same rows
    /// plus retired ones.
    pub cards: Arc<CardIndex>,
    /// What every paper page shows the same to everyone, rendered once.
    pub paper_parts: crate::web::paper_parts::AllPaperParts,
    /// The questions inside each paper page, chosen once from the content and the cards.
    pub questions: Arc<crate::reading::PageQuestions>,
    /// Every name the content knows, for grading typed answers.
    pub names: Arc<crate::cards::grading::NameIndex>,
    pub db: Db,
    pub key: Key,
    /// Signs and checks form and question tokens under the app key.
    pub signer: crate::signing::Signer,
    pub settings: Settings,
    /// Where "now" comes from; tests pin it (see [`crate::clock`]).
    pub clock: crate::clock::Clock,
    /// Records answers with group commit; see [`crate::store::writer`].
    pub answers: crate::store::writer::AnswerWriter,
    /// The one thread that hashes passwords.
    pub hasher: crate::auth::Hasher,
    /// Log-in attempts per (address, name), name and address; see [`crate::auth::LoginLimiter`].
    pub limiter: crate::auth::LoginLimiter,
    /// One sign-up at a time may wait for the hashing thread, so a burst of sign-ups never
    /// queues in front of log-ins (each log-in waits for at most one sign-up's hash).
    pub signup_permit: tokio::sync::Semaphore,
    /// Admission for optimising, importing and exporting; see [`crate::heavy`].
    pub heavy: crate::heavy::Gate,
    /// Uploads whose body is being read: one per learner, [`UPLOADS_IN_FLIGHT`] in the server,
    /// so the memory of bodies in flight is bounded (review 2026-12-06, N1).
    pub uploads: crate::heavy::Gate,
    /// The workload chart's simulations: one at a time, apart from the heavy gate.
    pub charts: crate::heavy::Gate,
    /// The pages every logged-out reader gets, rendered once; see [`crate::web::shared`].
    pub shared: crate::web::shared::SharedPages,
    /// What /progress computes from a learner's whole review log, once per data version.
    pub progress: crate::store::cache::PerVersion<crate::web::progress::FromLog>,
}

/// Uploads being received at once in the whole server (each holds at most the import limit).
pub const UPLOADS_IN_FLIGHT: usize = 4;

/// Sign-ups allowed per client address per hour, and over all addresses per hour.
pub const SIGNUPS_PER_ADDR_PER_HOUR: usize = 10;
pub const SIGNUPS_PER_HOUR: usize = 120;
impl AppState {
    /// What the quiz service works with.
    pub fn quiz(&self) -> crate::quiz::Ctx<'_> {
        crate::quiz::Ctx {
            db: &self.db,
            writer: &self.answers,
            content: &self.content,
            cards: &self.cards,
            names: &self.names,
            clock: &self.clock,
            signer: &self.signer,
            seen: None,
        }
    }

    /// The quiz for a logged-in learner: what her session read already knows is passed on.
    pub fn quiz_as(&self, who: &crate::web::session::Learner) -> crate::quiz::Ctx<'_> {
        crate::quiz::Ctx {
            seen: who.seen,
            ..self.quiz()
        }
    }
}

pub struct Application {
    port: u16,
    server: Server,
    db: Db,
    stop: StopSignals,
}

/// Ctrl-C and SIGTERM, listened for from before the first connection is accepted. actix's own
/// listeners are set up only once the server task first runs, and a SIGTERM sent in between (a
/// supervisor stopping a server that has just answered its health check) was lost: the server
/// kept running.
struct StopSignals {
    #[cfg(unix)]
    term: tokio::signal::unix::Signal,
    #[cfg(unix)]
    int: tokio::signal::unix::Signal,
}

impl StopSignals {
    fn new() -> std::io::Result<StopSignals> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            Ok(StopSignals {
                term: signal(SignalKind::terminate())?,
                int: signal(SignalKind::interrupt())?,
            })
        }
        #[cfg(not(unix))]
        Ok(StopSignals {})
    }

    async fn recv(&mut self) {
        #[cfg(unix)]
        tokio::select! {
            _ = self.term.recv() => {}
            _ = self.int.recv() => {}
        }
        #[cfg(not(unix))]
        let _ = tokio::signal::ctrl_c().await;
    }
}

impl Application {
    pub async fn build(settings: Settings) -> anyhow::Result<Application> {
        let backend = crate::store::Backend::of(&settings.database_url);
        if backend.is_some_and(crate::store::Backend::shared) && settings.secret().is_none() {
            // Every instance must open the others' cookies, and there is no shared file to
            // keep a generated key in.
            anyhow::bail!(
                "PostgreSQL 需要设置 PAPERDECK_SECRET_KEY (or --secret-key): every instance \
                 must use the same cookie key, and none is generated for a shared database"
            );
        }
        let content = load_content(&settings)?;
        let cards = generate_cards(&content)?;
        let db = Db::open_with(&settings.database_url, settings.cache_ttl).await?;
        let report = crate::store::cards::sync(&db, &cards, crate::store::now_ts())
            .await
            .context("无法同步卡片 (cannot synchronise cards)")?;
        tracing::info!(
            added = report.added,
            updated = report.updated,
            retired = report.retired,
            unchanged = report.unchanged,
            "cards synchronised"
        );
        let key = load_or_create_key(&settings)?;
        let listener = TcpListener::bind(&settings.addr)
            .with_context(|| format!("无法监听地址 (cannot listen on) {}", settings.addr))?;
        let port = listener.local_addr()?.port();
        let questions = crate::reading::PageQuestions::new(&content.papers, &cards);
        let cards = CardIndex::new(cards);
        let paper_parts = crate::web::paper_parts::AllPaperParts::new(&content, &cards)
            .context("无法生成论文页面 (cannot render the paper pages)")?;
        let state = Arc::new(AppState {
            paper_parts,
            cards: Arc::new(cards),
            questions: Arc::new(questions),
            names: Arc::new(crate::cards::grading::NameIndex::from_content(&content)),
            content: Arc::new(content),
            db: db.clone(),
            signer: crate::signing::Signer::new(key.signing())?,
            key,
            clock: settings.clock.clone(),
            settings,
            hasher: Default::default(),
            answers: crate::store::writer::AnswerWriter::start(db.clone()),
            limiter: crate::auth::LoginLimiter::new(crate::auth::LoginPolicy::default()),
            signup_permit: tokio::sync::Semaphore::new(1),
            heavy: crate::heavy::Gate::default(),
            uploads: crate::heavy::Gate::new(UPLOADS_IN_FLIGHT),
            charts: crate::heavy::Gate::new(1),
            shared: Default::default(),
            progress: Default::default(),
        });
        spawn_session_purge(state.clone());
        let stop = StopSignals::new()?;
        let server = web::server(listener, state)?;
        Ok(Application {
            port,
            server,
            db,
            stop,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves until Ctrl-C or SIGTERM: actix stops accepting, lets in-flight requests finish,
    /// then the database pools are closed so the WAL is checkpointed cleanly.
    pub async fn run_until_stopped(mut self) -> std::io::Result<()> {
        let handle = self.server.handle();
        let mut server = self.server;
        let result = tokio::select! {
            r = &mut server => r,
            _ = self.stop.recv() => {
                // The server future processes the stop command, so both run together.
                let (_, r) = tokio::join!(handle.stop(true), &mut server);
                r
            }
        };
        self.db.close().await;
        tracing::info!("paperdeck stopped");
        result
    }
}

/// Deletes expired sessions at start and then hourly, so abandoned rows do not pile up.
fn spawn_session_purge(state: Arc<AppState>) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(3600));
        loop {
            tick.tick().await;
            let s = &state.settings;
            match crate::store::learners::purge_sessions(
                &state.db,
                crate::store::now_ts(),
                i64::from(s.session_idle_days) * 86_400,
                i64::from(s.session_max_days) * 86_400,
            )
            .await
            {
                Ok(n) if n > 0 => tracing::info!(purged = n, "expired sessions deleted"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "could not purge sessions"),
            }
            let window = crate::auth::LoginPolicy::default().window.as_secs() as i64;
            let before = crate::store::now_ts() - window;
            if let Err(e) = crate::store::learners::purge_login_failures(&state.db, before).await {
                tracing::warn!(error = %e, "could not purge old log-in failures");
            }
        }
    });
}

pub fn load_content(settings: &Settings) -> anyhow::Result<Content> {
    let result = match &settings.content_dir {
        Some(dir) => content::load_dir(dir),
        None => content::embedded(),
    };
    result.map_err(|e| anyhow::anyhow!("{e}"))
}

/// Generates the cards; content whose cards cannot be generated stops the start, and coverage
/// below the minimums is logged (authors see it in `check-content`).
pub fn generate_cards(content: &Content) -> anyhow::Result<Vec<Card>> {
    let cards = crate::cards::generate(content, crate::cards::APP_SEED).map_err(|errors| {
        let list: Vec<String> = errors.iter().map(|e| format!("  - {e}")).collect();
        anyhow::anyhow!("无法生成卡片 (cannot generate cards):\n{}", list.join("\n"))
    })?;
    for p in crate::cards::coverage(content, &cards).problems {
        tracing::warn!("{p}");
    }
    Ok(cards)
}

/// The cookie key: from settings, else from the key file beside the database, else a new
/// random key written to that file (so a restart does not log everyone out).
fn load_or_create_key(settings: &Settings) -> anyhow::Result<Key> {
    if let Some(secret) = settings.secret() {
        return key_from_secret(secret);
    }
    let Some(path) = key_file_for(&settings.database_url) else {
        return Ok(Key::generate());
    };
    if let Ok(text) = std::fs::read_to_string(&path) {
        // An empty file is what a crash between creating and writing it would have left
        // (before writes became atomic): treat it as missing rather than refusing to start.
        if !text.trim().is_empty() {
            return key_from_secret(text.trim())
                .with_context(|| format!("密钥文件无效 (invalid key file) {}", path.display()));
        }
    }
    let mut bytes = [0u8; 64];
    rand::rng().fill_bytes(&mut bytes);
    let encoded = base64::engine::general_purpose::STANDARD.encode(bytes);
    write_private_file(&path, &encoded).with_context(|| {
        format!(
            "无法写入密钥文件 (cannot write key file) {}",
            path.display()
        )
    })?;
    tracing::info!(file = %path.display(), "generated a new cookie key");
    Ok(Key::from(&bytes))
}

/// Writes a file readable only by its owner, atomically: a temporary file is written and
/// synced, then renamed into place, so a crash leaves either no key file or a whole one.
fn write_private_file(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let tmp = path.with_extension("key.tmp");
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(&tmp)?;
    f.write_all(text.as_bytes())?;
    f.sync_all()?;
    drop(f);
    std::fs::rename(&tmp, path)?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        // Make the rename itself durable.
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all();
        }
    }
    Ok(())
}

fn key_from_secret(secret: &str) -> anyhow::Result<Key> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(secret)
        .unwrap_or_else(|_| secret.as_bytes().to_vec());
    if bytes.len() < 32 {
        anyhow::bail!("密钥至少需要 32 字节 (the secret key needs at least 32 bytes)");
    }
    if bytes.len() >= 64 {
        Ok(Key::from(&bytes[..64]))
    } else {
        Ok(Key::derive_from(&bytes))
    }
}
