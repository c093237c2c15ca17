//! The wenming server. `wenming` (or `wenming serve`) serves; `wenming openapi` prints the
//! OpenAPI document; `wenming seed` fills the database with a station's year of work; `wenming tokens` mints
//! access tokens for seeded accounts;
//! `wenming backup <file>` and `wenming restore <file>` copy the SQLite database out and back.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use wenming::{clock::Clock, config::Settings, ops, seed, startup::Application, telemetry};

/// Backend for New Era Civilization Practice Stations (新时代文明实践站). Settings come from the
/// environment (see `.env.template`).
#[derive(Parser)]
#[command(version)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server (the default).
    Serve,
    /// Print the OpenAPI document the server serves.
    Openapi,
    /// Fill the database (`DATABASE_URL`) with one station's year of work (`--scale`: many
    /// stations for loadgen; `--demo`: one small realistic station); prints what it made as JSON.
    Seed(seed::SeedOptions),
    /// Mint access tokens for the accounts of a `seed --scale` users file, with this server's
    /// JWT secret and the claims a login gives (for loadgen `--tokens-file`); prints a summary.
    Tokens(seed::tokens::TokenOptions),
    /// Write a consistent copy of the SQLite database to a new file while servers may be running
    /// (PostgreSQL: use pg_dump; this exits 2).
    Backup {
        /// The backup file to create; it must not exist yet.
        file: std::path::PathBuf,
    },
    /// Replace the SQLite database with a backup; stop every server on it first
    /// (PostgreSQL: use pg_restore; this exits 2).
    Restore {
        /// The backup file to restore from.
        file: std::path::PathBuf,
    },
}

fn settings() -> Result<Settings, ExitCode> {
    Settings::from_env().map_err(|e| {
        eprintln!("error: {e}");
        ExitCode::from(2)
    })
}

#[tokio::main]
async fn main() -> ExitCode {
    match Cli::parse().command.unwrap_or(Command::Serve) {
        Command::Openapi => print_openapi(),
        Command::Seed(options) => {
            let settings = match settings() {
                Ok(settings) => settings,
                Err(code) => return code,
            };
            match seed::run(&settings, options).await {
                Ok(seeded) => {
                    println!("{}", serde_json::to_string_pretty(&seeded).unwrap_or_default());
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("error: seeding failed: {e:#}");
                    ExitCode::FAILURE
                }
            }
        }
        Command::Tokens(options) => {
            let mut settings = match settings() {
                Ok(settings) => settings,
                Err(code) => return code,
            };
            if let Err(e) = settings.ensure_jwt_secret() {
                eprintln!("error: {e}");
                return ExitCode::from(2);
            }
            match seed::tokens::run(&settings, options).await {
                Ok(summary) => {
                    println!("{}", serde_json::to_string_pretty(&summary).unwrap_or_default());
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("error: minting tokens failed: {e:#}");
                    ExitCode::FAILURE
                }
            }
        }
        Command::Backup { file } => match settings() {
            Ok(settings) => finish(ops::backup::backup(&settings, &file).await.map(|bytes| {
                println!("backed up to {} ({bytes} bytes)", file.display());
            })),
            Err(code) => code,
        },
        Command::Restore { file } => match settings() {
            Ok(settings) => finish(ops::backup::restore(&settings, &file).await.map(|()| {
                println!("restored from {}", file.display());
            })),
            Err(code) => code,
        },
        Command::Serve => match settings() {
            Ok(settings) => serve(settings).await,
            Err(code) => code,
        },
    }
}

/// The exit code of a backup or restore: 2 for PostgreSQL (another tool's job), 1 on failure.
fn finish(result: Result<(), ops::backup::BackupError>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e @ ops::backup::BackupError::NotSqlite) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
        Err(ops::backup::BackupError::Failed(e)) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn print_openapi() -> ExitCode {
    match serde_json::to_string_pretty(&wenming::openapi::document_json()) {
        Ok(json) => {
            println!("{json}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(settings: Settings) -> ExitCode {
    telemetry::init(settings.log_format);
    let application = match Application::build(settings, Clock::system()).await {
        Ok(app) => app,
        Err(e) => {
            tracing::error!(error = format!("{e:#}"), "start-up failed");
            return ExitCode::FAILURE;
        }
    };
    tracing::info!(
        port = application.port(),
        "wenming is serving; docs at {}",
        application.docs_url()
    );
    match application.run_until_stopped().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %e, "server failed");
            ExitCode::FAILURE
        }
    }
}
