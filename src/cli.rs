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
    serve: Settings,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Serve the web app (the default).
    Serve(Settings),
    /// Check a content directory (default: ./content) and exit non-zero on any error.
    CheckContent(CheckArgs),
    /// Compare schedulers on a review log: FSRS with default and fitted parameters, and SM-2.
    Evaluate(EvaluateArgs),
    /// Write a review log of simulated learners (CSV, the format `evaluate` reads).
    Simulate(SimulateArgs),
    /// Compare paperdeck's scheduler with FSRS by card, Orbit, SM-2 and Leitner boxes on the
    /// same simulated learners, measuring what they would remember.
    Lab(LabArgs),
    /// Write a learner's data as JSON (the file /export/paperdeck.json offers).
    Export(ExportArgs),
    /// Take a JSON export into a learner's account (all of it if the account is empty, else
    /// merged), as /import does.
    Import(ImportArgs),
    /// Copy every row of one database into another, empty one, in one transaction (moving a
    /// SQLite deployment to PostgreSQL): `copy-data --from sqlite://paperdeck.db --to
    /// postgres://…`. Stop the servers first.
    CopyData(CopyArgs),
    /// Reports over a database: `report grading` lists the fill-in cards whose wrong verdicts
    /// learners override most, with what they typed.
    #[command(subcommand)]
    Report(ReportCommand),
}

#[derive(Subcommand, Debug)]
enum ReportCommand {
    /// The fill-in cards whose answers learners most often mark "我答对了，算我对", with the
    /// typed answers: candidates for accepted spellings or clearer questions.
    Grading(GradingArgs),
}

#[derive(Args, Debug)]
struct GradingArgs {
    /// Database URL.
    #[arg(long, env = "DATABASE_URL", default_value = "sqlite://paperdeck.db")]
    database: String,
    /// List at most this many cards.
    #[arg(long, default_value_t = 30)]
    limit: usize,
}

#[derive(Args, Debug)]
struct CopyArgs {
    /// The database to copy from.
    #[arg(long)]
    from: String,
    /// The empty database to copy into (created and migrated if need be).
    #[arg(long)]
    to: String,
}

#[derive(Args, Debug)]
struct ExportArgs {
    /// The learner's user name.
    #[arg(long)]
    user: String,
    /// Database URL.
    #[arg(long, env = "DATABASE_URL", default_value = "sqlite://paperdeck.db")]
    database: String,
    /// Write to this file instead of standard output.
    #[arg(long)]
    out: Option<PathBuf>,
}

#[derive(Args, Debug)]
struct ImportArgs {
    /// The learner's user name.
    #[arg(long)]
    user: String,
    /// Database URL.
    #[arg(long, env = "DATABASE_URL", default_value = "sqlite://paperdeck.db")]
    database: String,
    /// Content directory the server uses, if not the built-in one (decides which concepts and
    /// papers the file may name).
    #[arg(long, env = "PAPERDECK_CONTENT")]
    content: Option<PathBuf>,
    /// The JSON export file.
    file: PathBuf,
}

#[derive(Args, Debug)]
struct SimulateArgs {
    /// Number of simulated learners.
    #[arg(long, default_value_t = 20)]
    learners: usize,
    /// Days of study per learner.
    #[arg(long, default_value_t = 120)]
    days: i64,
    /// Seed for the random choices.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Multiplies every learner's true initial stabilities (FSRS w0–w3) and the growth of her
    /// stability after a success (e^w8) by this factor: below 1, learners who forget faster than
    /// FSRS's defaults assume (a log on which `evaluate`'s fitted parameters should beat the
    /// defaults).
    #[arg(long, default_value_t = 1.0)]
    stability_scale: f32,
    /// Write the review log as CSV to this file.
    #[arg(long, required_unless_present = "database")]
    out: Option<PathBuf>,
    /// Or create the learners (sim0001, sim0002, …; password `load-test-password`) with their
    /// whole history in this database, for demos and load tests.
    #[arg(long)]
    database: Option<String>,
}

#[derive(Args, Debug)]
struct LabArgs {
    #[command(flatten)]
    config: crate::lab::Config,
    /// Print one JSON object per (memory model, transfer, scheduler, target) instead of the
    /// table, and with --equal-retention one more per (memory model, transfer, scheduler).
    #[arg(long)]
    json: bool,
    /// Also draw retention over time and answers per day to this SVG file.
    #[arg(long)]
    plot: Option<PathBuf>,
}

#[derive(Args, Debug)]
struct EvaluateArgs {
    /// CSV review log with columns card_id,review_rating,review_time (ISO-8601 UTC, rating 1–4);
    /// other columns are ignored.
    #[arg(long)]
    revlog: PathBuf,
    /// IANA time zone the reviews were made in; decides where days begin.
    #[arg(long, default_value = "UTC")]
    timezone: String,
    /// Hour at which a new day begins in that time zone.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u32).range(0..=23))]
    rollover_hour: u32,
    /// Share of the log (by time) used to fit parameters; the rest is used to evaluate.
    #[arg(long, default_value_t = 0.8)]
    train_fraction: f64,
    /// Evaluate as open-spaced-repetition's srs-benchmark does instead: a time-series split
    /// into this many folds (fit on all earlier reviews, test on the next part), with its
    /// RMSE(bins).
    #[arg(long, value_parser = clap::value_parser!(u32).range(2..=20))]
    folds: Option<u32>,
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

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    crate::telemetry::init();
    match cli.command {
        None => serve(cli.serve),
        Some(Command::Serve(args)) => serve(args),
        Some(Command::CheckContent(args)) => check_content(args),
        Some(Command::Simulate(args)) => outcome("paperdeck simulate", simulate(args)),
        Some(Command::Lab(args)) => outcome("paperdeck lab", lab(args)),
        Some(Command::Evaluate(args)) => outcome("paperdeck evaluate", evaluate(args)),
        Some(Command::Export(args)) => outcome("paperdeck export", export(args)),
        Some(Command::Report(ReportCommand::Grading(args))) => {
            outcome("error", report_grading(args))
        }
        Some(Command::CopyData(args)) => outcome("paperdeck copy-data", copy_data(args)),
        Some(Command::Import(args)) => outcome("paperdeck import", import(args)),
    }
}

/// A command's exit code, with its error on stderr after `what:`.
fn outcome(what: &str, result: anyhow::Result<()>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{what}: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
}

fn serve(settings: Settings) -> ExitCode {
    crate::telemetry::tune_allocator();
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
        print!("{}", crate::reading::density_table(&content, &cards));
    }
    if !coverage.problems.is_empty() {
        eprintln!("内容覆盖不足 (coverage below the minimums):");
        for p in &coverage.problems {
            eprintln!("  - {p}");
        }
        return ExitCode::FAILURE;
    }
    let issues = crate::cards::lint::lint(&content, &cards);
    if !issues.is_empty() {
        eprintln!(
            "内容检查发现 {} 个问题 (content lints failed):",
            issues.len()
        );
        for i in &issues {
            eprintln!("  - {i}");
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

fn evaluate(args: EvaluateArgs) -> anyhow::Result<()> {
    use crate::revlog;
    let tz: chrono_tz::Tz = args
        .timezone
        .parse()
        .map_err(|_| anyhow::anyhow!("unknown time zone {:?}", args.timezone))?;
    if !(0.1..=0.95).contains(&args.train_fraction) {
        anyhow::bail!("--train-fraction must be between 0.1 and 0.95");
    }
    let prefs = crate::scheduler::Prefs {
        tz,
        rollover_hour: args.rollover_hour,
        ..Default::default()
    };
    let (entries, skipped) = read_revlog(&args.revlog)?;
    if entries.is_empty() {
        anyhow::bail!("no valid reviews in {}", args.revlog.display());
    }
    // Only long-term items (a review a day or more after the one before) are split, fitted on
    // and scored, as srs-benchmark and fsrs's converter do; same-day reviews stay in histories.
    let items = revlog::to_items(&entries, &prefs);
    if let Some(k) = args.folds {
        return evaluate_folds(&entries, &items, k as usize);
    }
    let items = revlog::training_set(items);
    let split = ((items.len() as f64) * args.train_fraction) as usize;
    let (train, test) = items.split_at(split.min(items.len()));
    if test.is_empty() || train.is_empty() {
        anyhow::bail!("the log is too short to split into a training and a test part");
    }
    let cards: std::collections::HashSet<&str> = entries.iter().map(|e| e.item.as_str()).collect();
    println!(
        "review log: {} reviews of {} cards ({} lines skipped); fitting on the first {} long-term reviews, evaluating on the {} after them",
        entries.len(),
        cards.len(),
        skipped,
        train.len(),
        test.len()
    );
    let train = train.to_vec();
    let rows = compare_schedulers(train, test)?;
    print_comparison(rows);
    Ok(())
}

/// `evaluate --folds k`: srs-benchmark's time-series split over the long-term items, one fit
/// per fold.
fn evaluate_folds(
    entries: &[crate::revlog::Entry],
    items: &[(i64, fsrs::FSRSItem)],
    k: usize,
) -> anyhow::Result<()> {
    let long_term = crate::revlog::long_term(items.to_vec()).len();
    if crate::revlog::time_series_folds(long_term, k).is_empty() {
        anyhow::bail!("the log is too short for {k} folds");
    }
    let cards: std::collections::HashSet<&str> = entries.iter().map(|e| e.item.as_str()).collect();
    println!(
        "review log: {} reviews of {} cards; {k} time-series folds over its {} long-term reviews \
         (a day or more after the one before; each fold fitted on the long-term reviews before it)",
        entries.len(),
        cards.len(),
        long_term
    );
    let bar = indicatif::ProgressBar::new(k as u64);
    bar.set_message("fitting fold by fold");
    let mut fit = |train: Vec<fsrs::FSRSItem>| {
        fsrs::compute_parameters(fsrs::ComputeParametersInput {
            train_set: train,
            ..Default::default()
        })
        .ok()
    };
    let rows = crate::revlog::evaluate_folds(items, k, &mut fit, |j| bar.set_position(j as u64));
    bar.finish_and_clear();
    print_comparison(rows);
    println!("RMSE(bins) here is srs-benchmark's: bins by interval, review number and lapses.");
    Ok(())
}

/// Reads the review log CSV behind a progress bar; returns the valid reviews and how many lines
/// were skipped (the first few are named on stderr).
fn read_revlog(path: &std::path::Path) -> anyhow::Result<(Vec<crate::revlog::Entry>, usize)> {
    use crate::revlog;
    use anyhow::Context;
    let file =
        std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    let bar = indicatif::ProgressBar::new(size);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{msg} {wide_bar} {bytes}/{total_bytes} ({eta})")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    bar.set_message("reading");
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(bar.wrap_read(std::io::BufReader::new(file)));
    let headers = reader
        .headers()
        .context("cannot read the CSV header")?
        .clone();
    let col = |name: &str| {
        headers
            .iter()
            .position(|h| h.trim() == name)
            .ok_or_else(|| anyhow::anyhow!("the CSV has no column {name:?}"))
    };
    let (c_card, c_rating, c_time) = (col("card_id")?, col("review_rating")?, col("review_time")?);
    let mut entries = Vec::new();
    let mut skipped = 0usize;
    for (i, rec) in reader.records().enumerate() {
        let parsed = rec.ok().and_then(|r| {
            let card = r.get(c_card)?.trim().to_string();
            let rating: u8 = r
                .get(c_rating)?
                .trim()
                .parse()
                .ok()
                .filter(|r| (1..=4).contains(r))?;
            let time = chrono::DateTime::parse_from_rfc3339(r.get(c_time)?.trim())
                .ok()?
                .timestamp();
            (!card.is_empty()).then_some(revlog::Entry {
                item: card,
                rating,
                time,
            })
        });
        match parsed {
            Some(e) => entries.push(e),
            None => {
                skipped += 1;
                if skipped <= 5 {
                    bar.suspend(|| eprintln!("skipping line {}: not a valid review", i + 2));
                }
            }
        }
    }
    bar.finish_and_clear();
    Ok((entries, skipped))
}

/// Scores FSRS with default and fitted parameters and the SM-2 baseline on the test reviews.
fn compare_schedulers(
    train: Vec<fsrs::FSRSItem>,
    test: &[fsrs::FSRSItem],
) -> anyhow::Result<Vec<(String, Option<crate::revlog::Metrics>)>> {
    use crate::revlog;
    let spinner = indicatif::ProgressBar::new_spinner();
    spinner.set_message("fitting FSRS parameters");
    spinner.enable_steady_tick(std::time::Duration::from_millis(120));
    let fitted = fsrs::compute_parameters(fsrs::ComputeParametersInput {
        train_set: train,
        ..Default::default()
    });
    spinner.finish_and_clear();
    let default_decay = fsrs::DEFAULT_PARAMETERS[20];
    let mut rows = vec![(
        "FSRS-6, default parameters".to_string(),
        revlog::metrics(&revlog::fsrs_predictions(
            &fsrs::FSRS::default(),
            default_decay,
            test,
        )),
    )];
    match fitted {
        Ok(params) => {
            let f = fsrs::FSRS::new(&params)
                .map_err(|e| anyhow::anyhow!("fitted parameters invalid: {e:?}"))?;
            let decay = params.get(20).copied().unwrap_or(default_decay);
            rows.push((
                "FSRS-6, fitted on the earlier part".to_string(),
                revlog::metrics(&revlog::fsrs_predictions(&f, decay, test)),
            ));
        }
        Err(e) => println!("could not fit parameters: {e:?}"),
    }
    rows.push((
        "SM-2 baseline".to_string(),
        revlog::metrics(&revlog::sm2_predictions(test)),
    ));
    Ok(rows)
}

/// Prints the scheduler comparison as a table.
fn print_comparison(rows: Vec<(String, Option<crate::revlog::Metrics>)>) {
    println!(
        "\n{:<36} {:>10} {:>12} {:>8}",
        "scheduler", "log loss", "RMSE(bins)", "n"
    );
    for (name, m) in rows {
        match m {
            Some(m) => println!(
                "{name:<36} {:>10.4} {:>12.4} {:>8}",
                m.log_loss, m.rmse_bins, m.n
            ),
            None => println!("{name:<36} {:>10} {:>12} {:>8}", "-", "-", 0),
        }
    }
}

fn simulate(args: SimulateArgs) -> anyhow::Result<()> {
    use anyhow::Context;
    let content = crate::content::embedded().map_err(|e| anyhow::anyhow!("{e}"))?;
    let concepts: Vec<String> = content.concepts.iter().map(|c| c.slug.clone()).collect();
    let start = chrono::Utc::now().timestamp() - args.days * 86_400;
    let mut reviews = Vec::new();
    if !(args.stability_scale > 0.0 && args.stability_scale <= 10.0) {
        anyhow::bail!("--stability-scale must be above 0 and at most 10");
    }
    crate::simulate::simulate_scaled(
        args.learners,
        args.days,
        start,
        &concepts,
        args.seed,
        args.stability_scale,
        |r| reviews.push(r.clone()),
    );
    if let Some(out) = &args.out {
        let mut w = csv::Writer::from_path(out)
            .with_context(|| format!("cannot write {}", out.display()))?;
        w.write_record(["card_id", "review_rating", "review_time", "review_duration"])?;
        for r in &reviews {
            let time = chrono::DateTime::from_timestamp(r.time, 0)
                .unwrap_or_default()
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
            let card = format!("{}/{}", r.learner, r.concept);
            w.write_record([card, (r.rating as u8).to_string(), time, "8000".into()])?;
        }
        w.flush()?;
        println!(
            "wrote {} reviews of {} learners to {}",
            reviews.len(),
            args.learners,
            out.display()
        );
    }
    if let Some(url) = &args.database {
        let rt = runtime()?;
        let n = rt.block_on(crate::simulate::store_learners(
            url,
            &content,
            &reviews,
            args.learners,
        ))?;
        println!(
            "stored {n} simulated learners with {} reviews in {url}",
            reviews.len()
        );
    }
    Ok(())
}

fn lab(args: LabArgs) -> anyhow::Result<()> {
    use anyhow::Context;
    let content = crate::content::embedded().map_err(|e| anyhow::anyhow!("{e}"))?;
    let cards = crate::startup::generate_cards(&content)?;
    let deck = crate::lab::Deck::new(&content, &cards);
    let config = args.config;
    let bar = indicatif::ProgressBar::new(config.learners as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{msg} {wide_bar} {pos}/{len} learners ({eta})")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    bar.set_message("simulating");
    let started = std::time::Instant::now();
    let rows = crate::lab::run(&deck, &config, &|| bar.inc(1));
    bar.finish_and_clear();
    let elapsed = started.elapsed();
    let matched: Vec<_> = config
        .equal_to
        .iter()
        .flat_map(|k| crate::lab::equal::compare(&rows, *k))
        .collect();
    if args.json {
        for r in &rows {
            println!("{}", serde_json::to_string(r)?);
        }
        for m in &matched {
            println!("{}", serde_json::to_string(m)?);
        }
    } else {
        println!(
            "{} learners × {} days, {} runs per learner ({} memory models × {} transfer values × schedulers and targets); {} cards in {} concepts",
            config.learners,
            config.days,
            config.combos().len(),
            config.memory.len(),
            config.rhos.len(),
            deck.cards.len(),
            deck.concepts.len()
        );
        print!("{}", crate::lab::table(&rows));
        if !matched.is_empty() {
            print!("\nEqual retention{}", crate::lab::equal::table(&matched));
        }
    }
    eprintln!(
        "simulated in {:.1} s on {} threads",
        elapsed.as_secs_f64(),
        config.threads
    );
    if let Some(path) = &args.plot {
        std::fs::write(path, crate::lab::plot(&rows))
            .with_context(|| format!("cannot write {}", path.display()))?;
        eprintln!("chart written to {}", path.display());
    }
    Ok(())
}

/// The id of the learner called `user`, or an error naming the user and the database.
async fn learner_id(db: &crate::store::Db, user: &str, database: &str) -> anyhow::Result<i64> {
    let not_found = || anyhow::anyhow!("用户“{user}”不存在 (no such user) in {database}");
    let name = crate::auth::Username::parse(user).map_err(|_| not_found())?;
    crate::store::learners::credentials_by_key(db, &name.key())
        .await?
        .map(|c| c.id)
        .ok_or_else(not_found)
}

/// Writes the learner's JSON export the way the web download does: the same writer, a page of
/// reviews at a time, so memory stays flat however large the account. A file is written beside
/// its final name and renamed when complete, so a failure never leaves a cut-off export there.
fn export(args: ExportArgs) -> anyhow::Result<()> {
    use anyhow::Context;
    runtime()?.block_on(async {
        let db = crate::store::Db::open(&args.database).await?;
        let result = async {
            let learner = learner_id(&db, &args.user, &args.database).await?;
            let kind = crate::export::DownloadKind::Json;
            let download =
                crate::export::Download::new(db.clone(), learner, kind, crate::store::now_ts());
            let Some(path) = &args.out else {
                return write_download(download, &mut std::io::stdout().lock()).await;
            };
            let name = path.file_name().context("--out names no file")?;
            let partial = path.with_file_name(format!(".{}.partial", name.to_string_lossy()));
            let mut file = std::fs::File::create(&partial)
                .with_context(|| format!("cannot write {}", partial.display()))?;
            let written = write_download(download, &mut file).await;
            if let Err(e) = written.and_then(|()| Ok(file.sync_all()?)) {
                let _ = std::fs::remove_file(&partial);
                return Err(e);
            }
            std::fs::rename(&partial, path)
                .with_context(|| format!("cannot write {}", path.display()))
        }
        .await;
        db.close().await;
        result
    })
}

/// Writes every piece of `download` to `out`, then a newline.
async fn write_download(
    mut download: crate::export::Download,
    out: &mut impl std::io::Write,
) -> anyhow::Result<()> {
    loop {
        let (next, chunk) = download.next_chunk().await;
        download = next;
        match chunk? {
            Some(bytes) => out.write_all(&bytes)?,
            None => break,
        }
    }
    out.write_all(b"\n")?;
    out.flush()?;
    Ok(())
}

fn import(args: ImportArgs) -> anyhow::Result<()> {
    use anyhow::Context;
    let content = match &args.content {
        Some(dir) => crate::content::load_dir(dir),
        None => crate::content::embedded(),
    }
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    let bytes = std::fs::read(&args.file)
        .with_context(|| format!("cannot read {}", args.file.display()))?;
    let file = crate::export::parse(&bytes)?;
    let report = runtime()?.block_on(async {
        let db = crate::store::Db::open(&args.database).await?;
        let result = async {
            let learner = learner_id(&db, &args.user, &args.database).await?;
            anyhow::Ok(
                crate::export::import(&db, &content, learner, &file, crate::store::now_ts())
                    .await?,
            )
        }
        .await;
        db.close().await;
        result
    })?;
    println!(
        "导入完成 (imported) for {}: reviews {} added, {} duplicates skipped, {} with unknown cards \
         skipped; concept states {} added, {} updated; papers {} added, {} updated; sections reached {} \
         added, {} updated{}",
        args.user,
        report.reviews_added,
        report.reviews_duplicate,
        report.reviews_unknown_card,
        report.states_added,
        report.states_updated,
        report.papers_added,
        report.papers_updated,
        report.sections_added,
        report.sections_updated,
        if report.settings_taken {
            "; settings taken from the file (the account was empty)"
        } else {
            ""
        }
    );
    Ok(())
}

fn copy_data(args: CopyArgs) -> anyhow::Result<()> {
    let copied = runtime()?.block_on(async {
        let from = crate::store::copy::open_source(&args.from).await?;
        // No cache: nothing is served from this handle.
        let to = crate::store::Db::open_with(&args.to, std::time::Duration::ZERO).await?;
        let result = crate::store::copy::copy_all(&from, &to).await;
        from.close().await;
        to.close().await;
        anyhow::Ok(result?)
    })?;
    for (table, rows) in copied {
        println!("{table}: {rows} rows");
    }
    println!(
        "复制完成 (copied) {} → {}",
        crate::store::redact(&args.from),
        crate::store::redact(&args.to)
    );
    Ok(())
}

fn report_grading(args: GradingArgs) -> anyhow::Result<()> {
    let answers = runtime()?.block_on(async {
        let db = crate::store::Db::open(&args.database).await?;
        let result = crate::store::quiz::typed_answers(&db, crate::quiz::GAVE_UP).await;
        db.close().await;
        anyhow::Ok(result?)
    })?;
    let report = crate::stats::grading_report(&answers);
    print!("{}", format_grading_report(&report, args.limit));
    Ok(())
}

/// The report as text, one block per card. Answers are quoted with `{:?}` so leading spaces
/// and look-alike characters stay visible.
fn format_grading_report(cards: &[crate::stats::DisputedCard], limit: usize) -> String {
    use std::fmt::Write;
    if cards.is_empty() {
        return "no overridden answers (没有“算我对”的记录)\n".to_string();
    }
    let list = |answers: &[(String, usize)]| {
        answers
            .iter()
            .map(|(a, n)| format!("{a:?} ×{n}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut out = String::new();
    for c in cards.iter().take(limit) {
        let _ = writeln!(
            out,
            "card {} ({}): {} of {} marked wrong overridden; {} typed answers",
            c.card_id, c.paper, c.overridden, c.marked_wrong, c.typed
        );
        let _ = writeln!(out, "  question: {}", c.prompt);
        let _ = writeln!(out, "  expected: {}", c.expected);
        let _ = writeln!(out, "  overridden: {}", list(&c.overridden_answers));
        if !c.wrong_answers.is_empty() {
            let _ = writeln!(out, "  still wrong: {}", list(&c.wrong_answers));
        }
    }
    if cards.len() > limit {
        let _ = writeln!(out, "… {} more cards (--limit)", cards.len() - limit);
    }
    out
}
