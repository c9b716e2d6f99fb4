//! Accounts without I/O: parsing user names and passwords, hashing, the log-in rate limiter, and
//! the recovery codes ([`recovery`]).

pub mod recovery;

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
        if is_common_password(&lower) || core_is_common(&lower) || guessable(raw, &name) {
            return Err(
                "这个密码太常见或太有规律了（常见密码、键盘顺序、日期、简单的替换和重复都很容易被猜到），\
                 请换一个更难猜的密码，比如一句只有你知道的话。"
                    .into(),
            );
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

/// The fewest guesses, as zxcvbn estimates them for an attacker who tries common passwords,
/// words, names, keyboard runs, dates, repeats and l33t swaps first, that a new password must
/// need: its score 2 (10^6). Each of its 30,000 common passwords scores below it, so the top
/// 10,000 are refused (re-test 2026-12-06, L7r; ASVS 2.1.7), and so are most decorated ones
/// (`qwerty123456`; [`core_is_common`] catches those it rates higher, such as `!!iloveyou2024`);
/// a log-in throttled to a few guesses a minute per account cannot get near 10^6.
const MIN_SCORE: zxcvbn::Score = zxcvbn::Score::Two;

/// Whether zxcvbn finds the password too easy to guess, counting the user name as a known word.
fn guessable(raw: &str, name: &str) -> bool {
    zxcvbn::zxcvbn(raw, &[name]).score() < MIN_SCORE
}

/// Whether a common password hides under the decorations people add to pass a rule (re-test
/// 2026-12-06, L7r: `qwerty123456`, `Passw0rd!`): its core — leading and trailing digits and
/// symbols stripped, the usual letter-for-digit swaps undone — is the core of a listed one. A
/// rule over every decoration, not a longer list of decorated variants.
fn core_is_common(lower: &str) -> bool {
    static CORES: std::sync::OnceLock<std::collections::HashSet<String>> =
        std::sync::OnceLock::new();
    let cores = CORES.get_or_init(|| {
        COMMON_PASSWORDS
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .flat_map(cores_of)
            .collect()
    });
    cores_of(lower).iter().any(|c| cores.contains(c))
}

/// The cores of a password (see [`core_is_common`]), one per reading of `1` (i or l); none when
/// the core is under four characters, too short to say anything.
fn cores_of(lower: &str) -> Vec<String> {
    let core = lower.trim_matches(|c: char| !c.is_alphabetic());
    if core.chars().count() < 4 {
        return Vec::new();
    }
    let undo = |one: char| -> String {
        core.chars()
            .map(|c| match c {
                '0' => 'o',
                '1' => one,
                '3' => 'e',
                '4' | '@' => 'a',
                '5' | '$' => 's',
                '7' => 't',
                c => c,
            })
            .collect()
    };
    vec![undo('i'), undo('l')]
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

    /// When `max` failures and attempts in flight fill the bucket: how long until the oldest
    /// failure leaves the window (a second while only attempts in flight fill it).
    fn full_wait(&self, max: usize, window: Duration, now: Instant) -> Option<Duration> {
        (self.used() >= max).then(|| {
            self.failures
                .front()
                .map(|t| window.saturating_sub(now.duration_since(*t)))
                .unwrap_or(Duration::from_secs(1))
        })
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
    /// Browsers that have logged in to an account before (a device cookie's id): each has its
    /// own budget, untouched by what anyone else does to the account or the address.
    by_device: HashMap<String, Bucket>,
    last_sweep: Option<Instant>,
}

/// How often the limiter forgets the buckets whose failures have all left the window.
const SWEEP_EVERY: Duration = Duration::from_secs(60);

impl Buckets {
    fn keys(&self) -> usize {
        self.by_pair.len() + self.by_name.len() + self.by_addr.len() + self.by_device.len()
    }

    /// Drops every bucket with nothing left in the window (review 2026-12-06, N2: pruned by
    /// time, not only once the maps are huge).
    fn sweep(&mut self, now: Instant, window: Duration) {
        fn sweep_map<K: std::hash::Hash + Eq>(
            m: &mut HashMap<K, Bucket>,
            now: Instant,
            window: Duration,
        ) {
            for bucket in m.values_mut() {
                bucket.prune(now, window);
            }
            m.retain(|_, v| !v.idle());
        }
        sweep_map(&mut self.by_pair, now, window);
        sweep_map(&mut self.by_name, now, window);
        sweep_map(&mut self.by_addr, now, window);
        sweep_map(&mut self.by_device, now, window);
        self.last_sweep = Some(now);
    }
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
    /// Set for an attempt from a known device: only the device's bucket counts it.
    device: Option<String>,
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
        let mut guard = self.swept(now)?;
        let b = &mut *guard;
        let mut waits = Vec::new();
        if let Some(ip) = addr {
            if let Some(pair) = b.by_pair.get_mut(&(ip, name_key.to_string())) {
                pair.prune(now, p.window);
                waits.extend(pair.full_wait(p.pair_max, p.window, now));
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
            device: None,
            buckets: self.buckets.clone(),
            done: false,
        })
    }

    /// Reserves an attempt from a browser that logged in to this account before (its device
    /// cookie names the account): only the device's own budget applies, so failures from
    /// anyone else, on the account or from a shared address, never slow its owner down
    /// (review 2026-12-06, H3r; OWASP's "device cookies"). A device with `pair_max` failures
    /// in the window is refused like a guesser's address.
    pub fn begin_device(&self, device: &str, now: Instant) -> Result<Attempt, Duration> {
        let p = &self.policy;
        let mut guard = self.swept(now)?;
        let b = &mut *guard;
        let bucket = b.by_device.entry(device.to_string()).or_default();
        bucket.prune(now, p.window);
        if let Some(wait) = bucket.full_wait(p.pair_max, p.window, now) {
            return Err(wait.max(Duration::from_secs(1)));
        }
        bucket.in_flight += 1;
        bucket.last_start = Some(now);
        Ok(Attempt {
            name: String::new(),
            addr: None,
            device: Some(device.to_string()),
            buckets: self.buckets.clone(),
            done: false,
        })
    }

    /// The buckets, with the stale ones forgotten when a sweep is due; a wait when they are
    /// still full after that (refuse rather than grow).
    fn swept(&self, now: Instant) -> Result<std::sync::MutexGuard<'_, Buckets>, Duration> {
        let mut b = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        b.sweep_if_due(now, self.policy.window);
        if b.keys() > MAX_KEYS {
            return Err(Duration::from_secs(60));
        }
        Ok(b)
    }

    /// How many keys the limiter holds (for tests of its bound).
    pub fn keys(&self) -> usize {
        self.buckets
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .keys()
    }
}

impl Buckets {
    fn sweep_if_due(&mut self, now: Instant, window: Duration) {
        let due = self
            .last_sweep
            .is_none_or(|t| now.saturating_duration_since(t) >= SWEEP_EVERY);
        if due || self.keys() > MAX_KEYS {
            self.sweep(now, window);
        }
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

    /// The password was never checked (the hashing queue was full): the attempt leaves the
    /// counts without a failure, since nothing was learnt.
    pub fn cancelled(mut self) {
        if self.done {
            return;
        }
        self.done = true;
        let mut guard = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        let b = &mut *guard;
        let mut buckets: Vec<Option<&mut Bucket>> = Vec::new();
        if let Some(d) = &self.device {
            buckets.push(b.by_device.get_mut(d));
        } else {
            buckets.push(b.by_name.get_mut(&self.name));
            if let Some(ip) = self.addr {
                buckets.push(b.by_addr.get_mut(&ip));
                buckets.push(b.by_pair.get_mut(&(ip, self.name.clone())));
            }
        }
        for bucket in buckets.into_iter().flatten() {
            bucket.in_flight = bucket.in_flight.saturating_sub(1);
        }
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
        if let Some(d) = &self.device {
            end(b.by_device.get_mut(d));
            if failed_at.is_none() {
                b.by_device.remove(d);
            }
            return;
        }
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
    // A dual-stack listener sees IPv4 peers as `::ffff:a.b.c.d` (review 2026-12-06, N7).
    let peer = canonical_ip(peer?);
    let is_trusted = |ip: IpAddr| trusted.iter().any(|t| canonical_ip(*t) == ip);
    if !is_trusted(peer) {
        return Some(peer);
    }
    let mut client = peer;
    for hop in forwarded_for
        .iter()
        .rev()
        .flat_map(|h| h.rsplit(','))
        .map(str::trim)
    {
        match parse_hop(hop) {
            Some(ip) => {
                client = ip;
                if !is_trusted(ip) {
                    break;
                }
            }
            // A malformed entry (or `unknown`, a proxy that did not know the client): stop at
            // the last address a trusted proxy vouched for.
            None => break,
        }
    }
    Some(client)
}

/// An IPv4 address written as IPv6 (`::ffff:a.b.c.d`) as the IPv4 address it is.
pub fn canonical_ip(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// One `X-Forwarded-For` entry as proxies write it: an address, `a.b.c.d:port`, `[v6]` or
/// `[v6]:port`.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    let ip = hop
        .parse::<IpAddr>()
        .ok()
        .or_else(|| hop.parse::<std::net::SocketAddr>().ok().map(|a| a.ip()))
        .or_else(|| {
            hop.strip_prefix('[')
                .and_then(|r| r.strip_suffix(']'))
                .and_then(|r| r.parse().ok())
        })?;
    Some(canonical_ip(ip))
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

/// Runs password hashing on a few dedicated threads, fairly across clients.
///
/// Argon2id needs ~19 MiB and tens of milliseconds per hash. On the async runtime's blocking
/// pool a burst of log-ins would run many at once, each thread with its own memory; here
/// [`HASH_THREADS`] threads bound the memory, and hashes queue instead. The queue is kept per
/// client address and served in turn (review 2026-12-06, N4), so a flood from a few addresses
/// slows the flooders: anyone else waits for at most one hash per busy address, not for the
/// whole flood. An address that asked for fewer than [`QUIET_BELOW`] hashes in the last
/// [`QUIET_WINDOW`], not counting successful log-ins ([`Hasher::note_success`]), is served before
/// the others (re-test 2026-12-07:
/// in turn with 30 flooding addresses a newcomer still waited for one hash of each, up to 1.6 s). Each address may queue
/// [`QUEUED_PER_LANE`] hashes and the server [`QUEUED_MAX`]; past that a request is refused at
/// once ([`HashError::Busy`]). A log-in from a known device goes in the first lane, ahead of
/// everyone.
pub struct Hasher {
    queue: Shared,
}

/// Hashing threads: two cores, and a hash in flight holds ~19 MiB.
pub const HASH_THREADS: usize = 2;
/// Hashes one client address may have waiting.
pub const QUEUED_PER_LANE: usize = 4;
/// Hashes waiting in all.
pub const QUEUED_MAX: usize = 256;
/// An address with fewer hashes than this in [`QUIET_WINDOW`] (successful log-ins not counted)
/// is quiet, and served first: a person mistyping a password once or twice stays quiet, and so
/// does one logging in often (a shared address, a script); a guessing flood is busy from its
/// first burst, before any of its guesses has failed.
pub const QUIET_BELOW: u32 = 3;
pub const QUIET_WINDOW: std::time::Duration = std::time::Duration::from_secs(60);
/// Addresses remembered for [`QUIET_WINDOW`]; past this, those whose window has ended are
/// forgotten, and if all are recent the memory starts afresh (a bound, not a policy).
const RECENT_MAX: usize = 16_384;

type Job = Box<dyn FnOnce() + Send>;

/// Which queue a hash waits in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lane {
    /// A log-in from a browser that has logged in to the account before.
    First,
    /// Everything else, per client address.
    From(Option<IpAddr>),
}

#[derive(Default)]
struct Queue {
    lanes: HashMap<Lane, std::collections::VecDeque<Job>>,
    /// Quiet lanes with work, in the order they are served (after [`Lane::First`]).
    quiet: std::collections::VecDeque<Lane>,
    /// Busy lanes with work, served in turn when no quiet lane has any.
    turn: std::collections::VecDeque<Lane>,
    /// Per address lane, when its window began and the hashes it asked for since, less its
    /// successful log-ins.
    recent: HashMap<Lane, (std::time::Instant, u32)>,
    /// Jobs queued plus places reserved by a [`Slot`] not yet used, in all lanes.
    waiting: usize,
    /// Places reserved per lane by a [`Slot`] whose job is not queued yet.
    reserved: HashMap<Lane, usize>,
}

type Shared = std::sync::Arc<(std::sync::Mutex<Queue>, std::sync::Condvar)>;

/// A place in the hashing queue, taken before a log-in does any database work (review
/// 2026-12-06, N4): an attempt the queue has no room for is refused at once, costing neither a
/// database round trip nor a hash. Counted against the lane's and the server's bound until its
/// job is queued with [`Slot::run`]; dropping it unused gives the place back.
pub struct Slot {
    queue: Shared,
    lane: Lane,
    used: bool,
}

impl std::fmt::Debug for Slot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Slot({:?})", self.lane)
    }
}

impl Slot {
    /// Queues `f` in the reserved place and waits for its result without blocking the executor.
    pub async fn run<T: Send + 'static>(
        mut self,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, HashError> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move || {
            let _ = tx.send(f());
        });
        {
            let (lock, ready) = &*self.queue;
            let mut q = lock.lock().unwrap_or_else(|e| e.into_inner());
            q.unreserve(self.lane);
            q.push(self.lane, job);
            self.used = true;
            drop(q);
            ready.notify_one();
        }
        rx.await.map_err(|_| HashError::Stopped)
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        if !self.used {
            let mut q = self.queue.0.lock().unwrap_or_else(|e| e.into_inner());
            q.unreserve(self.lane);
            q.waiting -= 1;
        }
    }
}

impl Queue {
    /// Whether `lane` has room for one more job (queued or reserved), and the server too.
    fn has_room(&self, lane: Lane) -> bool {
        let queued = self.lanes.get(&lane).map_or(0, |l| l.len())
            + self.reserved.get(&lane).copied().unwrap_or(0);
        let lane_max = if lane == Lane::First {
            QUEUED_MAX
        } else {
            QUEUED_PER_LANE
        };
        queued < lane_max && self.waiting < QUEUED_MAX
    }

    fn unreserve(&mut self, lane: Lane) {
        if let Some(n) = self.reserved.get_mut(&lane) {
            *n -= 1;
            if *n == 0 {
                self.reserved.remove(&lane);
            }
        }
    }

    /// Queues `job` in `lane` (its place already counted in `waiting`).
    fn push(&mut self, lane: Lane, job: Job) {
        self.count(lane, std::time::Instant::now());
        let jobs = self.lanes.entry(lane).or_default();
        let first = jobs.is_empty();
        jobs.push_back(job);
        if first && lane != Lane::First {
            self.line_up(lane);
        }
    }

    /// Counts a hash asked for by `lane` at `now` in its window.
    fn count(&mut self, lane: Lane, now: std::time::Instant) {
        if lane == Lane::First {
            return;
        }
        if self.recent.len() >= RECENT_MAX && !self.recent.contains_key(&lane) {
            self.recent
                .retain(|_, (since, _)| now.duration_since(*since) < QUIET_WINDOW);
            if self.recent.len() >= RECENT_MAX {
                self.recent.clear();
            }
        }
        let (since, n) = self.recent.entry(lane).or_insert((now, 0));
        if now.duration_since(*since) >= QUIET_WINDOW {
            *since = now;
            *n = 0;
        }
        *n += 1;
    }

    /// Whether `lane` asked for fewer than [`QUIET_BELOW`] hashes in its window.
    fn is_quiet(&self, lane: Lane) -> bool {
        self.recent.get(&lane).is_none_or(|(_, n)| *n < QUIET_BELOW)
    }

    /// Puts `lane`, which has work, at the back of its line.
    fn line_up(&mut self, lane: Lane) {
        if self.is_quiet(lane) {
            self.quiet.push_back(lane);
        } else {
            self.turn.push_back(lane);
        }
    }

    /// The quiet lane first in line, else the busy one. A lane lined up as quiet may have
    /// asked for more since: it goes to the busy line then.
    fn next_lane(&mut self) -> Option<Lane> {
        while let Some(lane) = self.quiet.pop_front() {
            if self.is_quiet(lane) {
                return Some(lane);
            }
            self.turn.push_back(lane);
        }
        self.turn.pop_front()
    }

    fn pop(&mut self) -> Option<Job> {
        let lane = if self.lanes.contains_key(&Lane::First) {
            Lane::First
        } else {
            self.next_lane()?
        };
        let jobs = self.lanes.get_mut(&lane)?;
        let job = jobs.pop_front();
        if jobs.is_empty() {
            self.lanes.remove(&lane);
        } else if lane != Lane::First {
            self.line_up(lane);
        }
        self.waiting -= usize::from(job.is_some());
        job
    }
}

/// Why a hash did not run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HashError {
    /// The queue (this address's, or the server's) is full: try again in a moment.
    Busy,
    /// The hashing threads are gone.
    Stopped,
}

impl std::fmt::Display for HashError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            HashError::Busy => "the hashing queue is full",
            HashError::Stopped => "the hashing threads stopped",
        })
    }
}

impl Default for Hasher {
    fn default() -> Hasher {
        Hasher::new(HASH_THREADS)
    }
}

impl Hasher {
    pub fn new(threads: usize) -> Hasher {
        let queue: Shared = Default::default();
        for i in 0..threads.max(1) {
            let q = queue.clone();
            let _ = std::thread::Builder::new()
                .name(format!("password-hasher-{i}"))
                .spawn(move || loop {
                    let (lock, ready) = &*q;
                    let mut guard = lock.lock().unwrap_or_else(|e| e.into_inner());
                    let job = loop {
                        match guard.pop() {
                            Some(job) => break job,
                            None => guard = ready.wait(guard).unwrap_or_else(|e| e.into_inner()),
                        }
                    };
                    drop(guard);
                    job();
                });
        }
        Hasher { queue }
    }

    /// Queues `f` in `lane`, or refuses at once when the queue is full.
    pub fn submit<T: Send + 'static>(
        &self,
        lane: Lane,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> Result<tokio::sync::oneshot::Receiver<T>, HashError> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move || {
            let _ = tx.send(f());
        });
        let (lock, ready) = &*self.queue;
        let mut q = lock.lock().unwrap_or_else(|e| e.into_inner());
        if !q.has_room(lane) {
            return Err(HashError::Busy);
        }
        q.push(lane, job);
        q.waiting += 1;
        drop(q);
        ready.notify_one();
        Ok(rx)
    }

    /// Takes back the hash of a successful log-in from `lane`'s count: logging in often does
    /// not make an address busy, guessing does.
    pub fn note_success(&self, lane: Lane) {
        let mut q = self.queue.0.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((_, n)) = q.recent.get_mut(&lane) {
            *n = n.saturating_sub(1);
        }
    }

    /// Reserves a place in `lane` for a hash to come, or refuses at once when the queue is
    /// full, before any other work is done for the request.
    pub fn reserve(&self, lane: Lane) -> Result<Slot, HashError> {
        let mut q = self.queue.0.lock().unwrap_or_else(|e| e.into_inner());
        if !q.has_room(lane) {
            return Err(HashError::Busy);
        }
        *q.reserved.entry(lane).or_default() += 1;
        q.waiting += 1;
        Ok(Slot {
            queue: self.queue.clone(),
            lane,
            used: false,
        })
    }

    /// Runs `f` on a hashing thread in `lane` and waits for its result without blocking the
    /// executor.
    pub async fn run_in<T: Send + 'static>(
        &self,
        lane: Lane,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, HashError> {
        self.submit(lane, f)?.await.map_err(|_| HashError::Stopped)
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
    fn l7r_decorated_common_passwords_and_few_characters_are_refused() {
        for pw in [
            "qwerty123456",
            "Passw0rd!",
            "!!iloveyou2024",
            "P@55w0rd99",
            "11111112",
            "abababab",
            "1q2w3e4r5t",
            "dragon1234",
            "sunshine99",
            "alice2024!",
        ] {
            assert!(Password::parse_new(pw, "alice").is_err(), "{pw}");
        }
        for pw in [
            "a good long passphrase",
            "correct horse battery",
            "Tr0ub4dor&3x",
            "晚风吹过图书馆的窗",
        ] {
            assert!(Password::parse_new(pw, "alice").is_ok(), "{pw}");
        }
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

    /// N4 (review 2026-12-06): one hashing thread served a FIFO queue, so 900 failed log-ins
    /// from 30 addresses put a normal log-in 42 s behind them. The queue is served in turn per
    /// address, and bounded per address.
    #[tokio::test]
    async fn n4_the_hashing_queue_is_fair_across_addresses_and_bounded() {
        let hasher = Hasher::new(1);
        let (release, gate) = std::sync::mpsc::channel::<()>();
        let flooder = Lane::From(Some(ip("10.0.0.66")));
        // The thread is busy with the flooder's first hash until released ...
        let first = hasher
            .submit(flooder, move || gate.recv().is_ok())
            .expect("queued");
        let order = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let log = |who: &'static str| {
            let order = order.clone();
            move || order.lock().unwrap().push(who)
        };
        // ... while more of its hashes queue, up to its bound, and then one from elsewhere.
        std::thread::sleep(Duration::from_millis(50));
        let mut waiting = Vec::new();
        for _ in 0..QUEUED_PER_LANE {
            waiting.push(hasher.submit(flooder, log("flood")).expect("within bound"));
        }
        assert_eq!(
            hasher.submit(flooder, log("flood")).err(),
            Some(HashError::Busy),
            "past its bound the flooder is refused"
        );
        let alice = hasher
            .submit(Lane::From(Some(ip("10.0.0.7"))), log("alice"))
            .expect("queued");
        release.send(()).unwrap();
        assert!(first.await.unwrap());
        alice.await.unwrap();
        for w in waiting {
            w.await.unwrap();
        }
        let order = order.lock().unwrap().clone();
        // The flooder asked for five hashes this minute, she for one: she is served before
        // any of its waiting ones, not after all of them.
        assert_eq!(
            order.iter().position(|w| *w == "alice"),
            Some(0),
            "{order:?}"
        );
    }

    /// Re-test 2026-12-07: served in turn, a newcomer still waited for one hash of each of 30
    /// flooding addresses (1.6 s). Quiet addresses now go first; a busy one is quiet again
    /// once its window has passed, and the memory of addresses is pruned by time.
    #[test]
    fn quiet_addresses_are_served_before_busy_ones() {
        let t0 = std::time::Instant::now();
        let mut q = Queue::default();
        let (flooder, typo, alice) = (
            Lane::From(Some(ip("10.0.0.66"))),
            Lane::From(Some(ip("10.0.0.8"))),
            Lane::From(Some(ip("10.0.0.7"))),
        );
        for _ in 0..QUIET_BELOW {
            q.count(flooder, t0);
        }
        for _ in 0..QUIET_BELOW - 1 {
            q.count(typo, t0);
        }
        assert!(!q.is_quiet(flooder));
        assert!(q.is_quiet(typo), "a mistyped password or two stays quiet");
        assert!(q.is_quiet(alice), "never seen: quiet");
        q.count(flooder, t0 + QUIET_WINDOW);
        assert!(q.is_quiet(flooder), "a new window starts afresh");
        // Logging in often, successfully, keeps an address quiet.
        let hasher = Hasher::new(1);
        let often = Lane::From(Some(ip("10.0.0.9")));
        for _ in 0..10 {
            let rx = hasher.submit(often, || ()).expect("queued");
            rx.blocking_recv().expect("hashed");
            hasher.note_success(often);
        }
        assert!(hasher.queue.0.lock().unwrap().is_quiet(often));

        let mut q = Queue::default();
        let order = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let job = |who: &'static str| -> Job {
            let order = order.clone();
            Box::new(move || order.lock().unwrap().push(who))
        };
        for _ in 0..4 {
            q.push(flooder, job("flood"));
            q.waiting += 1;
        }
        q.push(alice, job("alice"));
        q.waiting += 1;
        while let Some(j) = q.pop() {
            j();
        }
        assert_eq!(
            *order.lock().unwrap(),
            vec!["alice", "flood", "flood", "flood", "flood"]
        );
        assert_eq!(q.waiting, 0);
    }

    #[test]
    fn the_memory_of_addresses_is_bounded_and_pruned_by_time() {
        let t0 = std::time::Instant::now();
        let mut q = Queue::default();
        for i in 0..RECENT_MAX {
            let a = IpAddr::from([10, (i >> 16) as u8, (i >> 8) as u8, i as u8]);
            q.count(Lane::From(Some(a)), t0);
        }
        assert_eq!(q.recent.len(), RECENT_MAX);
        // A minute later, a new address prunes the ones whose window has ended.
        q.count(Lane::From(Some(ip("192.0.2.1"))), t0 + QUIET_WINDOW);
        assert_eq!(q.recent.len(), 1);
    }

    /// N4 (re-test 2026-12-07): a log-in takes its place in the hashing queue before any
    /// database work, so one the queue has no room for is refused without a round trip. A
    /// reserved place counts against the lane's bound until used, and comes back when dropped.
    #[tokio::test]
    async fn n4_a_reserved_place_counts_against_the_lane_until_used_or_dropped() {
        let hasher = Hasher::new(1);
        let flooder = Lane::From(Some(ip("10.0.0.66")));
        let mut slots: Vec<Slot> = (0..QUEUED_PER_LANE)
            .map(|_| hasher.reserve(flooder).expect("within bound"))
            .collect();
        assert_eq!(hasher.reserve(flooder).err(), Some(HashError::Busy));
        assert_eq!(
            hasher.submit(flooder, || ()).err(),
            Some(HashError::Busy),
            "reserved places count like queued hashes"
        );
        assert!(hasher.reserve(Lane::From(Some(ip("10.0.0.7")))).is_ok());
        slots.pop();
        let again = hasher.reserve(flooder).expect("a dropped place comes back");
        assert_eq!(again.run(|| 7).await, Ok(7));
        for slot in slots {
            assert_eq!(slot.run(|| 1).await, Ok(1));
        }
        let all: Vec<Slot> = (0..QUEUED_PER_LANE)
            .map(|_| hasher.reserve(flooder).expect("used places are free again"))
            .collect();
        drop(all);
        assert_eq!(hasher.queue.0.lock().unwrap().waiting, 0);
    }

    #[tokio::test]
    async fn a_known_device_is_hashed_first() {
        let hasher = Hasher::new(1);
        let (release, gate) = std::sync::mpsc::channel::<()>();
        let first = hasher
            .submit(Lane::From(None), move || gate.recv().is_ok())
            .unwrap();
        std::thread::sleep(Duration::from_millis(50));
        let order = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let mut all = Vec::new();
        for (lane, who) in [
            (Lane::From(Some(ip("10.0.0.1"))), "a"),
            (Lane::From(Some(ip("10.0.0.2"))), "b"),
            (Lane::First, "device"),
        ] {
            let order = order.clone();
            all.push(
                hasher
                    .submit(lane, move || order.lock().unwrap().push(who))
                    .unwrap(),
            );
        }
        release.send(()).unwrap();
        first.await.unwrap();
        for w in all {
            w.await.unwrap();
        }
        assert_eq!(*order.lock().unwrap(), vec!["device", "a", "b"]);
    }

    /// N2 (review 2026-12-06): the limiter forgot nothing before 100,000 keys. Buckets whose
    /// failures have left the window are now dropped on a timer.
    #[test]
    fn n2_the_limiter_forgets_stale_keys_by_time() {
        let (l, t0) = fresh();
        for i in 0..50u8 {
            l.begin(&format!("name{i}"), Some(ip(&format!("10.0.1.{i}"))), t0)
                .unwrap()
                .failed(t0);
        }
        assert!(l.keys() >= 150, "{}", l.keys());
        let later = t0 + Duration::from_secs(16 * 60);
        l.begin("someone", Some(ip("10.0.2.1")), later)
            .unwrap()
            .failed(later);
        assert_eq!(l.keys(), 3, "only the new attempt's buckets are left");
    }

    /// H3r (review 2026-12-06): spacing an account's attempts let an attacker keep its owner
    /// out. A known device has its own budget, untouched by the failures of others.
    #[test]
    fn h3r_a_known_device_keeps_its_own_budget() {
        let (l, t0) = fresh();
        for i in 0..40u8 {
            if let Ok(a) = l.begin("dora", Some(ip(&format!("10.1.0.{i}"))), t0) {
                a.failed(t0);
            }
        }
        assert!(l.begin("dora", Some(ip("10.2.0.1")), t0).is_err());
        l.begin_device("her-laptop", t0).unwrap().succeeded();
        // Its own failures still count: a stolen device cookie is no free pass.
        for _ in 0..5 {
            l.begin_device("her-laptop", t0).unwrap().failed(t0);
        }
        assert!(l.begin_device("her-laptop", t0).is_err());
        assert!(l.begin_device("another-device", t0).is_ok());
    }

    /// N7 (review 2026-12-06): a dual-stack listener sees IPv4 proxies as `::ffff:a.b.c.d`, and
    /// entries with ports or brackets were not understood, so every client fell back to the
    /// proxy's address.
    #[test]
    fn n7_trusted_proxies_work_on_dual_stack_listeners_and_with_ports() {
        let trusted = [ip("127.0.0.50")];
        let mapped = Some(ip("::ffff:127.0.0.50"));
        for (hop, client) in [
            ("1.2.3.4", "1.2.3.4"),
            ("1.2.3.4:443", "1.2.3.4"),
            ("[2001:db8::1]", "2001:db8::1"),
            ("[2001:db8::1]:8443", "2001:db8::1"),
        ] {
            assert_eq!(
                client_ip(mapped, &[hop], &trusted),
                Some(ip(client)),
                "{hop}"
            );
        }
        // An untrusted IPv4 peer seen through the dual-stack listener is its IPv4 address.
        assert_eq!(
            client_ip(Some(ip("::ffff:9.9.9.9")), &["1.2.3.4"], &trusted),
            Some(ip("9.9.9.9"))
        );
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
