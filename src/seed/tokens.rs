//! `wenming tokens`: access tokens for the accounts of a users file (`wenming seed --scale`),
//! minted with the server's own JWT secret and the same claims a login issues (id, roles,
//! station, token version), so that a load run does not spend minutes on Argon2 logins. A
//! minted token is checked like any other: a role change, deactivation or logout still ends it.

use std::{collections::HashMap, path::PathBuf, time::Duration};

use anyhow::Context as _;
use entity::{user, user_role};
use sea_orm::{ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, prelude::*};
use serde::{Deserialize, Serialize};

use crate::{
    auth::{jwt::JwtKeys, roles::Role},
    clock::Clock,
    config::Settings,
};

/// Rows asked for per `IN (...)` (well under both databases' bound-parameter limits).
const CHUNK: usize = 1000;

#[derive(Debug, Clone, clap::Args)]
pub struct TokenOptions {
    /// The users file `wenming seed --scale --users-file` wrote.
    #[arg(long)]
    pub users_file: PathBuf,
    /// Where to write the tokens (JSON: `{"expires_at", "tokens": {phone: token}}`).
    #[arg(long)]
    pub out: PathBuf,
    /// How long the tokens are good for, e.g. 90m, 2h, 3600s.
    #[arg(long, default_value = "2h", value_parser = parse_ttl)]
    pub ttl: Duration,
}

fn parse_ttl(value: &str) -> Result<Duration, String> {
    let at = value.find(|c: char| !c.is_ascii_digit()).unwrap_or(value.len());
    let (number, unit) = value.split_at(at);
    let n: u64 = number.parse().map_err(|_| format!("not a duration: {value}"))?;
    let secs = match unit {
        "" | "s" => n,
        "m" => n * 60,
        "h" => n * 3600,
        _ => return Err(format!("unknown unit in {value}: use s, m or h")),
    };
    if secs == 0 {
        return Err("the lifetime must be positive".into());
    }
    Ok(Duration::from_secs(secs))
}

/// The accounts of a users file: only the phones are read.
#[derive(Deserialize)]
struct Phones {
    stations: Vec<StationPhones>,
}

#[derive(Deserialize)]
struct StationPhones {
    director: String,
    secretary: String,
    #[serde(default)]
    residents: Vec<String>,
    #[serde(default)]
    volunteers: Vec<String>,
}

/// The tokens file `loadgen --tokens-file` reads.
#[derive(Debug, Serialize)]
pub struct TokensFile {
    pub expires_at: chrono::DateTime<chrono::Utc>,
    pub tokens: HashMap<String, String>,
}

/// What `wenming tokens` prints.
#[derive(Debug, Serialize)]
pub struct TokensSummary {
    pub tokens: usize,
    pub out: String,
    pub expires_at: chrono::DateTime<chrono::Utc>,
    pub seconds: f64,
}

#[derive(Debug, sea_orm::FromQueryResult)]
struct Account {
    id: i32,
    phone: String,
    station_id: Option<i32>,
    token_version: i32,
}

/// Mints a token for every account the users file names and writes the tokens file.
pub async fn run(settings: &Settings, options: TokenOptions) -> anyhow::Result<TokensSummary> {
    let started = std::time::Instant::now();
    let bytes =
        std::fs::read(&options.users_file).with_context(|| format!("reading {}", options.users_file.display()))?;
    let file: Phones =
        serde_json::from_slice(&bytes).with_context(|| format!("parsing {}", options.users_file.display()))?;
    let mut phones: Vec<String> = Vec::new();
    for s in file.stations {
        phones.push(s.director);
        phones.push(s.secretary);
        phones.extend(s.residents);
        phones.extend(s.volunteers);
    }
    phones.sort();
    phones.dedup();

    let db = crate::startup::connect(settings).await?;
    let keys = JwtKeys::new(&settings.jwt_secret, options.ttl)?;
    let now = Clock::system().now();
    let mut tokens = HashMap::with_capacity(phones.len());
    for chunk in phones.chunks(CHUNK) {
        let accounts = accounts(&db, chunk).await?;
        let ids: Vec<i32> = accounts.iter().map(|a| a.id).collect();
        let mut roles: HashMap<i32, Vec<Role>> = HashMap::new();
        for row in user_role::Entity::find()
            .filter(user_role::Column::UserId.is_in(ids))
            .all(&db)
            .await?
        {
            if let Ok(role) = row.role.parse() {
                roles.entry(row.user_id).or_default().push(role);
            }
        }
        for account in accounts {
            // As a login issues them (`users::service::roles_of`): parsed and sorted.
            let mut roles = roles.remove(&account.id).unwrap_or_default();
            roles.sort();
            let roles = roles.iter().map(|r| r.as_str().to_owned()).collect();
            let token = keys.issue(account.id, roles, account.station_id, account.token_version, now)?;
            tokens.insert(account.phone, token);
        }
    }
    anyhow::ensure!(
        tokens.len() == phones.len(),
        "{} of the {} phones in {} have no account in this database",
        phones.len() - tokens.len(),
        phones.len(),
        options.users_file.display()
    );
    let expires_at = now + chrono::Duration::from_std(options.ttl)?;
    let out = TokensFile { expires_at, tokens };
    crate::config::write_private_file(&options.out, &serde_json::to_vec(&out)?)
        .with_context(|| format!("writing {}", options.out.display()))?;
    Ok(TokensSummary {
        tokens: out.tokens.len(),
        out: options.out.display().to_string(),
        expires_at,
        seconds: started.elapsed().as_secs_f64(),
    })
}

async fn accounts(db: &impl ConnectionTrait, phones: &[String]) -> anyhow::Result<Vec<Account>> {
    Ok(user::Entity::find()
        .select_only()
        .columns([
            user::Column::Id,
            user::Column::Phone,
            user::Column::StationId,
            user::Column::TokenVersion,
        ])
        .filter(user::Column::Phone.is_in(phones.iter().cloned()))
        .into_model::<Account>()
        .all(db)
        .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lifetimes_take_seconds_minutes_or_hours() {
        assert_eq!(parse_ttl("2h"), Ok(Duration::from_secs(7200)));
        assert_eq!(parse_ttl("90m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_ttl("30"), Ok(Duration::from_secs(30)));
        assert!(parse_ttl("0s").is_err());
        assert!(parse_ttl("2d").is_err());
        assert!(parse_ttl("h").is_err());
    }
}
