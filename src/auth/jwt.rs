//! Access tokens: HS256 JWTs carrying the caller's id, roles and station; and WeChat bind
//! tickets, signed with the same secret but for another audience, so that neither is ever
//! accepted as the other.

use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

/// The claims of an access token (api.md: `sub`, `roles`, `station_id`, `iat`, `exp`, `jti`),
/// plus `ver`, the user's token version when it was issued.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub roles: Vec<String>,
    pub station_id: Option<i32>,
    /// The user's `token_version` at issue; a token whose version is behind the user's is
    /// refused (tokens issued before versions existed count as version 0).
    #[serde(default)]
    pub ver: i32,
    pub iat: i64,
    pub exp: i64,
    pub jti: String,
}

/// How far ahead of the server's clock a token's `iat` may lie (clock skew between processes);
/// a token issued further in the future was not issued by a server sharing this clock.
pub const IAT_LEEWAY_SECS: i64 = 60;

/// Why an access token was refused: an expired one is worth refreshing, an invalid one is not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenError {
    /// Genuine, but past its `exp`.
    Expired,
    /// Malformed, badly signed, another algorithm, issued in the future or with a bad subject.
    Invalid,
}

/// The audience and type of a WeChat bind ticket.
const BIND_TICKET_AUDIENCE: &str = "wenming:wechat-bind";
const BIND_TICKET_TYPE: &str = "wechat_bind";

/// How long a WeChat bind ticket is good for.
pub const BIND_TICKET_TTL_SECS: i64 = 600;

/// The claims of a WeChat bind ticket: the WeChat user who logged in with no account bound.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BindTicketClaims {
    /// The openid.
    pub sub: String,
    pub unionid: Option<String>,
    pub aud: String,
    pub typ: String,
    pub iat: i64,
    pub exp: i64,
    pub jti: String,
}

/// Keys and lifetime for access tokens.
pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    ticket_validation: Validation,
    pub ttl: chrono::Duration,
}

impl JwtKeys {
    pub fn new(secret: &[u8], ttl: std::time::Duration) -> anyhow::Result<Self> {
        // Only HS256 is accepted: a token naming `none` or another algorithm is refused.
        let mut validation = Validation::new(Algorithm::HS256);
        // Expiry is checked against the server's clock below, not the system time.
        validation.validate_exp = false;
        validation.set_required_spec_claims(&["exp", "sub", "iat"]);
        // An access token has no audience; a token naming one (a bind ticket) is refused above.
        let mut ticket_validation = Validation::new(Algorithm::HS256);
        ticket_validation.validate_exp = false;
        ticket_validation.set_required_spec_claims(&["exp", "sub", "iat", "aud"]);
        ticket_validation.set_audience(&[BIND_TICKET_AUDIENCE]);
        Ok(Self {
            encoding: EncodingKey::from_secret(secret)?,
            decoding: DecodingKey::from_secret(secret)?,
            validation,
            ticket_validation,
            ttl: chrono::Duration::from_std(ttl)?,
        })
    }

    pub fn issue(
        &self,
        user_id: i32,
        roles: Vec<String>,
        station_id: Option<i32>,
        version: i32,
        now: DateTime<Utc>,
    ) -> anyhow::Result<String> {
        let claims = Claims {
            sub: user_id.to_string(),
            roles,
            station_id,
            ver: version,
            iat: now.timestamp(),
            exp: (now + self.ttl).timestamp(),
            jti: uuid::Uuid::now_v7().to_string(),
        };
        Ok(jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &self.encoding,
        )?)
    }

    /// The claims of a valid, unexpired token. The signature is checked first, so only a token
    /// this server issued can be reported as expired.
    pub fn verify(&self, token: &str, now: DateTime<Utc>) -> Result<Claims, TokenError> {
        let claims = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map_err(|_| TokenError::Invalid)?
            .claims;
        if claims.iat > now.timestamp() + IAT_LEEWAY_SECS || claims.sub.parse::<i32>().is_err() {
            return Err(TokenError::Invalid);
        }
        if claims.exp <= now.timestamp() {
            return Err(TokenError::Expired);
        }
        Ok(claims)
    }
}

impl JwtKeys {
    /// A bind ticket for the WeChat user `openid`, good for [`BIND_TICKET_TTL_SECS`].
    pub fn issue_bind_ticket(&self, openid: &str, unionid: Option<&str>, now: DateTime<Utc>) -> anyhow::Result<String> {
        let claims = BindTicketClaims {
            sub: openid.to_owned(),
            unionid: unionid.map(str::to_owned),
            aud: BIND_TICKET_AUDIENCE.to_owned(),
            typ: BIND_TICKET_TYPE.to_owned(),
            iat: now.timestamp(),
            exp: now.timestamp() + BIND_TICKET_TTL_SECS,
            jti: uuid::Uuid::now_v7().to_string(),
        };
        Ok(jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &self.encoding,
        )?)
    }

    /// The claims of a valid, unexpired bind ticket.
    pub fn verify_bind_ticket(&self, ticket: &str, now: DateTime<Utc>) -> anyhow::Result<BindTicketClaims> {
        let claims = jsonwebtoken::decode::<BindTicketClaims>(ticket, &self.decoding, &self.ticket_validation)?.claims;
        if claims.typ != BIND_TICKET_TYPE {
            anyhow::bail!("not a bind ticket");
        }
        if claims.exp <= now.timestamp() {
            anyhow::bail!("ticket expired");
        }
        if claims.iat > now.timestamp() + IAT_LEEWAY_SECS {
            anyhow::bail!("ticket issued in the future");
        }
        Ok(claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> JwtKeys {
        JwtKeys::new(
            b"unit-secret-unit-secret-unit-secret-0",
            std::time::Duration::from_secs(900),
        )
        .unwrap()
    }

    #[test]
    fn a_token_issued_within_the_leeway_ahead_is_accepted() {
        let keys = keys();
        let now = Utc::now();
        let token = keys
            .issue(1, vec![], None, 0, now + chrono::Duration::seconds(IAT_LEEWAY_SECS))
            .unwrap();
        assert!(keys.verify(&token, now).is_ok());
    }

    #[test]
    fn a_bind_ticket_is_no_access_token_and_an_access_token_no_bind_ticket() {
        let keys = keys();
        let now = Utc::now();
        let ticket = keys.issue_bind_ticket("oOpenid123", Some("uUnion"), now).unwrap();
        let claims = keys.verify_bind_ticket(&ticket, now).unwrap();
        assert_eq!(
            (claims.sub.as_str(), claims.unionid.as_deref()),
            ("oOpenid123", Some("uUnion"))
        );
        assert!(keys.verify(&ticket, now).is_err());
        // Even a ticket whose subject looks like a user id.
        let numeric = keys.issue_bind_ticket("1", None, now).unwrap();
        assert!(keys.verify(&numeric, now).is_err());
        let access = keys.issue(1, vec!["resident".into()], None, 0, now).unwrap();
        assert!(keys.verify_bind_ticket(&access, now).is_err());
        let later = now + chrono::Duration::seconds(BIND_TICKET_TTL_SECS);
        assert!(keys.verify_bind_ticket(&ticket, later).is_err(), "expired");
    }

    #[test]
    fn a_token_issued_beyond_the_leeway_ahead_is_refused() {
        let keys = keys();
        let now = Utc::now();
        let token = keys
            .issue(1, vec![], None, 0, now + chrono::Duration::seconds(IAT_LEEWAY_SECS + 1))
            .unwrap();
        assert_eq!(keys.verify(&token, now).unwrap_err(), TokenError::Invalid);
    }

    #[test]
    fn an_expired_token_is_told_apart_from_a_forged_one() {
        let keys = keys();
        let issued = Utc::now() - chrono::Duration::seconds(901);
        let token = keys.issue(1, vec![], None, 0, issued).unwrap();
        assert_eq!(keys.verify(&token, Utc::now()).unwrap_err(), TokenError::Expired);
        let other = JwtKeys::new(
            b"other-secret-other-secret-other-secret",
            std::time::Duration::from_secs(900),
        )
        .unwrap();
        assert_eq!(other.verify(&token, Utc::now()).unwrap_err(), TokenError::Invalid);
    }
}
