//! Recovery codes (issue 20 §5): the way back into an account whose password is forgotten, since
//! paperdeck knows no e-mail address. Pure: making codes, reading what she typed, hashing.
//!
//! A learner holds [`CODES`] codes at a time, shown once when they are made (at sign-up and when
//! she makes new ones on `/account`) and stored only as hashes; each works once.
//!
//! Each code is 16 characters drawn from [`ALPHABET`] (31 characters, none that can be mistaken
//! for another: no `0`/`o`, `1`/`l`/`i`), written in groups of four: `k7m2-9xqa-hd4e-pw3n`. She
//! may type it in any case, with or without the hyphens, with spaces, or in full-width
//! characters from a Chinese input method.
//!
//! Why SHA-256 and not Argon2 like passwords: Argon2 makes each guess of a *chosen* secret
//! expensive, because a password may be guessable in a few billion tries. A recovery code is
//! not chosen: 16 random characters of 31 are 79 bits, so even offline, with the stored hashes
//! in hand, finding one takes about 2^78 hashes per learner (the hash is salted with her id and a
//! label, so no table serves two learners). One SHA-256 is then as safe as Argon2 and costs
//! microseconds, where eight Argon2 hashes at every sign-up and every renewal would cost
//! 8 × 19 MiB and tens of milliseconds each on the two hashing threads, queued with everyone's
//! log-ins. Online guesses go through the log-in limiter (`web::recovery`). The hash is not keyed
//! with the server's secret: the codes must keep working when a deployment moves with
//! `copy-data` or its key is replaced.

use sha2::{Digest, Sha256};

/// How many codes a learner holds at a time.
pub const CODES: usize = 8;

/// The characters of a code: digits and lower-case letters without the ones that look alike
/// (`0`, `1`, `i`, `l`, `o`).
pub const ALPHABET: &[u8] = b"23456789abcdefghjkmnpqrstuvwxyz";

/// Groups of [`GROUP`] characters per code.
const GROUPS: usize = 4;
const GROUP: usize = 4;

/// Longest text accepted in the code field: a code with spaces, hyphens or full-width
/// characters fits easily; anything longer is not a code and is refused without a look.
pub const MAX_TYPED_CHARS: usize = 64;

/// `count` new codes, written as she will see them (`k7m2-9xqa-hd4e-pw3n`), from the thread's
/// cryptographically secure generator.
pub fn new_codes(count: usize) -> Vec<String> {
    use rand::Rng;
    let mut rng = rand::rng();
    (0..count)
        .map(|_| {
            let chars: Vec<char> = (0..GROUPS * GROUP)
                .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
                .collect();
            chars
                .chunks(GROUP)
                .map(|g| g.iter().collect::<String>())
                .collect::<Vec<_>>()
                .join("-")
        })
        .collect()
}

/// The code she typed, as the 16 characters that are hashed: full-width forms to half-width,
/// lower case, without spaces, hyphens or other punctuation. `None` when what is left cannot be
/// a code (wrong length, a character outside [`ALPHABET`]) or the text is too long to read.
pub fn key_of(typed: &str) -> Option<String> {
    if typed.chars().count() > MAX_TYPED_CHARS {
        return None;
    }
    let key = crate::text::normalize::fold(typed);
    let valid = key.chars().count() == GROUPS * GROUP && key.bytes().all(|b| ALPHABET.contains(&b));
    valid.then_some(key)
}

/// The stored form of a code of learner `learner` (its [`key_of`]): hex SHA-256 of a label, her
/// id and the code, so equal codes of two learners hash apart. See the module doc for why a
/// fast hash is enough here.
pub fn hash(learner: i64, key: &str) -> String {
    let mut h = Sha256::new();
    h.update(b"paperdeck recovery code v1\0");
    h.update(learner.to_be_bytes());
    h.update(key.as_bytes());
    hex::encode(h.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_grouped_from_the_alphabet_and_all_differ() {
        let codes = new_codes(CODES);
        assert_eq!(codes.len(), CODES);
        for c in &codes {
            assert_eq!(c.len(), 19, "{c}");
            let groups: Vec<&str> = c.split('-').collect();
            assert_eq!(groups.len(), 4, "{c}");
            assert!(groups.iter().all(|g| g.len() == 4), "{c}");
            assert!(c.bytes().all(|b| b == b'-' || ALPHABET.contains(&b)), "{c}");
            assert_eq!(key_of(c).as_deref(), Some(c.replace('-', "").as_str()));
        }
        let distinct: std::collections::HashSet<&String> = codes.iter().collect();
        assert_eq!(distinct.len(), CODES);
    }

    #[test]
    fn the_alphabet_has_no_look_alikes_and_codes_carry_enough_entropy() {
        assert_eq!(ALPHABET.len(), 31);
        for b in b"01ilo" {
            assert!(!ALPHABET.contains(b), "{}", *b as char);
        }
        let bits = (GROUPS * GROUP) as f64 * (ALPHABET.len() as f64).log2();
        assert!(bits > 79.0, "{bits}");
    }

    #[test]
    fn typed_codes_are_read_the_way_she_may_type_them() {
        let key = "k7m29xqahd4epw3n";
        for typed in [
            "k7m2-9xqa-hd4e-pw3n",
            "K7M2-9XQA-HD4E-PW3N",
            "  k7m2 9xqa hd4e pw3n ",
            "k7m29xqahd4epw3n",
            "ｋ７ｍ２－９ｘｑａ－ｈｄ４ｅ－ｐｗ３ｎ",
            "k7m2—9xqa—hd4e—pw3n",
        ] {
            assert_eq!(key_of(typed).as_deref(), Some(key), "{typed:?}");
        }
        for bad in [
            "",
            "k7m2-9xqa-hd4e",
            "k7m2-9xqa-hd4e-pw3n-2222",
            "k7m2-9xqa-hd4e-pw3o",
            "k7m2-9xqa-hd4e-pw31",
            "k7m2-9xqa-hd4e-pw3名",
            &format!("k7m2-9xqa-hd4e-pw3n{}", " ".repeat(60)),
        ] {
            assert_eq!(key_of(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn hashes_depend_on_the_learner_and_the_code() {
        let a = hash(1, "k7m29xqahd4epw3n");
        assert_eq!(a.len(), 64);
        assert_eq!(a, hash(1, "k7m29xqahd4epw3n"));
        assert_ne!(a, hash(2, "k7m29xqahd4epw3n"));
        assert_ne!(a, hash(1, "k7m29xqahd4epw3p"));
    }
}
