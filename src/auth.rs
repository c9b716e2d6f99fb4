//! Accounts without I/O: parsing user names and passwords, hashing, and the log-in rate limiter.

use argon2::password_hash::{rand_core::OsRng, PasswordHash, SaltString};
use argon2::Argon2;
use std::collections::HashMap;
use std::net::IpAddr;
use std::time::{Duration, Instant};

/// A valid user name: 3–32 characters of ASCII letters, digits, `_`, `-` and Chinese characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Username(String);

impl Username {
    pub fn parse(raw: &str) -> Result<Username, String> {
        let s = raw.trim();
        let n = s.chars().count();
        if n < 3 {
            return Err("用户名至少要 3 个字符。".into());
        }
        if n > 32 {
            return Err("用户名最多 32 个字符。".into());
        }
        if let Some(bad) = s.chars().find(|c| !allowed_in_username(*c)) {
            return Err(format!(
                "用户名只能包含字母、数字、下划线 _、连字符 - 和汉字；“{}”不行。",
                bad.escape_default()
            ));
        }
        Ok(Username(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The key that makes names unique regardless of case.
    pub fn key(&self) -> String {
        self.0.to_ascii_lowercase()
    }
}

fn allowed_in_username(c: char) -> bool {
    c.is_ascii_alphanumeric()
        || c == '_'
        || c == '-'
        // CJK Unified Ideographs and Extension A: the characters Chinese names are written in.
        || ('\u{4e00}'..='\u{9fff}').contains(&c)
        || ('\u{3400}'..='\u{4dbf}').contains(&c)
}

/// A password of 8 to 128 characters; no other composition rules.
#[derive(Clone)]
pub struct Password(String);

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(***)")
    }
}

impl Password {
    pub fn parse(raw: &str) -> Result<Password, String> {
        let n = raw.chars().count();
        if n < 8 {
            return Err("密码至少要 8 个字符。".into());
        }
        if n > 128 {
            return Err("密码最多 128 个字符。".into());
        }
        Ok(Password(raw.to_string()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// Stored hashes asking for more memory than this are refused rather than computed.
const MAX_M_COST_KIB: u32 = 64 * 1024;

/// Argon2id with the crate's default cost (19 MiB, 2 passes) and a random salt, as a PHC
/// string. CPU-heavy: call it through [`Hasher`].
pub fn hash_password(password: &str) -> Result<String, argon2::password_hash::Error> {
    use argon2::password_hash::PasswordHasher;
    let salt = SaltString::generate(&mut OsRng);
    Ok(Argon2::default()
        .hash_password(password.as_bytes(), &salt)?
        .to_string())
}

/// Verifies against a stored PHC string; anything malformed counts as a mismatch. The crate
/// compares in constant time; the memory cost is checked first, so a stored hash asking for
/// absurd memory is refused rather than computed.
pub fn verify_password(password: &str, hash: &str) -> bool {
    use argon2::password_hash::PasswordVerifier;
    let Ok(h) = PasswordHash::new(hash) else {
        return false;
    };
    if h.algorithm != argon2::Algorithm::Argon2id.ident() {
        return false;
    }
    match argon2::Params::try_from(&h) {
        Ok(p) if p.m_cost() <= MAX_M_COST_KIB => {}
        _ => return false,
    }
    Argon2::default()
        .verify_password(password.as_bytes(), &h)
        .is_ok()
}

/// A random 48-hex-digit id (session ids, anonymous ids, throw-away passwords).
pub fn random_id() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 24];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// A hash of a random password, verified against when the user name is unknown, so a log-in
/// takes as long whether the name exists or not.
pub fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash_password(&random_id()).unwrap_or_default())
}

/// Failed log-ins per user name and per client address in a sliding window.
#[derive(Debug)]
pub struct LoginLimiter {
    max_failures: usize,
    window: Duration,
    by_name: HashMap<String, Vec<Instant>>,
    by_addr: HashMap<IpAddr, Vec<Instant>>,
}

impl LoginLimiter {
    pub fn new(max_failures: usize, window: Duration) -> LoginLimiter {
        LoginLimiter {
            max_failures,
            window,
            by_name: HashMap::new(),
            by_addr: HashMap::new(),
        }
    }

    /// `Some(wait)` when this name or address has used up its failures.
    pub fn blocked(
        &mut self,
        name_key: &str,
        addr: Option<IpAddr>,
        now: Instant,
    ) -> Option<Duration> {
        let window = self.window;
        let max = self.max_failures;
        let wait = |list: &mut Vec<Instant>| {
            list.retain(|t| now.duration_since(*t) < window);
            (list.len() >= max).then(|| window - now.duration_since(list[0]))
        };
        let a = self.by_name.get_mut(name_key).and_then(wait);
        let b = addr.and_then(|ip| self.by_addr.get_mut(&ip)).and_then(wait);
        a.into_iter().chain(b).max()
    }

    pub fn record_failure(&mut self, name_key: &str, addr: Option<IpAddr>, now: Instant) {
        self.by_name
            .entry(name_key.to_string())
            .or_default()
            .push(now);
        if let Some(ip) = addr {
            self.by_addr.entry(ip).or_default().push(now);
        }
        // Keep memory bounded under a flood of distinct names.
        if self.by_name.len() > 100_000 {
            let window = self.window;
            self.by_name
                .retain(|_, v| v.last().is_some_and(|t| now.duration_since(*t) < window));
        }
    }

    pub fn record_success(&mut self, name_key: &str) {
        self.by_name.remove(name_key);
    }
}

/// Accepts a `next` target only when it is a path on this site: starts with one `/`, no
/// scheme, no `//` or `/\` (which browsers treat as another host), no control characters.
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n)
            if n.starts_with('/')
                && !n.starts_with("//")
                && !n.starts_with("/\\")
                && !n.chars().any(|c| c.is_control() || c == '\\')
                && n.len() <= 512 =>
        {
            n.to_string()
        }
        _ => "/".to_string(),
    }
}

/// Runs password hashing on one dedicated thread.
///
/// Argon2id needs ~19 MiB and tens of milliseconds per hash. On the async runtime's blocking
/// pool a burst of log-ins would run many at once, each thread with its own memory; one thread
/// bounds the server to one hash in memory at a time, and hashes queue instead.
pub struct Hasher {
    jobs: std::sync::Mutex<std::sync::mpsc::Sender<Box<dyn FnOnce() + Send>>>,
}

impl Default for Hasher {
    fn default() -> Hasher {
        let (tx, rx) = std::sync::mpsc::channel::<Box<dyn FnOnce() + Send>>();
        let _ = std::thread::Builder::new()
            .name("password-hasher".into())
            .spawn(move || {
                while let Ok(job) = rx.recv() {
                    job();
                }
            });
        Hasher {
            jobs: std::sync::Mutex::new(tx),
        }
    }
}

impl Hasher {
    /// Runs `f` on the hashing thread and waits for its result without blocking the executor.
    pub async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, &'static str> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let job = Box::new(move || {
            let _ = tx.send(f());
        });
        self.jobs
            .lock()
            .map_err(|_| "hasher lock poisoned")?
            .send(job)
            .map_err(|_| "hasher thread stopped")?;
        rx.await.map_err(|_| "hasher dropped the job")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_follow_the_rules() {
        for ok in [
            "abc",
            "小明同学",
            "Ada_Lovelace-2",
            "张三丰",
            "a_b",
            &"x".repeat(32),
        ] {
            assert!(Username::parse(ok).is_ok(), "{ok}");
        }
        for bad in [
            "ab",
            "张三",
            &"x".repeat(33),
            "a b c",
            "<script>",
            "名\u{200b}字",
            "ｆｕｌｌ",
            "café",
            "a.b.c",
            "😀😀😀",
            "",
        ] {
            assert!(Username::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn username_key_ignores_case() {
        let a = Username::parse("Alice").unwrap();
        let b = Username::parse("aLICE").unwrap();
        assert_eq!(a.key(), b.key());
    }

    #[test]
    fn password_length_is_counted_in_characters() {
        assert!(Password::parse("1234567").is_err());
        assert!(Password::parse("12345678").is_ok());
        assert!(Password::parse("密码密码密码密码").is_ok());
        assert!(Password::parse(&"x".repeat(128)).is_ok());
        assert!(Password::parse(&"x".repeat(129)).is_err());
    }

    #[test]
    fn hashes_agree_with_the_argon2_crate() {
        use argon2::password_hash::{PasswordHasher, PasswordVerifier};
        let theirs = Argon2::default()
            .hash_password(b"correct horse", &SaltString::generate(&mut OsRng))
            .unwrap()
            .to_string();
        assert!(verify_password("correct horse", &theirs));
        let ours = hash_password("correct horse").unwrap();
        let parsed = PasswordHash::new(&ours).unwrap();
        assert!(Argon2::default()
            .verify_password(b"correct horse", &parsed)
            .is_ok());
        // a stored hash asking for absurd memory is refused, not computed
        let greedy = ours.replace("m=19456", "m=4000000");
        assert!(!verify_password("correct horse", &greedy));
    }

    #[test]
    fn hashes_verify_only_the_right_password() {
        let h = hash_password("correct horse").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("correct horse", &h));
        assert!(!verify_password("wrong horse", &h));
        assert!(!verify_password("x", "not a hash"));
    }

    #[test]
    fn limiter_blocks_after_five_failures_and_forgets_after_the_window() {
        let mut l = LoginLimiter::new(5, Duration::from_secs(900));
        let t0 = Instant::now();
        let ip: IpAddr = "127.0.0.1".parse().unwrap();
        for i in 0..5 {
            assert!(l.blocked("bob", Some(ip), t0).is_none(), "attempt {i}");
            l.record_failure("bob", Some(ip), t0);
        }
        let wait = l
            .blocked("bob", None, t0 + Duration::from_secs(60))
            .unwrap();
        assert_eq!(wait, Duration::from_secs(840));
        // the address is blocked for other names too
        assert!(l.blocked("carol", Some(ip), t0).is_some());
        assert!(l
            .blocked("bob", None, t0 + Duration::from_secs(901))
            .is_none());
    }

    #[test]
    fn next_accepts_only_local_paths() {
        assert_eq!(safe_next(Some("/quiz?x=1")), "/quiz?x=1");
        for bad in [
            "https://evil.example",
            "//evil.example",
            "/\\evil.example",
            "javascript:alert(1)",
            "evil",
            "/ok\r\nSet-Cookie: x",
        ] {
            assert_eq!(safe_next(Some(bad)), "/", "{bad}");
        }
        assert_eq!(safe_next(None), "/");
    }
}
