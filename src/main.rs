//! The wenming server. `wenming` (or `wenming serve`) serves; `wenming openapi` prints the
//! OpenAPI document; `wenming seed` fills the database with a station's year of work.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use wenming::{clock::Clock, config::Settings, seed, startup::Application, telemetry};

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
    /// Fill the database (`DATABASE_URL`) with one station's year of work, for benchmarks and
    /// demos; prints the station and its accounts as JSON.
    Seed(seed::SeedOptions),
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
        Command::Serve => match settings() {
            Ok(settings) => serve(settings).await,
            Err(code) => code,
        },
    }
}

fn print_openapi() -> ExitCode {
    match serde_json::to_string_pretty(&wenming::openapi::document()) {
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
        "wenming is serving; API documentation at /docs/"
    );
    match application.run_until_stopped().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %e, "server failed");
            ExitCode::FAILURE
        }
    }
}
