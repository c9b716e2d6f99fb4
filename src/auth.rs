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

    /// A password being chosen (sign-up, change): [`Password::parse`] plus a refusal of the
    /// passwords a guesser tries first: the built-in list of common ones, anything containing
    /// the user name, and one character repeated.
    pub fn parse_new(raw: &str, username: &str) -> Result<Password, String> {
        let p = Password::parse(raw)?;
        let lower = raw.to_lowercase();
        let name = username.trim().to_lowercase();
        let mut chars = lower.chars();
        let first = chars.next();
        if first.is_some() && chars.all(|c| Some(c) == first) {
            return Err("密码不能只由同一个字符重复组成，请换一个更难猜的密码。".into());
        }
        if !name.is_empty() && lower.contains(&name) {
            return Err("密码里不能包含用户名，请换一个更难猜的密码。".into());
        }
        if is_common_password(&lower) {
            return Err("这个密码太常见了，很容易被猜到，请换一个更难猜的密码。".into());
        }
        Ok(p)
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// The built-in list of common passwords (a few hundred; lower case).
const COMMON_PASSWORDS: &str = include_str!("common_passwords.txt");

fn is_common_password(lower: &str) -> bool {
    COMMON_PASSWORDS
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .any(|l| l == lower)
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

/// How many log-in failures each bucket of [`LoginLimiter`] tolerates in one window, and how
/// the account-wide and address-wide buckets slow down once their free budget is used up.
#[derive(Debug, Clone)]
pub struct LoginPolicy {
    pub window: Duration,
    /// Failures per (address, name) pair before that pair is refused until the window passes.
    /// Only the guesser's own address is refused, so this cannot lock the owner out elsewhere.
    pub pair_max: usize,
    /// Failures per account (from any address) before attempts on it are spaced out.
    pub name_free: usize,
    /// The longest spacing between attempts on one account: the owner waits at most this long.
    pub name_max_delay: Duration,
    /// Failures per address (over all names) before attempts from it are spaced out.
    pub addr_free: usize,
    /// The spacing between attempts from an address that has used its free budget.
    pub addr_spacing: Duration,
}

impl Default for LoginPolicy {
    fn default() -> LoginPolicy {
        LoginPolicy {
            window: Duration::from_secs(15 * 60),
            pair_max: 5,
            name_free: 10,
            name_max_delay: Duration::from_secs(60),
            addr_free: 30,
            addr_spacing: Duration::from_secs(1),
        }
    }
}

impl LoginPolicy {
    /// How long to wait before another attempt on `name`, judged from the failures every
    /// instance has stored (`failures`: (address, time) of each failure on the name within the
    /// window, oldest first; `addr`: this attempt's address). The same two rules as the
    /// in-process limiter, over all instances: a pair is refused after `pair_max` failures,
    /// and an account's attempts are spaced out, doubling per failure past `name_free`.
    pub fn shared_wait(
        &self,
        failures: &[(String, i64)],
        addr: &str,
        now: i64,
    ) -> Option<Duration> {
        let window = self.window.as_secs() as i64;
        let recent: Vec<&(String, i64)> =
            failures.iter().filter(|(_, t)| now - t < window).collect();
        let mut waits = Vec::new();
        let pair: Vec<i64> = recent
            .iter()
            .filter(|(a, _)| a == addr)
            .map(|(_, t)| *t)
            .collect();
        if pair.len() >= self.pair_max {
            let oldest = pair[pair.len() - self.pair_max];
            waits.push(window - (now - oldest));
        }
        if recent.len() >= self.name_free {
            let excess = (recent.len() - self.name_free).min(16) as u32;
            let delay = (1i64 << excess).min(self.name_max_delay.as_secs() as i64);
            if let Some((_, last)) = recent.last() {
                waits.push(delay - (now - last));
            }
        }
        waits
            .into_iter()
            .max()
            .filter(|w| *w > 0)
            .map(|w| Duration::from_secs(w as u64))
    }
}

#[derive(Debug, Default)]
struct Bucket {
    failures: std::collections::VecDeque<Instant>,
    /// Attempts that passed the check and are being verified now. They count against the
    /// budget like failures, so concurrent guesses cannot all slip past one check (H2).
    in_flight: usize,
    last_start: Option<Instant>,
}

impl Bucket {
    fn prune(&mut self, now: Instant, window: Duration) {
        while self
            .failures
            .front()
            .is_some_and(|t| now.duration_since(*t) >= window)
        {
            self.failures.pop_front();
        }
    }

    fn used(&self) -> usize {
        self.failures.len() + self.in_flight
    }

    fn idle(&self) -> bool {
        self.failures.is_empty() && self.in_flight == 0
    }

    /// Once `free` is used up: one attempt at a time, `spacing` after the last start or failure.
    fn spaced_wait(&self, free: usize, spacing: Duration, now: Instant) -> Option<Duration> {
        if self.used() < free {
            return None;
        }
        if self.in_flight > 0 {
            return Some(spacing);
        }
        let last = self.failures.back().copied().max(self.last_start)?;
        (last + spacing)
            .checked_duration_since(now)
            .filter(|d| !d.is_zero())
    }
}

type PairKey = (IpAddr, String);

#[derive(Debug, Default)]
struct Buckets {
    by_pair: HashMap<PairKey, Bucket>,
    by_name: HashMap<String, Bucket>,
    by_addr: HashMap<IpAddr, Bucket>,
}

/// Log-in attempts per (address, name), per name and per address, in a sliding window.
///
/// An attempt is reserved with [`LoginLimiter::begin`] *before* the password is hashed and
/// counts as in flight until its [`Attempt`] is resolved, so the check and the count happen
/// under one lock. Only the (address, name) pair is ever refused for the whole window; the
/// account and the address are slowed down instead, so nobody can lock out an account owner
/// or the learners who share an address (a proxy, a campus NAT).
#[derive(Debug)]
pub struct LoginLimiter {
    policy: LoginPolicy,
    buckets: std::sync::Arc<std::sync::Mutex<Buckets>>,
}

/// A reserved log-in attempt. Dropping it without [`Attempt::succeeded`] records a failure,
/// so an attempt whose request fails or is cancelled half-way still counts.
#[derive(Debug)]
pub struct Attempt {
    name: String,
    addr: Option<IpAddr>,
    buckets: std::sync::Arc<std::sync::Mutex<Buckets>>,
    done: bool,
}

/// Keeps the limiter's memory bounded under a flood of distinct names or addresses.
const MAX_KEYS: usize = 100_000;

impl LoginLimiter {
    pub fn new(policy: LoginPolicy) -> LoginLimiter {
        LoginLimiter {
            policy,
            buckets: Default::default(),
        }
    }

    /// Reserves an attempt, or says how long to wait before the next one is accepted.
    pub fn begin(
        &self,
        name_key: &str,
        addr: Option<IpAddr>,
        now: Instant,
    ) -> Result<Attempt, Duration> {
        let p = &self.policy;
        let mut guard = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        let b = &mut *guard;
        if b.by_pair.len() + b.by_name.len() + b.by_addr.len() > MAX_KEYS {
            for bucket in b.by_pair.values_mut() {
                bucket.prune(now, p.window);
            }
            b.by_pair.retain(|_, v| !v.idle());
            for bucket in b.by_name.values_mut() {
                bucket.prune(now, p.window);
            }
            b.by_name.retain(|_, v| !v.idle());
            for bucket in b.by_addr.values_mut() {
                bucket.prune(now, p.window);
            }
            b.by_addr.retain(|_, v| !v.idle());
        }
        let mut waits = Vec::new();
        if let Some(ip) = addr {
            if let Some(pair) = b.by_pair.get_mut(&(ip, name_key.to_string())) {
                pair.prune(now, p.window);
                if pair.used() >= p.pair_max {
                    // Refused until the oldest failure leaves the window; while only
                    // in-flight attempts fill the budget, a second is enough.
                    let wait = pair
                        .failures
                        .front()
                        .map(|t| p.window.saturating_sub(now.duration_since(*t)))
                        .unwrap_or(Duration::from_secs(1));
                    waits.push(wait);
                }
            }
            if let Some(bucket) = b.by_addr.get_mut(&ip) {
                bucket.prune(now, p.window);
                waits.extend(bucket.spaced_wait(p.addr_free, p.addr_spacing, now));
            }
        }
        if let Some(bucket) = b.by_name.get_mut(name_key) {
            bucket.prune(now, p.window);
            // Each failure beyond the free budget doubles the spacing, up to the maximum.
            let excess = bucket.used().saturating_sub(p.name_free).min(16) as u32;
            let delay = Duration::from_secs(1u64 << excess).min(p.name_max_delay);
            waits.extend(bucket.spaced_wait(p.name_free, delay, now));
        }
        if let Some(wait) = waits.into_iter().max() {
            return Err(wait.max(Duration::from_secs(1)));
        }
        let start = |bucket: &mut Bucket| {
            bucket.in_flight += 1;
            bucket.last_start = Some(now);
        };
        if let Some(ip) = addr {
            start(b.by_pair.entry((ip, name_key.to_string())).or_default());
            start(b.by_addr.entry(ip).or_default());
        }
        start(b.by_name.entry(name_key.to_string()).or_default());
        Ok(Attempt {
            name: name_key.to_string(),
            addr,
            buckets: self.buckets.clone(),
            done: false,
        })
    }
}

impl Attempt {
    /// The password was right: the attempt leaves the counts, and the failures of this
    /// (address, name) pair are forgotten. The account's failures from elsewhere are kept, so
    /// an owner's log-in does not hand a guesser a fresh budget.
    pub fn succeeded(mut self) {
        self.resolve(None);
    }

    /// The password was wrong: recorded as a failure at `now`.
    pub fn failed(mut self, now: Instant) {
        self.resolve(Some(now));
    }

    fn resolve(&mut self, failed_at: Option<Instant>) {
        if self.done {
            return;
        }
        self.done = true;
        let mut guard = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        let b = &mut *guard;
        let end = |bucket: Option<&mut Bucket>| {
            if let Some(bucket) = bucket {
                bucket.in_flight = bucket.in_flight.saturating_sub(1);
                if let Some(t) = failed_at {
                    bucket.failures.push_back(t);
                }
            }
        };
        end(b.by_name.get_mut(&self.name));
        if let Some(ip) = self.addr {
            end(b.by_addr.get_mut(&ip));
            let key = (ip, self.name.clone());
            end(b.by_pair.get_mut(&key));
            if failed_at.is_none() {
                b.by_pair.remove(&key);
            }
        }
    }
}

impl Drop for Attempt {
    fn drop(&mut self) {
        self.resolve(Some(Instant::now()));
    }
}

/// Counts events per key in a sliding window (sign-ups per address, and all sign-ups).
#[derive(Debug)]
pub struct RateLimit {
    max: usize,
    window: Duration,
    events: std::sync::Mutex<HashMap<Option<IpAddr>, std::collections::VecDeque<Instant>>>,
}

impl RateLimit {
    pub fn new(max: usize, window: Duration) -> RateLimit {
        RateLimit {
            max,
            window,
            events: Default::default(),
        }
    }

    /// Takes one event for `key` if the budget allows, else says how long until it does.
    pub fn take(&self, key: Option<IpAddr>, now: Instant) -> Result<(), Duration> {
        let mut m = self.events.lock().unwrap_or_else(|e| e.into_inner());
        if m.len() > MAX_KEYS {
            let window = self.window;
            m.retain(|_, v| v.back().is_some_and(|t| now.duration_since(*t) < window));
        }
        let list = m.entry(key).or_default();
        while list
            .front()
            .is_some_and(|t| now.duration_since(*t) >= self.window)
        {
            list.pop_front();
        }
        if list.len() >= self.max {
            let oldest = list.front().copied().unwrap_or(now);
            return Err(self
                .window
                .saturating_sub(now.duration_since(oldest))
                .max(Duration::from_secs(1)));
        }
        list.push_back(now);
        Ok(())
    }
}

/// The key an address is limited under: IPv6 clients usually hold a whole /64, so they are
/// counted per /64 rather than per address.
pub fn limit_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let s = v6.segments();
                IpAddr::V6(std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
        v4 => v4,
    }
}

/// The client's address: the TCP peer, unless the peer is one of `trusted` proxies, in which
/// case `X-Forwarded-For` is read from the right (the entries a trusted proxy appended) and the
/// first address that is not itself a trusted proxy is the client. With no trusted proxies the
/// header is ignored, since any client can send it.
pub fn client_ip(
    peer: Option<IpAddr>,
    forwarded_for: &[&str],
    trusted: &[IpAddr],
) -> Option<IpAddr> {
    let peer = peer?;
    if !trusted.contains(&peer) {
        return Some(peer);
    }
    let mut client = peer;
    for hop in forwarded_for
        .iter()
        .rev()
        .flat_map(|h| h.rsplit(','))
        .map(str::trim)
    {
        match hop.parse::<IpAddr>() {
            Ok(ip) => {
                client = ip;
                if !trusted.contains(&ip) {
                    break;
                }
            }
            // A malformed entry: stop at the last address a trusted proxy vouched for.
            Err(_) => break,
        }
    }
    Some(client)
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

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    /// A limiter with the default policy, and the moment its test starts at.
    fn fresh() -> (LoginLimiter, Instant) {
        (LoginLimiter::new(LoginPolicy::default()), Instant::now())
    }

    #[test]
    fn the_shared_limit_refuses_a_pair_and_spaces_an_account_from_stored_failures() {
        let p = LoginPolicy::default();
        let t = 1_000_000;
        let here = |n: i64| -> Vec<(String, i64)> {
            (0..n).map(|i| ("10.0.0.1".to_string(), t + i)).collect()
        };
        assert_eq!(p.shared_wait(&here(4), "10.0.0.1", t + 10), None);
        let wait = p
            .shared_wait(&here(5), "10.0.0.1", t + 10)
            .expect("refused");
        assert_eq!(wait.as_secs(), 15 * 60 - 10);
        // Another address is not refused for this pair's failures ...
        assert_eq!(p.shared_wait(&here(5), "10.0.0.2", t + 10), None);
        // ... and past the window the failures no longer count.
        assert_eq!(p.shared_wait(&here(5), "10.0.0.1", t + 15 * 60 + 5), None);
        // Ten failures on the account from elsewhere space its attempts out by a second.
        let spread: Vec<(String, i64)> = (0..10).map(|i| (format!("10.1.0.{i}"), t + i)).collect();
        assert_eq!(
            p.shared_wait(&spread, "10.2.0.1", t + 9)
                .map(|w| w.as_secs()),
            Some(1)
        );
        assert_eq!(p.shared_wait(&spread, "10.2.0.1", t + 11), None);
    }

    #[test]
    fn limiter_refuses_a_pair_after_five_failures_and_forgets_after_the_window() {
        let (l, t0) = fresh();
        let a = Some(ip("127.0.0.1"));
        for i in 0..5 {
            l.begin("bob", a, t0)
                .unwrap_or_else(|_| panic!("attempt {i}"))
                .failed(t0);
        }
        let wait = l.begin("bob", a, t0 + Duration::from_secs(60)).unwrap_err();
        assert_eq!(wait, Duration::from_secs(840));
        assert!(l.begin("bob", a, t0 + Duration::from_secs(901)).is_ok());
    }

    #[test]
    fn h2_concurrent_logins_cannot_exceed_the_limit() {
        // Attempts that are still being verified count: the sixth concurrent one is refused
        // before any of the first five has finished hashing.
        let (l, t0) = fresh();
        let a = Some(ip("10.0.0.1"));
        let held: Vec<Attempt> = (0..5).map(|_| l.begin("bob", a, t0).unwrap()).collect();
        assert!(l.begin("bob", a, t0).is_err());
        // A dropped (cancelled) attempt counts as a failure.
        drop(held);
        assert!(l.begin("bob", a, t0 + Duration::from_secs(5)).is_err());
    }

    #[test]
    fn h3_limits_slow_but_do_not_lock_out_other_addresses_or_accounts() {
        let (l, t0) = fresh();
        let attacker = Some(ip("10.0.0.66"));
        // One address guessing many names, 5 each, far beyond the address's free budget.
        for n in 0..10 {
            for _ in 0..5 {
                let t = t0 + Duration::from_secs(2 * n);
                if let Ok(a) = l.begin(&format!("name{n}"), attacker, t) {
                    a.failed(t);
                }
            }
        }
        // The victim's pair is refused for the attacker only.
        // (Spaced by 2 s, which the over-budget address allows.)
        let t1 = t0 + Duration::from_secs(60);
        for i in 0..5 {
            let t = t1 + Duration::from_secs(2 * i);
            l.begin("victim", attacker, t)
                .unwrap_or_else(|w| panic!("guess {i} refused for {w:?}"))
                .failed(t);
        }
        assert!(l
            .begin("victim", attacker, t1 + Duration::from_secs(120))
            .is_err());
        // The owner from her own address is not refused.
        assert!(l
            .begin("victim", Some(ip("10.0.0.7")), t1 + Duration::from_secs(12))
            .is_ok_and(|a| {
                a.succeeded();
                true
            }));
        // Another account from the attacker's address (a shared proxy) gets through after the
        // address's spacing, it is never refused for the whole window.
        assert!(l
            .begin("carol", attacker, t1 + Duration::from_secs(15))
            .is_ok());
    }

    #[test]
    fn h3_an_account_under_attack_is_slowed_with_a_bounded_delay() {
        let p = LoginPolicy::default();
        let l = LoginLimiter::new(p.clone());
        let t0 = Instant::now();
        // Guesses from many addresses (one failure each) use up the account's free budget.
        let mut t = t0;
        for i in 0..40u8 {
            if let Ok(a) = l.begin("dora", Some(ip(&format!("10.1.0.{i}"))), t) {
                a.failed(t);
            }
            t += Duration::from_millis(100);
        }
        // Refused right now (spaced), but never for longer than the maximum delay.
        let wait = l.begin("dora", Some(ip("10.2.0.1")), t).unwrap_err();
        assert!(wait <= p.name_max_delay, "{wait:?}");
        assert!(l
            .begin("dora", Some(ip("10.2.0.1")), t + p.name_max_delay)
            .is_ok());
    }

    #[test]
    fn client_ip_trusts_forwarded_for_only_from_trusted_proxies() {
        let proxy = ip("10.0.0.1");
        let trusted = [proxy];
        // Not a trusted peer: the header is ignored.
        assert_eq!(
            client_ip(Some(ip("1.2.3.4")), &["9.9.9.9"], &trusted),
            Some(ip("1.2.3.4"))
        );
        // No proxies configured: ignored too.
        assert_eq!(client_ip(Some(proxy), &["9.9.9.9"], &[]), Some(proxy));
        // A trusted proxy: the rightmost untrusted entry; spoofed entries to its left are
        // not believed.
        assert_eq!(
            client_ip(Some(proxy), &["6.6.6.6, 5.5.5.5"], &trusted),
            Some(ip("5.5.5.5"))
        );
        assert_eq!(
            client_ip(Some(proxy), &["5.5.5.5", "10.0.0.1"], &trusted),
            Some(ip("5.5.5.5"))
        );
        assert_eq!(client_ip(Some(proxy), &["garbage"], &trusted), Some(proxy));
        assert_eq!(limit_key(ip("2001:db8:1:2:3:4:5:6")), ip("2001:db8:1:2::"));
    }

    #[test]
    fn m5_signups_are_limited_per_key() {
        let r = RateLimit::new(2, Duration::from_secs(3600));
        let t0 = Instant::now();
        let a = Some(ip("10.0.0.1"));
        assert!(r.take(a, t0).is_ok());
        assert!(r.take(a, t0).is_ok());
        assert!(r.take(a, t0).is_err());
        assert!(r.take(Some(ip("10.0.0.2")), t0).is_ok());
        assert!(r.take(a, t0 + Duration::from_secs(3601)).is_ok());
    }

    #[test]
    fn l7_common_and_guessable_passwords_are_refused() {
        for bad in [
            "12345678",
            "aaaaaaaa",
            "密密密密密密密密",
            "Password123",
            "woaini1314",
            "xx-alice-xx",
        ] {
            let err = Password::parse_new(bad, "Alice").unwrap_err();
            assert!(err.contains("密码"), "{bad}: {err}");
        }
        assert!(
            Password::parse_new("纸上得来终觉浅", "alice").is_err(),
            "too short"
        );
        assert!(Password::parse_new("a good long passphrase", "alice").is_ok());
        assert!(
            COMMON_PASSWORDS
                .lines()
                .filter(|l| !l.starts_with('#'))
                .count()
                >= 200
        );
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
