//! A response as the tests look at it, and its HTML read with `scraper` (html5ever), so that
//! attribute order, quoting and character references do not matter to a test.

use scraper::{ElementRef, Html, Selector};

pub struct Page {
    pub status: u16,
    pub body: String,
    pub location: Option<String>,
    pub headers: reqwest::header::HeaderMap,
}

impl Page {
    /// The last path segment of the redirect: the review id of a feedback page `/quiz/r/{id}`.
    pub fn review_id(&self) -> String {
        let location = self.location.as_deref().expect("a redirect");
        let last = location.rsplit('/').next().expect("id");
        last.split('?').next().unwrap_or(last).to_string()
    }

    /// Reads the whole response. An error only when the body cannot be read (the crash test
    /// counts those: the server was killed mid-response).
    pub async fn read(res: reqwest::Response) -> Result<Page, reqwest::Error> {
        let status = res.status().as_u16();
        let headers = res.headers().clone();
        let location = headers
            .get("location")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let body = res.text().await?;
        Ok(Page {
            status,
            body,
            location,
            headers,
        })
    }

    /// Asserts that the body contains `needle`; a failure shows the status and the whole body.
    #[track_caller]
    pub fn assert_has(&self, needle: impl AsRef<str>) {
        let needle = needle.as_ref();
        assert!(
            self.body.contains(needle),
            "the page (status {}) lacks {needle:?}:\n{}",
            self.status,
            self.body
        );
    }

    /// [`Page::assert_has`] for each of `needles`.
    #[track_caller]
    pub fn assert_has_all(&self, needles: &[&str]) {
        for needle in needles {
            self.assert_has(needle);
        }
    }

    /// The value of the response header `name` ("" when it is missing or not text).
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    /// The value of the first element named `name` that has a value (`<input>` or `<button>`),
    /// with character references decoded.
    pub fn input(&self, name: &str) -> Option<String> {
        input_value(&self.body, name)
    }

    pub fn csrf(&self) -> String {
        self.input("csrf")
            .unwrap_or_else(|| panic!("no csrf field on the page (status {})", self.status))
    }

    /// The `name=value` pair of the `Set-Cookie` header that sets cookie `name`, without its
    /// attributes; see [`Page::set_cookie`] for the whole header.
    pub fn cookie(&self, name: &str) -> Option<String> {
        self.set_cookie(name)
            .map(|c| c.split(';').next().unwrap_or_default().to_string())
    }

    /// The whole `Set-Cookie` header (with `HttpOnly`, `SameSite`, …) that sets cookie `name`.
    pub fn set_cookie(&self, name: &str) -> Option<String> {
        let prefix = format!("{name}=");
        self.headers
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|c| c.starts_with(&prefix))
            .map(str::to_string)
    }

    /// The review id in a redirect to its feedback page (`/quiz/feedback/{id}`).
    pub fn feedback_id(&self) -> Option<i64> {
        self.location
            .as_deref()
            .filter(|_| self.status == 303)?
            .strip_prefix("/quiz/feedback/")?
            .split('?')
            .next()?
            .parse()
            .ok()
    }

    /// The text of every element that matches the CSS selector `css`, with runs of white space
    /// folded to one space and trimmed.
    pub fn texts(&self, css: &str) -> Vec<String> {
        let doc = Html::parse_document(&self.body);
        doc.select(&selector(css))
            .map(|e| {
                e.text()
                    .collect::<String>()
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect()
    }

    /// The fields a browser would send with the form that posts to `action`, without any submit
    /// button; `None` when the page has no such form.
    pub fn form(&self, action: &str) -> Option<Vec<(String, String)>> {
        form_fields(&self.body, action)
    }
}

fn selector(css: &str) -> Selector {
    Selector::parse(css).unwrap_or_else(|e| panic!("bad selector {css:?}: {e:?}"))
}

/// See [`Page::input`].
pub fn input_value(html: &str, name: &str) -> Option<String> {
    let doc = Html::parse_document(html);
    let sel = selector(&format!("[name=\"{name}\"][value]"));
    doc.select(&sel)
        .next()
        .and_then(|e| e.value().attr("value"))
        .map(str::to_string)
}

/// See [`Page::form`]: hidden and text inputs with their values, checked radio buttons and
/// check boxes, and text areas, in document order.
pub fn form_fields(html: &str, action: &str) -> Option<Vec<(String, String)>> {
    let doc = Html::parse_document(html);
    let form = doc
        .select(&selector(&format!("form[action=\"{action}\"]")))
        .next()?;
    Some(successful_controls(form))
}

fn successful_controls(form: ElementRef) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for e in form.select(&selector("input[name], textarea[name], select[name]")) {
        let el = e.value();
        let name = el.attr("name").unwrap_or_default().to_string();
        if el.attr("disabled").is_some() {
            continue;
        }
        match (el.name(), el.attr("type").unwrap_or("text")) {
            ("textarea", _) => out.push((name, e.text().collect())),
            ("select", _) => {
                let chosen = e
                    .select(&selector("option[selected]"))
                    .next()
                    .or_else(|| e.select(&selector("option")).next());
                if let Some(o) = chosen {
                    let v = o
                        .value()
                        .attr("value")
                        .map(str::to_string)
                        .unwrap_or_else(|| o.text().collect());
                    out.push((name, v));
                }
            }
            (_, "radio" | "checkbox") if el.attr("checked").is_none() => {}
            (_, "submit" | "button" | "image" | "reset" | "file") => {}
            _ => out.push((name, el.attr("value").unwrap_or_default().to_string())),
        }
    }
    out
}

/// The `(name, value)` of every submit button (and radio option) named `name` in the form
/// posting to `action`: the choices the page offers for that field.
pub fn choices(html: &str, action: &str, name: &str) -> Vec<String> {
    let doc = Html::parse_document(html);
    let Some(form) = doc
        .select(&selector(&format!("form[action=\"{action}\"]")))
        .next()
    else {
        return Vec::new();
    };
    let sel = selector(&format!(
        "button[name=\"{name}\"], input[type=\"radio\"][name=\"{name}\"], \
         input[type=\"submit\"][name=\"{name}\"]"
    ));
    form.select(&sel)
        .map(|e| e.value().attr("value").unwrap_or_default().to_string())
        .collect()
}

/// Whether the form posting to `action` has a control (input, button, text area) named `name`.
pub fn has_control(html: &str, action: &str, name: &str) -> bool {
    let doc = Html::parse_document(html);
    doc.select(&selector(&format!(
        "form[action=\"{action}\"] [name=\"{name}\"]"
    )))
    .next()
    .is_some()
}
