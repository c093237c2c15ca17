//! `loadgen`: see README.md. Exits 1 when the scenario's invariant fails, 2 on a usage or
//! set-up error.

use std::{path::PathBuf, process::ExitCode, time::Duration};

use clap::Parser;
use loadgen::{Options, Scenario, Span, TokensFile, UsersFile};

/// Load generator for wenming: logs in as many users, runs a named scenario and checks its
/// invariant through the API.
#[derive(Parser)]
#[command(version)]
struct Cli {
    /// Server base URLs, comma-separated; requests go round-robin over them.
    #[arg(long, value_delimiter = ',', default_value = "http://127.0.0.1:8080")]
    base: Vec<String>,
    #[arg(long, value_enum)]
    scenario: Scenario,
    /// Requests in flight at once.
    #[arg(long, default_value_t = 32)]
    concurrency: usize,
    /// How long a timed scenario runs, e.g. 30s, 500ms, 2m (default 30s).
    #[arg(long, value_parser = parse_duration, conflicts_with = "count")]
    duration: Option<Duration>,
    /// How many operations a timed scenario runs instead of a duration.
    #[arg(long)]
    count: Option<u64>,
    /// The users file `wenming seed --scale --users-file` wrote.
    #[arg(long)]
    users_file: PathBuf,
    /// Distinct residents logged in for browse, signup, submit and mixed (a tenth as many
    /// volunteers for mixed).
    #[arg(long, default_value_t = 1000)]
    users: usize,
    /// Residents crowding the rush activity.
    #[arg(long, default_value_t = 5000)]
    rush_users: usize,
    /// The rush activity's places (default: as seeded, from the users file).
    #[arg(long)]
    rush_capacity: Option<i32>,
    /// Volunteers racing for the open orders.
    #[arg(long, default_value_t = 2000)]
    grab_volunteers: usize,
    /// Logins in flight at once (the server bounds password hashing).
    #[arg(long, default_value_t = 4)]
    login_concurrency: usize,
    /// Access tokens minted by `wenming tokens` (JSON); accounts in it are not logged in.
    #[arg(long)]
    tokens_file: Option<PathBuf>,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
}

fn parse_duration(value: &str) -> Result<Duration, String> {
    let (number, unit) = value
        .find(|c: char| !c.is_ascii_digit())
        .map_or((value, "s"), |at| value.split_at(at));
    let n: u64 = number.parse().map_err(|_| format!("not a duration: {value}"))?;
    match unit {
        "ms" => Ok(Duration::from_millis(n)),
        "s" => Ok(Duration::from_secs(n)),
        "m" => Ok(Duration::from_secs(n * 60)),
        _ => Err(format!("unknown unit in {value}: use ms, s or m")),
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let users = match UsersFile::read(&cli.users_file) {
        Ok(users) => users,
        Err(e) => {
            eprintln!("error: {e:#}");
            return ExitCode::from(2);
        }
    };
    let tokens = match cli.tokens_file.as_deref().map(TokensFile::read).transpose() {
        Ok(tokens) => tokens.map(std::sync::Arc::new),
        Err(e) => {
            eprintln!("error: {e:#}");
            return ExitCode::from(2);
        }
    };
    let span = match (cli.duration, cli.count) {
        (_, Some(n)) => Span::Count(n),
        (Some(d), None) => Span::Time(d),
        (None, None) => Span::Time(Duration::from_secs(30)),
    };
    let options = Options {
        bases: cli.base,
        scenario: cli.scenario,
        concurrency: cli.concurrency.max(1),
        span,
        users: cli.users,
        rush_users: cli.rush_users,
        rush_capacity: cli.rush_capacity,
        grab_volunteers: cli.grab_volunteers,
        login_concurrency: cli.login_concurrency,
        tokens,
    };
    match loadgen::run(&options, users).await {
        Ok(report) => {
            if cli.json {
                match serde_json::to_string(&report) {
                    Ok(json) => println!("{json}"),
                    Err(e) => {
                        eprintln!("error: {e}");
                        return ExitCode::from(2);
                    }
                }
            } else {
                print!("{report}");
            }
            if report.invariant_ok {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}
