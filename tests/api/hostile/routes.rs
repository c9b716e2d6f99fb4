//! Every route × every method × everyone, with an empty body.

use super::*;

/// A route in the method matrix.
struct Route {
    path: String,
    get: bool,
    post: bool,
    login: bool,
    /// A GET finds nothing here (404).
    missing: bool,
    /// Only this learner may see it (someone else's review, a concept only she unlocked).
    owner: Option<Who>,
}

fn route(path: &str) -> Route {
    Route {
        path: path.to_string(),
        get: true,
        post: false,
        login: false,
        missing: false,
        owner: None,
    }
}

impl Route {
    fn post_only(mut self) -> Route {
        self.get = false;
        self.post = true;
        self
    }
    fn also_post(mut self) -> Route {
        self.post = true;
        self
    }
    fn login(mut self) -> Route {
        self.login = true;
        self
    }
    fn missing(mut self) -> Route {
        self.missing = true;
        self
    }
    fn owner(mut self, who: Who) -> Route {
        self.owner = Some(who);
        self
    }

    fn expect(&self, method: &str, who: Who) -> Expect {
        let reading = method == "GET" || method == "HEAD";
        if reading && self.get {
            if self.missing
                || (self.login && !who.logged_in())
                || (who.logged_in() && self.owner.is_some_and(|o| o != who))
            {
                Expect::Reject
            } else {
                Expect::Any
            }
        } else {
            // wrong method, or a POST with an empty body (no CSRF token, missing fields)
            Expect::Reject
        }
    }
}

pub fn add(c: &mut Corpus) {
    let ctx = c.ctx;
    let a_last = ctx.a_last();
    let b_last = ctx.b_last();

    // Every route the app serves (and some it does not: `missing`, a 404) × every method ×
    // everyone, with an empty body.
    let routes = vec![
        route("/"),
        route("/papers"),
        route("/papers/chinchilla"),
        route("/papers/no-such-paper").missing(),
        route("/papers/chinchilla/read").post_only().login(),
        route("/papers/no-such-paper/read").post_only().login(),
        route("/concepts"),
        route("/concepts/rlhf"),
        route("/concepts/no-such-concept").missing(),
        route("/signup").also_post(),
        route("/login").also_post(),
        route("/logout").post_only(),
        route("/quiz").login(),
        route("/quiz?mode=practice").login(),
        route("/quiz?concept=compute-optimal")
            .login()
            .owner(Who::Alice),
        route("/quiz?concept=lora").login().owner(Who::Bob),
        route("/quiz/answer").post_only().login(),
        route(&format!("/quiz/feedback/{a_last}"))
            .login()
            .owner(Who::Alice),
        route(&format!("/quiz/feedback/{b_last}"))
            .login()
            .owner(Who::Bob),
        route("/quiz/feedback/999999").login().missing(),
        route("/quiz/undo").post_only().login(),
        route("/quiz/regrade").post_only().login(),
        route("/static/style.css"),
        route("/static/no-such.css").missing(),
        route("/healthz"),
        route("/favicon.ico"),
        route("/glossary"),
        route("/settings").also_post().login(),
        route("/settings/optimise").post_only().login(),
        route("/settings/reset-params").post_only().login(),
        route("/progress").login(),
        route("/export").login(),
        route("/export/paperdeck.json").login(),
        route("/export/revlog.csv").login(),
        route("/export/cards.csv").login(),
        route("/import").also_post().login(),
        route("/quiz/override").post_only().login(),
        route("/recover").also_post(),
        route("/account/recovery-codes").also_post().login(),
        route("/progress/backup-reminder").post_only().login(),
        route("/no-such-page").missing(),
    ];
    let methods = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH"];
    for r in &routes {
        for m in methods {
            for who in EVERYONE {
                let (ct, body): (Option<&str>, &[u8]) = if m == "GET" || m == "HEAD" {
                    (None, b"")
                } else {
                    (Some(FORM), b"")
                };
                let req = ctx.request(who, m, r.path.as_bytes(), ct, body);
                c.add(
                    format!("matrix {m} {} as {who:?}", r.path),
                    who,
                    req,
                    r.expect(m, who),
                );
            }
        }
        for m in ["OPTIONS", "TRACE", "CONNECT", "FOO"] {
            let req = ctx.request(Who::Alice, m, r.path.as_bytes(), None, b"");
            let expect = Expect::Reject;
            c.add(
                format!("matrix {m} {} as Alice", r.path),
                Who::Alice,
                req,
                expect,
            );
        }
    }
}
