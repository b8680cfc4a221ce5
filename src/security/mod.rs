//! Secrets and what is derived from them: password hashing, random tokens stored as
//! SHA-256, per-purpose keys, purpose-bound JWTs and CSRF tokens.

mod jwt;
mod passwords;

pub use jwt::{Claims, Purpose};
pub use passwords::PasswordHasher;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::{Digest, Sha256};

/// Prefixes that say what a token is for, so leaked ones can be recognised by scanners.
pub const PERSONAL_TOKEN_PREFIX: &str = "hpat_";

/// 256 random bits, URL-safe, with a kind prefix.
pub fn random_token(prefix: &str) -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    format!("{prefix}{}", URL_SAFE_NO_PAD.encode(bytes))
}

/// A random secret of `len` letters and digits (about 5.95 bits each): for URLs whose
/// senders accept nothing else, as Mattermost's hook ids and Slack's hook secrets.
pub fn random_alphanumeric(len: usize) -> String {
    use rand::Rng;
    rand::rng().sample_iter(rand::distr::Alphanumeric).take(len).map(char::from).collect()
}

/// How tokens are stored and looked up: hex SHA-256.
pub fn token_hash(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// The server secret and the keys derived from it, one per purpose.
#[derive(Clone)]
pub struct Keys {
    secret: Vec<u8>,
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Keys(…)")
    }
}

impl Keys {
    pub fn new(secret: &str) -> Keys {
        Keys { secret: secret.as_bytes().to_vec() }
    }

    /// A fresh secret for a new server.
    pub fn generate_secret() -> String {
        random_token("")
    }

    /// HMAC(secret, purpose): a key for one purpose only.
    pub fn derive(&self, purpose: &str) -> Vec<u8> {
        hmac_bytes(&self.secret, purpose.as_bytes())
    }

    /// The CSRF token of a session: HMAC(csrf key, sid).
    /// A new copy of the session's CSRF token each time it is asked for: the token masked
    /// with a random pad (`pad ‖ token ⊕ pad`), so that a page compressed with text an
    /// attacker chose beside it (BREACH) never shows the same secret bytes twice.
    pub fn csrf_token(&self, session_id: i64) -> String {
        let token = hmac_bytes(&self.derive("csrf"), session_id.to_string().as_bytes());
        let pad: [u8; 32] = rand::random();
        let mut masked = pad.to_vec();
        masked.extend(token.iter().zip(&pad).map(|(t, p)| t ^ p));
        URL_SAFE_NO_PAD.encode(masked)
    }

    /// The token an outgoing webhook's receivers get (32 hex digits): derived from the
    /// server secret, the hook and its generation, so that nothing secret is stored and a
    /// new generation is a new token.
    pub fn outgoing_webhook_token(&self, hook_id: i64, generation: i32) -> String {
        let mac = hmac_bytes(&self.derive("outgoing-webhook-token"), format!("{hook_id}:{generation}").as_bytes());
        mac.iter().take(16).map(|b| format!("{b:02x}")).collect()
    }

    /// The secret a bot's requests from hearth are signed with (32 hex digits, as Slack's
    /// signing secrets): derived, never stored; a new generation is a new secret.
    pub fn bot_signing_secret(&self, bot_id: i64, generation: i32) -> String {
        let mac = hmac_bytes(&self.derive("bot-signing-secret"), format!("{bot_id}:{generation}").as_bytes());
        mac.iter().take(16).map(|b| format!("{b:02x}")).collect()
    }

    /// A custom command's signing secret (32 hex digits): derived, never stored.
    pub fn command_signing_secret(&self, command_id: i64, generation: i32) -> String {
        let mac = hmac_bytes(&self.derive("command-signing-secret"), format!("{command_id}:{generation}").as_bytes());
        mac.iter().take(16).map(|b| format!("{b:02x}")).collect()
    }

    /// A custom command's legacy verification token (24 characters): derived, never stored.
    pub fn command_token(&self, command_id: i64, generation: i32) -> String {
        let mac = hmac_bytes(&self.derive("command-token"), format!("{command_id}:{generation}").as_bytes());
        URL_SAFE_NO_PAD.encode(&mac[..18])
    }

    /// A bot's verification token (Slack's deprecated `token` field in event envelopes):
    /// derived, never stored.
    pub fn bot_verification_token(&self, bot_id: i64) -> String {
        let mac = hmac_bytes(&self.derive("bot-verification-token"), bot_id.to_string().as_bytes());
        URL_SAFE_NO_PAD.encode(&mac[..18])
    }

    /// The signature of a reply address's payload (20 hex digits): lowercase, so that it
    /// survives relays that fold an address's case.
    pub fn reply_address_mac(&self, payload: &str) -> String {
        let mac = hmac_bytes(&self.derive("reply-address"), payload.as_bytes());
        mac.iter().take(10).map(|b| format!("{b:02x}")).collect()
    }

    /// Compares a presented CSRF token with the session's in constant time.
    pub fn csrf_matches(&self, session_id: i64, presented: &str) -> bool {
        let Ok(mut bytes) = URL_SAFE_NO_PAD.decode(presented.trim()) else {
            return false;
        };
        // A masked token (pad ‖ token ⊕ pad) is unmasked; a bare one is taken as it is.
        if bytes.len() == 64 {
            let (pad, masked) = bytes.split_at(32);
            bytes = masked.iter().zip(pad).map(|(m, p)| m ^ p).collect();
        }
        let mut mac = <Hmac<Sha256>>::new_from_slice(&self.derive("csrf")).expect("HMAC takes any key length");
        mac.update(session_id.to_string().as_bytes());
        mac.verify_slice(&bytes).is_ok()
    }
}

/// Slack's v0 request signature: `v0=` and the hex HMAC-SHA256, under the signing secret,
/// of `v0:<timestamp>:<body>`.
pub fn slack_signature(signing_secret: &str, timestamp: i64, body: &[u8]) -> String {
    let mut base = format!("v0:{timestamp}:").into_bytes();
    base.extend_from_slice(body);
    let mac = hmac_bytes(signing_secret.as_bytes(), &base);
    format!("v0={}", mac.iter().map(|b| format!("{b:02x}")).collect::<String>())
}

fn hmac_bytes(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut mac = <Hmac<Sha256>>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_long_prefixed_and_distinct() {
        let a = random_token(PERSONAL_TOKEN_PREFIX);
        let b = random_token(PERSONAL_TOKEN_PREFIX);
        assert!(a.starts_with("hpat_") && a.len() >= 40);
        assert_ne!(a, b);
        assert_eq!(token_hash(&a).len(), 64);
    }

    #[test]
    fn slack_signatures_match_slacks_published_example() {
        let body = "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";
        assert_eq!(
            slack_signature("8f742231b10e8888abcd99yyyzzz85a5", 1_531_420_618, body.as_bytes()),
            "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
        );
    }

    #[test]
    fn csrf_tokens_are_bound_to_the_session() {
        let keys = Keys::new("a-server-secret-of-enough-length-0123456789");
        let t = keys.csrf_token(7);
        assert!(keys.csrf_matches(7, &t));
        assert_ne!(t, keys.csrf_token(7), "masked afresh each time");
        assert!(keys.csrf_matches(7, &keys.csrf_token(7)));
        assert!(!keys.csrf_matches(8, &t));
        assert!(!keys.csrf_matches(7, "garbage"));
    }
}
