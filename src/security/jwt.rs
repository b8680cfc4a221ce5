//! Purpose-bound JWTs: HS256 only, each signed with the key of its purpose and carrying
//! the purpose as a claim that is checked on decode.

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use super::Keys;

/// What a JWT may be used for. A token for one purpose is worthless for another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    Session,
    /// A link in notification mail that switches that mail off without signing in.
    Unsubscribe,
}

impl Purpose {
    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::Session => "session",
            Purpose::Unsubscribe => "unsubscribe",
        }
    }
}

/// The claims hearth signs.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Claims {
    /// The user id.
    pub sub: String,
    /// The session id, for session tokens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<i64>,
    pub purpose: String,
    pub iat: i64,
    pub exp: i64,
}

impl Keys {
    fn jwt_key(&self, purpose: Purpose) -> Vec<u8> {
        self.derive(&format!("jwt:{}", purpose.as_str()))
    }

    /// Signs claims for `purpose` (the claim is set here, whatever the caller put in it).
    pub fn sign(&self, purpose: Purpose, mut claims: Claims) -> String {
        claims.purpose = purpose.as_str().to_owned();
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &EncodingKey::from_secret(&self.jwt_key(purpose)))
            .expect("HS256 signing of plain claims cannot fail")
    }

    /// Verifies a token for `purpose`: signature with that purpose's key, HS256 only (never
    /// `none`), not expired, and the purpose claim itself.
    pub fn verify(&self, purpose: Purpose, token: &str) -> Option<Claims> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 0;
        validation.set_required_spec_claims(&["exp", "sub"]);
        let data =
            jsonwebtoken::decode::<Claims>(token, &DecodingKey::from_secret(&self.jwt_key(purpose)), &validation)
                .ok()?;
        (data.claims.purpose == purpose.as_str()).then_some(data.claims)
    }
}

#[cfg(test)]
mod tests {
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    use super::*;

    fn claims(exp: i64) -> Claims {
        Claims { sub: "1".into(), sid: Some(5), purpose: String::new(), iat: 0, exp }
    }

    fn far_future() -> i64 {
        4_000_000_000
    }

    #[test]
    fn a_session_token_round_trips() {
        let keys = Keys::new("0123456789abcdef0123456789abcdef");
        let t = keys.sign(Purpose::Session, claims(far_future()));
        assert_eq!(keys.verify(Purpose::Session, &t).unwrap().sid, Some(5));
    }

    #[test]
    fn expired_foreign_and_unsigned_tokens_are_refused() {
        let keys = Keys::new("0123456789abcdef0123456789abcdef");
        assert!(keys.verify(Purpose::Session, &keys.sign(Purpose::Session, claims(1))).is_none());
        let other = Keys::new("fedcba9876543210fedcba9876543210");
        assert!(keys.verify(Purpose::Session, &other.sign(Purpose::Session, claims(far_future()))).is_none());
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
        let body = URL_SAFE_NO_PAD.encode(br#"{"sub":"1","sid":5,"purpose":"session","iat":0,"exp":4000000000}"#);
        assert!(keys.verify(Purpose::Session, &format!("{header}.{body}.")).is_none());
        let good = keys.sign(Purpose::Session, claims(far_future()));
        let mut parts: Vec<&str> = good.split('.').collect();
        let forged = URL_SAFE_NO_PAD.encode(br#"{"sub":"2","sid":5,"purpose":"session","iat":0,"exp":4000000000}"#);
        parts[1] = &forged;
        assert!(keys.verify(Purpose::Session, &parts.join(".")).is_none());
    }
}
