//! Export and import through HTTP and the command line: the downloads, a round trip into a new
//! account, merging, refusing bad files, and the login and CSRF checks.

use crate::common::cli::paperdeck;
use crate::helpers::{new_learner, spawn_app, Page, TestApp};
use crate::quiz::answer_fields;
use serde_json::Value;

const PW: &str = "a good long passphrase";

/// Answers `n` questions, switching to extra practice when the day's work is done, so the
/// account has a real history: states, reviews of every kind, right and wrong answers.
pub(crate) async fn answer_questions(app: &TestApp, n: usize) {
    for i in 0..n {
        let mut q = app.get("/quiz").await;
        if q.input("token").is_none() {
            q = app.get("/quiz?mode=practice").await;
        }
        assert!(q.input("token").is_some(), "question {i}: {}", q.body);
        let fields = answer_fields(&q);
        let res = app.post_answer(&fields).await;
        assert_eq!(res.status, 303, "answer {i}: {}", res.body);
    }
}

/// A learner who read two papers and answered 15 questions.
pub(crate) async fn learner_with_history(name: &str) -> TestApp {
    let app = spawn_app().await;
    assert_eq!(app.signup(name, PW).await.status, 303);
    for slug in ["chinchilla", "qlora"] {
        assert_eq!(app.mark_read(slug).await.status, 303);
    }
    answer_questions(&app, 15).await;
    app
}

pub(crate) async fn export_json(app: &TestApp) -> Value {
    let res = app.get("/export/paperdeck.json").await;
    assert_eq!(res.status, 200, "{}", res.body);
    serde_json::from_str(&res.body).expect("export is JSON")
}

/// The export without what differs between accounts and moments.
fn comparable(mut v: Value) -> Value {
    let obj = v.as_object_mut().expect("object");
    obj.remove("exported_at");
    let account = obj
        .get_mut("account")
        .and_then(Value::as_object_mut)
        .expect("account");
    account.remove("username");
    account.remove("created_at");
    v
}

/// Posts a multipart upload built by hand (the test client has no multipart support).
pub(crate) async fn upload(app: &TestApp, csrf: Option<&str>, file: &[u8]) -> Page {
    let boundary = "----paperdeck-test-boundary-7d9a";
    let mut body = Vec::new();
    if let Some(csrf) = csrf {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n"
            )
            .as_bytes(),
        );
    }
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"export.json\"\r\nContent-Type: application/json\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    app.send(
        app.client
            .post(app.url("/import"))
            .header(
                "content-type",
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(body),
    )
    .await
}

pub(crate) async fn import(app: &TestApp, file: &[u8]) -> Page {
    let csrf = app.get("/import").await.csrf();
    upload(app, Some(&csrf), file).await
}

/// Rows of the per-learner tables and learner 2's settings: "nothing changed" means these are
/// equal before and after.
async fn snapshot(app: &TestApp) -> Vec<String> {
    let mut out = Vec::new();
    for sql in [
        "SELECT COUNT(*) FROM reviews",
        "SELECT COUNT(*) FROM concept_states",
        "SELECT COUNT(*) FROM papers_read",
        "SELECT CAST(COALESCE(SUM(version), 0) AS BIGINT) FROM concept_states",
        "SELECT COUNT(*) FROM learners WHERE id = 2 AND desired_retention = 0.9 AND fsrs_params IS NULL",
    ] {
        out.push(format!("{sql} = {}", app.count(sql).await));
    }
    out
}

#[tokio::test]
async fn json_export_has_everything_but_the_password_hash() {
    let app = learner_with_history("mei").await;
    let res = app.get("/export/paperdeck.json").await;
    assert_eq!(res.status, 200);
    let disposition = res.header("content-disposition");
    assert!(disposition.starts_with("attachment"), "{disposition}");
    assert!(disposition.contains("paperdeck-mei.json"), "{disposition}");
    assert_eq!(res.headers["cache-control"], "no-store");
    assert!(!res.body.contains("password"), "no password field");
    assert!(!res.body.contains("$argon2"), "no hash");
    let v: Value = serde_json::from_str(&res.body).unwrap();
    assert_eq!(v["format"], "paperdeck-export");
    assert_eq!(v["version"], 1);
    assert_eq!(v["account"]["username"], "mei");
    assert!(v["exported_at"].is_i64());
    let reviews = v["reviews"].as_array().unwrap();
    assert_eq!(
        reviews.len() as i64,
        app.count("SELECT COUNT(*) FROM reviews").await
    );
    let r = reviews[0].as_object().unwrap();
    assert!(!r.contains_key("id") && !r.contains_key("learner_id"));
    for col in [
        "card_id",
        "reviewed_at",
        "rating",
        "stability_after",
        "version_after",
    ] {
        assert!(r.contains_key(col), "review has {col}");
    }
    assert!(r["reviewed_at"].is_i64(), "timestamps are Unix seconds");
    assert_eq!(
        v["concept_states"].as_array().unwrap().len() as i64,
        app.count("SELECT COUNT(*) FROM concept_states").await
    );
    assert_eq!(v["papers_read"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn revlog_csv_has_the_evaluate_header_and_one_row_per_review() {
    let app = learner_with_history("lin").await;
    let res = app.get("/export/revlog.csv").await;
    assert_eq!(res.status, 200);
    assert!(res.header("content-type").starts_with("text/csv"));
    assert!(res
        .header("content-disposition")
        .contains("paperdeck-lin-revlog.csv"));
    assert_eq!(res.headers["cache-control"], "no-store");
    let mut lines = res.body.lines();
    assert_eq!(
        lines.next(),
        Some("card_id,review_rating,review_time,review_duration")
    );
    let rows: Vec<&str> = lines.collect();
    assert_eq!(
        rows.len() as i64,
        app.count("SELECT COUNT(*) FROM reviews").await
    );
    for row in rows {
        let f: Vec<&str> = row.split(',').collect();
        assert_eq!(f.len(), 4, "{row}");
        assert!(("1"..="4").contains(&f[1]), "{row}");
        assert!(
            chrono::DateTime::parse_from_rfc3339(f[2]).is_ok() && f[2].ends_with('Z'),
            "{row}"
        );
        assert!(f[3].parse::<i64>().is_ok(), "{row}");
    }
}

#[tokio::test]
async fn cards_csv_is_an_anki_basic_deck_with_every_live_card() {
    let app = new_learner("anki_fan").await;
    let res = app.get("/export/cards.csv").await;
    assert_eq!(res.status, 200);
    assert!(res
        .header("content-disposition")
        .contains("paperdeck-anki_fan-cards.csv"));
    let header: Vec<&str> = res.body.lines().take(4).collect();
    assert_eq!(
        header,
        [
            "#separator:Comma",
            "#html:true",
            "#notetype:Basic",
            "#columns:Front;Back"
        ]
    );
    let rest: String = res.body.lines().skip(4).collect::<Vec<_>>().join("\n");
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(rest.as_bytes());
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    assert_eq!(
        rows.len() as i64,
        app.count("SELECT COUNT(*) FROM cards WHERE retired = 0")
            .await
    );
    assert!(rows.iter().all(|r| r.len() == 2 && !r[0].is_empty()));
    assert!(rows.iter().any(|r| r[0].starts_with("判断：")));
    assert!(rows.iter().any(|r| r[0].contains("<br>A. ")));
}

#[tokio::test]
async fn export_then_import_into_a_new_account_gives_the_same_data() {
    let app = learner_with_history("first").await;
    let original = export_json(&app).await;
    let file = serde_json::to_vec(&original).unwrap();

    let other = app.other_browser();
    assert_eq!(other.signup("second", PW).await.status, 303);
    let res = import(&other, &file).await;
    assert_eq!(res.status, 200, "{}", res.body);
    assert!(res.body.contains("导入完成"));
    assert!(res.body.contains("采用了文件里的设置"));
    let n = original["reviews"].as_array().unwrap().len();
    assert!(
        res.body.contains(&format!("新增复习记录 {n} 条")),
        "{}",
        res.body
    );

    let copy = export_json(&other).await;
    assert_eq!(copy["account"]["username"], "second");
    assert_eq!(comparable(copy), comparable(original));
}

#[tokio::test]
async fn importing_the_same_file_twice_does_not_duplicate_reviews() {
    let app = learner_with_history("twice").await;
    let file = serde_json::to_vec(&export_json(&app).await).unwrap();
    let reviews = app.count("SELECT COUNT(*) FROM reviews").await;

    // Into her own account: everything is already there.
    let res = import(&app, &file).await;
    assert_eq!(res.status, 200, "{}", res.body);
    assert!(res.body.contains("新增复习记录 0 条"), "{}", res.body);
    assert!(res.body.contains(&format!("已有、跳过 {reviews} 条")));
    assert!(res.body.contains("设置保持不变"));
    app.assert_count("SELECT COUNT(*) FROM reviews", reviews)
        .await;

    // Into a new account, twice.
    let other = app.other_browser();
    other.signup("twice_too", PW).await;
    assert_eq!(import(&other, &file).await.status, 200);
    let after_first = snapshot(&other).await;
    let again = import(&other, &file).await;
    assert_eq!(again.status, 200);
    assert!(again.body.contains("新增复习记录 0 条"));
    assert_eq!(snapshot(&other).await, after_first);
    app.assert_count("SELECT COUNT(*) FROM reviews WHERE learner_id = 2", reviews)
        .await;
}

#[tokio::test]
async fn merging_keeps_the_newer_state_and_makes_open_questions_stale() {
    let app = learner_with_history("merger").await;
    let file = serde_json::to_vec(&export_json(&app).await).unwrap();

    // A second account that read one of the same papers and has one fresh question open.
    let other = app.other_browser();
    other.signup("merger_two", PW).await;
    other.mark_read("chinchilla").await;
    let open = other.get("/quiz").await;
    let fields = answer_fields(&open);
    let res = import(&other, &file).await;
    assert_eq!(res.status, 200, "{}", res.body);
    assert!(res.body.contains("设置保持不变"));
    // Her unreviewed states lost to the reviewed ones in the file, so the open question's
    // token no longer matches.
    // Not an answer to any question recorded since: nothing is written, and she is on the
    // quiz's current question, told so.
    let stale = other.post_answer(&fields).await;
    assert_eq!(
        stale.location.as_deref(),
        Some("/quiz?moved=1"),
        "{}",
        stale.body
    );
    let reviews = app
        .count("SELECT COUNT(*) FROM reviews WHERE learner_id = 1")
        .await;
    app.assert_count("SELECT COUNT(*) FROM reviews WHERE learner_id = 2", reviews)
        .await;
    app.assert_count("SELECT COUNT(*) FROM papers_read WHERE learner_id = 2", 2)
        .await;
}

#[tokio::test]
async fn a_bad_file_is_refused_and_changes_nothing() {
    let app = learner_with_history("source").await;
    let good = export_json(&app).await;
    let other = app.other_browser();
    other.signup("target", PW).await;
    other.mark_read("palm").await;
    let before = snapshot(&other).await;

    let mut rating9 = good.clone();
    rating9["reviews"][0]["rating"] = 9.into();
    let mut no_marker = good.clone();
    no_marker.as_object_mut().unwrap().remove("format");
    let mut unknown_concept = good.clone();
    unknown_concept["concept_states"][0]["concept_slug"] = "no-such-concept".into();
    let mut wrong_shape = good.clone();
    wrong_shape["reviews"] = "many".into();
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (b"card_id,review_rating\nx,3\n".to_vec(), "不是 JSON"),
        (
            serde_json::to_vec(&no_marker).unwrap(),
            "不是 paperdeck 的导出文件",
        ),
        (serde_json::to_vec(&rating9).unwrap(), "评分是 9"),
        (
            serde_json::to_vec(&unknown_concept).unwrap(),
            "不认识的概念",
        ),
        (serde_json::to_vec(&wrong_shape).unwrap(), "格式不对"),
        (Vec::new(), "请先选择要导入的文件"),
    ];
    for (file, message) in cases {
        let res = import(&other, &file).await;
        assert_eq!(res.status, 400, "{message}: {}", res.body);
        assert!(res.body.contains(message), "{message}: {}", res.body);
        assert!(res.body.contains("没有任何改动"));
        assert_eq!(snapshot(&other).await, before, "{message}");
    }
}

#[tokio::test]
async fn reviews_of_unknown_cards_are_skipped_and_counted() {
    let app = learner_with_history("ghost").await;
    let mut file = export_json(&app).await;
    let total = file["reviews"].as_array().unwrap().len();
    file["reviews"][0]["card_id"] = "ffffffffffffffffffff".into();
    let other = app.other_browser();
    other.signup("ghost_two", PW).await;
    let res = import(&other, &serde_json::to_vec(&file).unwrap()).await;
    assert_eq!(res.status, 200, "{}", res.body);
    assert!(res.body.contains("跳过 1 条"), "{}", res.body);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM reviews WHERE learner_id = 2")
            .await as usize,
        total - 1
    );
}

#[tokio::test]
async fn export_and_import_need_login_and_csrf() {
    let app = learner_with_history("guarded").await;
    let file = serde_json::to_vec(&export_json(&app).await).unwrap();
    let anon = app.other_browser();
    let guarded = [
        "/export",
        "/export/paperdeck.json",
        "/export/revlog.csv",
        "/export/cards.csv",
        "/import",
    ];
    for (path, res) in anon.get_each(&guarded, 303).await {
        assert!(res.location.unwrap().starts_with("/login"), "{path}");
    }
    let csrf = anon.get("/signup").await.csrf();
    let res = upload(&anon, Some(&csrf), &file).await;
    assert_eq!(res.status, 303);
    assert!(res.location.unwrap().starts_with("/login"));

    let before = snapshot(&app).await;
    let missing = upload(&app, None, &file).await;
    assert_eq!(missing.status, 403, "{}", missing.body);
    let wrong = upload(&app, Some("not-the-token"), &file).await;
    assert_eq!(wrong.status, 403);
    assert_eq!(snapshot(&app).await, before);

    // Not a multipart form at all: a friendly 400, not a server error.
    let page = app.get("/export").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("enctype=\"multipart/form-data\""));
    let plain = app.post("/import", &[("csrf", &page.csrf())]).await;
    assert_eq!(plain.status, 400, "{}", plain.body);
    assert!(plain.body.contains("文件上传表单"));
    // A multipart body that breaks off: the upload's error handler answers, not a 500.
    let multipart = "multipart/form-data; boundary=xyz";
    let body = format!(
        "--xyz\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{}\r\n\
         --xyz\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\nhalf a fi",
        page.csrf()
    );
    let broken = app.post_raw("/import", multipart, body).await;
    assert_eq!(broken.status, 400);
    assert!(broken.body.contains("没有导入任何数据"));
    assert_eq!(snapshot(&app).await, before);
}

#[tokio::test]
async fn a_file_over_the_limit_is_refused_with_a_message() {
    let app = new_learner("big_file").await;
    let huge = vec![b' '; 21 * 1024 * 1024];
    let res = import(&app, &huge).await;
    assert_eq!(res.status, 400, "{}", res.body);
    assert!(res.body.contains("文件太大了"), "{}", res.body);
}

#[tokio::test]
async fn cli_export_and_import_round_trip_against_the_live_database() {
    let app = learner_with_history("cli_user").await;
    let other = app.other_browser();
    other.signup("cli_copy", PW).await;
    let database = app.database_url.clone();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("cli_user.json");
    let out_path = out.to_str().unwrap();
    let run = paperdeck([
        "export",
        "--user",
        "cli_user",
        "--database",
        &database,
        "--out",
        out_path,
    ]);
    assert!(run.ok, "{}", run.stderr);
    let from_cli: Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    assert_eq!(comparable(from_cli), comparable(export_json(&app).await));

    // To standard output, too.
    let run = paperdeck(["export", "--user", "cli_user", "--database", &database]);
    assert!(run.ok, "{}", run.stderr);
    assert!(serde_json::from_str::<Value>(&run.stdout).is_ok());

    let run = paperdeck([
        "import",
        "--user",
        "cli_copy",
        "--database",
        &database,
        out_path,
    ]);
    assert!(run.ok, "{}", run.stderr);
    assert!(run.stdout.contains("导入完成"), "{}", run.stdout);
    assert_eq!(
        comparable(export_json(&other).await),
        comparable(export_json(&app).await)
    );

    let run = paperdeck(["export", "--user", "nobody", "--database", &database]);
    assert!(!run.ok);
    assert!(
        run.stderr.contains("不存在") && run.stderr.contains("nobody"),
        "{}",
        run.stderr
    );
    let run = paperdeck([
        "import",
        "--user",
        "nobody",
        "--database",
        &database,
        out_path,
    ]);
    assert!(!run.ok);
    assert!(run.stderr.contains("不存在"), "{}", run.stderr);
}

/// `exported_at` set to 0, so that two exports made at different moments compare.
fn without_time(file: &[u8]) -> String {
    let text = String::from_utf8_lossy(file);
    let (head, rest) = text
        .split_once("\"exported_at\":")
        .expect("an exported_at field");
    let digits = rest
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(rest.len());
    format!("{head}\"exported_at\":0{}", &rest[digits..])
}

/// The command line writes the export through the same paged writer as the web download (it
/// used to build the whole file in memory): for an account of several pages of reviews, its
/// file and its standard output are the download's bytes, only `exported_at` differs.
#[tokio::test]
async fn cli_export_is_the_web_download_written_a_page_at_a_time() {
    let app = new_learner("pages").await;
    let n = paperdeck::store::transfer::PAGE_ROWS * 2 + 11;
    app.plant_reviews(n, 1_767_225_600, 60).await;
    let web = app
        .client
        .get(app.url("/export/paperdeck.json"))
        .send()
        .await;
    let web = web.expect("download").bytes().await.expect("body");
    let parsed: Value = serde_json::from_slice(&web).expect("the download is JSON");
    assert_eq!(parsed["reviews"].as_array().map(Vec::len), Some(n as usize));

    let database = app.database_url.clone();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("pages.json");
    let args = ["export", "--user", "pages", "--database", &database];
    let to_file = paperdeck(args.iter().copied().chain(["--out", out.to_str().unwrap()]));
    assert!(to_file.ok, "{}", to_file.stderr);
    let file = std::fs::read(&out).expect("the file");
    assert_eq!(without_time(&file), format!("{}\n", without_time(&web)));
    let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().flatten().collect();
    assert_eq!(names.len(), 1, "no partial file is left beside it");

    let to_stdout = paperdeck(args);
    assert!(to_stdout.ok, "{}", to_stdout.stderr);
    // The two runs may fall in different seconds, so `exported_at` is masked here too.
    assert_eq!(
        without_time(to_stdout.stdout.as_bytes()),
        without_time(&file)
    );
}
