//! Signing and tokens under the app key: the HMAC signer that form, question and override
//! tokens are made with, and the masking that keeps a token out of reach of compression
//! (BREACH). Below both the quiz service and the web layer, which use it.

use hmac::digest::KeyInit;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;

/// A hex token as a page carries it: a random pad, then the token XOR the pad, both hex. Every
/// response shows different bytes for the same token, so compression cannot leak it.
pub fn mask_token(token: &str) -> String {
    let Ok(raw) = hex::decode(token) else {
        return token.to_string();
    };
    let mut pad = vec![0u8; raw.len()];
    rand::rng().fill_bytes(&mut pad);
    let masked: Vec<u8> = raw.iter().zip(&pad).map(|(t, p)| t ^ p).collect();
    format!("{}{}", hex::encode(&pad), hex::encode(masked))
}

/// The token inside a masked one, or `None` when the text is not a masked token.
pub fn unmask_token(masked: &str) -> Option<String> {
    // Only the exact spelling the server writes: `hex` would also take upper case, and a token
    // that was altered must not pass.
    if !masked
        .bytes()
        .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    {
        return None;
    }
    let bytes = hex::decode(masked).ok()?;
    if bytes.is_empty() || bytes.len() % 2 != 0 {
        return None;
    }
    let (pad, body) = bytes.split_at(bytes.len() / 2);
    let raw: Vec<u8> = body.iter().zip(pad).map(|(b, p)| b ^ p).collect();
    Some(hex::encode(raw))
}

/// Tokens carry the first 20 bytes of the HMAC: 160 bits, plenty against guessing.
const TOKEN_BYTES: usize = 20;

/// HMACs under the app key: tokens the server can check without storing them. Keyed once at
/// start, so signing on a request path cannot fail.
#[derive(Clone)]
pub struct Signer(Hmac<Sha256>);

impl Signer {
    pub fn new(key: &[u8]) -> anyhow::Result<Signer> {
        let mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key)
            .map_err(|e| anyhow::anyhow!("signing key: {e}"))?;
        Ok(Signer(mac))
    }

    fn mac(&self, purpose: &str, parts: &[&str]) -> Hmac<Sha256> {
        let mut mac = self.0.clone();
        mac.update(purpose.as_bytes());
        for p in parts {
            mac.update(&[0x1f]);
            mac.update(p.as_bytes());
        }
        mac
    }

    /// A token for `parts`, for the use named by `purpose`.
    pub fn sign(&self, purpose: &str, parts: &[&str]) -> String {
        hex::encode(&self.mac(purpose, parts).finalize().into_bytes()[..TOKEN_BYTES])
    }

    /// Whether `token` is `sign(purpose, parts)`, compared in constant time by the hmac crate.
    /// Only the exact spelling issued (lower-case hex) is accepted: a token is a string, and
    /// `A1…` is not the token `a1…`.
    pub fn verify(&self, purpose: &str, parts: &[&str], token: &str) -> bool {
        let issued_form = token.len() == 2 * TOKEN_BYTES
            && token
                .bytes()
                .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        match hex::decode(token) {
            // The length matters: a truncated-left check accepts any shorter prefix.
            Ok(bytes) if issued_form => self
                .mac(purpose, parts)
                .verify_truncated_left(&bytes)
                .is_ok(),
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_verify_only_whole_and_unchanged() {
        let s = Signer::new(&[7u8; 64]).expect("key");
        let t = s.sign("p", &["a", "b"]);
        assert!(s.verify("p", &["a", "b"], &t));
        assert!(!s.verify("p", &["a", "c"], &t));
        assert!(!s.verify("q", &["a", "b"], &t));
        assert!(
            !s.verify("p", &["a", "b"], &t[..10]),
            "a prefix is not the token"
        );
        assert!(!s.verify("p", &["a", "b"], ""));
        assert!(!s.verify("p", &["a", "b"], "zz"));
    }

    /// L6 (security review 2026-11-29): the CSRF token was the same bytes in every response, next
    /// to reflected input, under gzip. Masked, it differs every time and still verifies.
    #[test]
    fn l6_csrf_token_is_masked_per_response() {
        let token = "00112233445566778899aabbccddeeff00112233";
        let a = mask_token(token);
        let b = mask_token(token);
        assert_ne!(a, b, "two responses carry different bytes");
        assert!(!a.contains(token));
        assert_eq!(unmask_token(&a).as_deref(), Some(token));
        assert_eq!(unmask_token(&b).as_deref(), Some(token));
        assert_ne!(
            unmask_token(token).as_deref(),
            Some(token),
            "the bare token is not accepted"
        );
        assert_eq!(unmask_token("zz"), None);
        assert_eq!(
            unmask_token(&a.to_uppercase()),
            None,
            "an altered spelling is refused"
        );
        assert_eq!(unmask_token(""), None);
    }
}
