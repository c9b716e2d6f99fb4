//! The command line. With no sub-command, `paperdeck` serves (what `cargo run --release` does).

use crate::config::Settings;
use crate::startup::Application;
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser, Debug)]
#[command(
    name = "paperdeck",
    version,
    about = "paperdeck：用中文读懂塑造大语言模型的十篇论文，并用间隔重复测验记住它们。",
    long_about = "paperdeck serves a web app for learning the ten papers that shaped large \
                  language models (2022–2025): Chinese summaries, a glossary, and a daily quiz \
                  scheduled with FSRS.\n\nWith no command it runs `serve`.",
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    serve: ServeArgs,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Serve the web app (the default).
    Serve(ServeArgs),
    /// Check a content directory (default: ./content) and exit non-zero on any error.
    CheckContent(CheckArgs),
}

#[derive(Args, Debug, Clone)]
pub struct ServeArgs {
    /// Address to listen on (host:port).
    #[arg(long, env = "PAPERDECK_ADDR", default_value = "127.0.0.1:8080")]
    addr: String,
    /// Database URL; the SQLite file is created if missing.
    #[arg(long, env = "DATABASE_URL", default_value = "sqlite://paperdeck.db")]
    database: String,
    /// Serve content from this directory instead of the copy built into the binary.
    #[arg(long, env = "PAPERDECK_CONTENT")]
    content: Option<PathBuf>,
    /// Mark cookies Secure (set this when paperdeck is served over HTTPS).
    #[arg(long, env = "PAPERDECK_SECURE_COOKIES")]
    secure_cookies: bool,
    /// Log learners out after this many days without a visit.
    #[arg(long, env = "PAPERDECK_SESSION_IDLE_DAYS", default_value_t = 30,
          value_parser = clap::value_parser!(u32).range(1..=3650))]
    session_idle_days: u32,
    /// Cookie signing and encryption key (64 bytes base64, or any text of 32+ bytes). Without
    /// it, a key is generated once and stored beside the database as `<db file>.key`.
    #[arg(long, env = "PAPERDECK_SECRET_KEY", hide_env_values = true)]
    secret_key: Option<String>,
}

#[derive(Args, Debug)]
struct CheckArgs {
    /// The content directory to check.
    #[arg(default_value = "content")]
    dir: PathBuf,
    /// Print the coverage table: cards per paper, per concept, per kind.
    #[arg(long)]
    report: bool,
    /// Print the coverage report as JSON (implies --report).
    #[arg(long)]
    json: bool,
}

impl From<ServeArgs> for Settings {
    fn from(a: ServeArgs) -> Settings {
        Settings {
            addr: a.addr,
            database_url: a.database,
            content_dir: a.content,
            secure_cookies: a.secure_cookies,
            session_idle_days: a.session_idle_days,
            secret_key: a.secret_key.filter(|s| !s.is_empty()),
        }
    }
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    crate::telemetry::init();
    match cli.command {
        None => serve(cli.serve),
        Some(Command::Serve(args)) => serve(args),
        Some(Command::CheckContent(args)) => check_content(args),
    }
}

fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
}

fn serve(args: ServeArgs) -> ExitCode {
    let settings: Settings = args.into();
    let result = runtime().map_err(anyhow::Error::from).and_then(|rt| {
        rt.block_on(async {
            let app = Application::build(settings.clone()).await?;
            tracing::info!(
                "paperdeck 已启动 (listening): http://{}",
                display_addr(&settings.addr, app.port())
            );
            app.run_until_stopped().await?;
            Ok(())
        })
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("paperdeck 无法启动 (cannot start): {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn display_addr(addr: &str, port: u16) -> String {
    match addr.rsplit_once(':') {
        Some((host, _)) => format!("{host}:{port}"),
        None => addr.to_string(),
    }
}

fn check_content(args: CheckArgs) -> ExitCode {
    let content = match crate::content::load_dir(&args.dir) {
        Ok(c) => c,
        Err(e) => {
            eprint!("{e}");
            return ExitCode::FAILURE;
        }
    };
    let cards = match crate::cards::generate(&content, crate::cards::APP_SEED) {
        Ok(c) => c,
        Err(errors) => {
            eprintln!("无法生成卡片 (cannot generate cards):");
            for e in errors {
                eprintln!("  - {e}");
            }
            return ExitCode::FAILURE;
        }
    };
    let coverage = crate::cards::coverage(&content, &cards);
    if args.json {
        match serde_json::to_string_pretty(&coverage) {
            Ok(j) => println!("{j}"),
            Err(e) => {
                eprintln!("{e}");
                return ExitCode::FAILURE;
            }
        }
    } else if args.report {
        print!("{}", coverage.table());
    }
    if !coverage.problems.is_empty() {
        eprintln!("内容覆盖不足 (coverage below the minimums):");
        for p in &coverage.problems {
            eprintln!("  - {p}");
        }
        return ExitCode::FAILURE;
    }
    if !args.json {
        println!(
            "内容无误 (content OK): {} 篇论文, {} 个概念, {} 张卡片",
            content.papers.len(),
            content.concepts.len(),
            cards.len()
        );
    }
    ExitCode::SUCCESS
}
