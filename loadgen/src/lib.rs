//! The load generator: logs in as many distinct users (not timed), runs one named scenario at a
//! chosen concurrency against one or more servers (round-robin), and reports requests/s, HDR
//! latencies, status counts and the scenario's invariant, checked through the API afterwards.

use std::{
    collections::{BTreeMap, HashMap, HashSet},
    fmt,
    path::Path,
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use anyhow::Context as _;
use base64::Engine as _;
use hdrhistogram::Histogram;
use rand::{Rng, SeedableRng, rngs::StdRng};
use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// The users file `wenming seed --scale --users-file` writes.
#[derive(Debug, Clone, Deserialize)]
pub struct UsersFile {
    pub password: String,
    pub platform_ids: Vec<i32>,
    pub stations: Vec<StationUsers>,
    pub rush_activity: RushActivity,
    #[serde(default)]
    pub open_orders: Vec<i32>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct StationUsers {
    pub id: i32,
    pub director: String,
    pub secretary: String,
    pub residents: Vec<String>,
    pub volunteers: Vec<String>,
    pub open_activities: Vec<i32>,
    pub open_orders: Vec<i32>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct RushActivity {
    pub id: i32,
    pub station_id: i32,
    pub capacity: i32,
}

impl UsersFile {
    pub fn read(path: &Path) -> anyhow::Result<Self> {
        let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        serde_json::from_slice(&bytes).with_context(|| format!("parsing {}", path.display()))
    }
}

/// The tokens file `wenming tokens` writes: an access token per phone, minted with the server's
/// secret, so a run need not log everyone in (5,000 Argon2 logins take minutes).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct TokensFile {
    pub tokens: HashMap<String, String>,
}

impl TokensFile {
    pub fn read(path: &Path) -> anyhow::Result<Self> {
        let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        serde_json::from_slice(&bytes).with_context(|| format!("parsing {}", path.display()))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scenario {
    /// Residents page through `GET /activities` with filters (pages 1–10, 20 a page, total).
    Browse,
    /// Residents sign up for activities spread over the seeded open ones.
    Signup,
    /// Many residents sign up for one activity at once; afterwards exactly `capacity`
    /// confirmed and the rest waitlisted with positions 1..n.
    Rush,
    /// Volunteers race for the open orders; every order accepted exactly once, no error but 409.
    Grab,
    /// Residents post orders with idempotency keys, 1 in 10 retried; no duplicate order.
    Submit,
    /// 80% browse, 10% sign-up, 5% order submit, 5% accept.
    Mixed,
    /// `GET /healthz` with no token: the HTTP floor of this client and server, the baseline the
    /// other scenarios are read against.
    Healthz,
}

impl fmt::Display for Scenario {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self {
            Scenario::Browse => "browse",
            Scenario::Signup => "signup",
            Scenario::Rush => "rush",
            Scenario::Grab => "grab",
            Scenario::Submit => "submit",
            Scenario::Mixed => "mixed",
            Scenario::Healthz => "healthz",
        };
        f.write_str(name)
    }
}

/// How long a timed scenario runs: for a time or for a number of operations.
#[derive(Debug, Clone, Copy)]
pub enum Span {
    Time(Duration),
    Count(u64),
}

#[derive(Debug, Clone)]
pub struct Options {
    pub bases: Vec<String>,
    pub scenario: Scenario,
    pub concurrency: usize,
    /// `browse`, `signup`, `submit`, `mixed`; `rush` and `grab` run until everyone has tried.
    pub span: Span,
    /// Distinct residents logged in for `browse`, `signup`, `submit` and `mixed`.
    pub users: usize,
    pub rush_users: usize,
    /// Expected places of the rush activity (default: the users file's).
    pub rush_capacity: Option<i32>,
    pub grab_volunteers: usize,
    /// Logins in flight at once (the server bounds password hashing; 503 `BUSY` is retried).
    pub login_concurrency: usize,
    /// Minted tokens (`wenming tokens`); a phone without one logs in.
    pub tokens: Option<Arc<TokensFile>>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Latency {
    pub p50: u64,
    pub p90: u64,
    pub p99: u64,
    pub max: u64,
}

/// One scenario's result.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Report {
    pub scenario: Scenario,
    pub concurrency: usize,
    pub requests: u64,
    pub seconds: f64,
    pub requests_per_second: f64,
    /// Microseconds.
    pub latency_us: Latency,
    /// Response status → count (the final answer of each request); `error` counts transport
    /// failures.
    pub statuses: BTreeMap<String, u64>,
    /// Requests sent a second time after the connection failed, a proxy answered 502/504 or
    /// the server 503 (after its `Retry-After`): only reads and requests with an
    /// `Idempotency-Key`, which a client may safely resend.
    #[serde(default)]
    pub resent: u64,
    pub invariant_ok: bool,
    pub invariant: String,
    /// The first violations seen (at most 20).
    pub violations: Vec<String>,
    pub violation_count: u64,
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "scenario {}: {} requests in {:.2} s at concurrency {} = {:.1} requests/s",
            self.scenario, self.requests, self.seconds, self.concurrency, self.requests_per_second
        )?;
        let l = &self.latency_us;
        writeln!(
            f,
            "  latency: p50 {:.2} ms  p90 {:.2} ms  p99 {:.2} ms  max {:.2} ms",
            l.p50 as f64 / 1000.0,
            l.p90 as f64 / 1000.0,
            l.p99 as f64 / 1000.0,
            l.max as f64 / 1000.0
        )?;
        let statuses: Vec<String> = self.statuses.iter().map(|(s, n)| format!("{s}: {n}")).collect();
        writeln!(f, "  statuses: {}", statuses.join(", "))?;
        if self.resent > 0 {
            writeln!(
                f,
                "  resent after a connection error, a proxy's 502/504 or a 503: {}",
                self.resent
            )?;
        }
        writeln!(
            f,
            "  invariant: {} — {}",
            if self.invariant_ok { "ok" } else { "FAILED" },
            self.invariant
        )?;
        for v in &self.violations {
            writeln!(f, "    violation: {v}")?;
        }
        Ok(())
    }
}

/// A logged-in user.
#[derive(Debug, Clone)]
struct Session {
    token: String,
    user_id: i64,
    /// Index into the users file's stations.
    station: usize,
}

struct Outcome {
    status: u16,
    body: Value,
}

/// The HTTP side: one pooled client, requests spread round-robin over the bases.
struct Api {
    client: reqwest::Client,
    bases: Vec<String>,
    next: AtomicUsize,
}

impl Api {
    fn new(bases: Vec<String>, concurrency: usize) -> anyhow::Result<Self> {
        anyhow::ensure!(!bases.is_empty(), "no --base given");
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(concurrency.max(1))
            .timeout(Duration::from_secs(60))
            .build()?;
        let bases = bases.into_iter().map(|b| b.trim_end_matches('/').to_owned()).collect();
        Ok(Api {
            client,
            bases,
            next: AtomicUsize::new(0),
        })
    }

    /// `path` under `/api/v1`, or at the root when it starts with `//` (`//healthz`).
    fn url(&self, path: &str) -> String {
        let i = self.next.fetch_add(1, Ordering::Relaxed) % self.bases.len();
        match path.strip_prefix('/').filter(|p| p.starts_with('/')) {
            Some(root) => format!("{}{root}", self.bases[i]),
            None => format!("{}/api/v1{path}", self.bases[i]),
        }
    }

    /// Sends one request; `status` 0 is a transport failure. Returns the latency too.
    async fn send(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
        key: Option<&str>,
    ) -> (Outcome, Duration, Option<u64>) {
        let mut request = self.client.request(method, self.url(path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(key) = key {
            request = request.header("Idempotency-Key", key);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        let started = Instant::now();
        let outcome = match request.send().await {
            Ok(response) => {
                let status = response.status().as_u16();
                let retry_after = response
                    .headers()
                    .get("retry-after")
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.parse::<u64>().ok());
                let body = response.json::<Value>().await.unwrap_or(Value::Null);
                (Outcome { status, body }, retry_after)
            }
            Err(_) => (
                Outcome {
                    status: 0,
                    body: Value::Null,
                },
                None,
            ),
        };
        (outcome.0, started.elapsed(), outcome.1)
    }
}

/// Latencies, statuses and violations of one worker (merged at the end).
struct Recorder {
    histogram: Histogram<u64>,
    statuses: BTreeMap<String, u64>,
    resent: u64,
    violations: Vec<String>,
    violation_count: u64,
}

impl Recorder {
    fn new() -> Self {
        Recorder {
            // 1 µs to 10 minutes, three significant digits.
            histogram: Histogram::new_with_bounds(1, 600_000_000, 3).expect("constant, valid bounds"),
            statuses: BTreeMap::new(),
            resent: 0,
            violations: Vec::new(),
            violation_count: 0,
        }
    }

    fn record(&mut self, outcome: &Outcome, latency: Duration) {
        let micros = (latency.as_micros() as u64).clamp(1, 600_000_000);
        let _ = self.histogram.record(micros);
        let key = if outcome.status == 0 {
            "error".to_owned()
        } else {
            outcome.status.to_string()
        };
        *self.statuses.entry(key).or_default() += 1;
    }

    fn violate(&mut self, message: String) {
        self.violation_count += 1;
        if self.violations.len() < 20 {
            self.violations.push(message);
        }
    }

    fn merge(&mut self, other: Recorder) {
        let _ = self.histogram.add(&other.histogram);
        for (k, v) in other.statuses {
            *self.statuses.entry(k).or_default() += v;
        }
        self.resent += other.resent;
        self.violation_count += other.violation_count;
        for v in other.violations {
            if self.violations.len() < 20 {
                self.violations.push(v);
            }
        }
    }
}

/// Everything the workers share.
struct Ctx {
    api: Api,
    users: UsersFile,
    scenario: Scenario,
    residents: Vec<Session>,
    volunteers: Vec<Session>,
    /// Op budget: the deadline, or the next op number against the count.
    deadline: std::sync::OnceLock<Instant>,
    count: Option<u64>,
    next_op: AtomicU64,
    /// Activities someone signed up for (checked afterwards).
    touched: Mutex<HashSet<i32>>,
    /// Order → the users whose accept succeeded.
    wins: Mutex<HashMap<i32, Vec<i64>>>,
    /// Station index → orders created (distinct idempotency keys).
    created: Mutex<HashMap<usize, u64>>,
}

impl Ctx {
    /// The next operation's number, or `None` when the budget is spent.
    fn take(&self) -> Option<u64> {
        let n = self.next_op.fetch_add(1, Ordering::Relaxed);
        if let Some(count) = self.count
            && n >= count
        {
            return None;
        }
        if let Some(deadline) = self.deadline.get()
            && Instant::now() >= *deadline
        {
            return None;
        }
        Some(n)
    }

    async fn timed(
        &self,
        rec: &mut Recorder,
        method: Method,
        path: &str,
        token: &str,
        body: Option<&Value>,
        key: Option<&str>,
    ) -> Outcome {
        let started = Instant::now();
        let (mut outcome, _, retry_after) = self.api.send(method.clone(), path, Some(token), body, key).await;
        // What a careful client does when a replica or the database goes away under it: a
        // read, or a write carrying its Idempotency-Key, is sent once more (the server answers
        // a repeated key with the first answer, so nothing is done twice), after the
        // `Retry-After` of a 503 (at most 5 s) or a short pause.
        let resendable = method == Method::GET || key.is_some();
        if resendable && matches!(outcome.status, 0 | 502 | 503 | 504) {
            rec.resent += 1;
            let pause = match (outcome.status, retry_after) {
                (503, Some(secs)) => Duration::from_secs(secs.clamp(1, 5)),
                _ => Duration::from_millis(100),
            };
            tokio::time::sleep(pause).await;
            outcome = self.api.send(method, path, Some(token), body, key).await.0;
        }
        rec.record(&outcome, started.elapsed());
        outcome
    }
}

/// The `sub` claim of a JWT (the user id), read without verifying: the server checks tokens.
fn jwt_subject(token: &str) -> Option<i64> {
    let payload = token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    let claims: Value = serde_json::from_slice(&bytes).ok()?;
    match &claims["sub"] {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

/// Logs in, retrying 503 `BUSY` and 429 after their `Retry-After`.
async fn login(api: &Api, phone: &str, password: &str) -> anyhow::Result<(String, i64)> {
    let body = json!({"phone": phone, "password": password});
    for _ in 0..200 {
        let (outcome, _, retry_after) = api.send(Method::POST, "/auth/login", None, Some(&body), None).await;
        match outcome.status {
            200 => {
                let token = outcome.body["access_token"]
                    .as_str()
                    .context("login answered without access_token")?
                    .to_owned();
                let id = jwt_subject(&token).context("the access token has no numeric sub")?;
                return Ok((token, id));
            }
            429 | 503 | 0 => {
                let wait = retry_after.unwrap_or(1).clamp(1, 10);
                tokio::time::sleep(Duration::from_millis(wait * 1000 / 2 + 50)).await;
            }
            status => anyhow::bail!("login of {phone} answered {status}: {}", outcome.body),
        }
    }
    anyhow::bail!("login of {phone} kept being refused as busy")
}

/// Logs in `people` (phone, station index) with at most `concurrency` logins in flight.
/// A phone with a minted token takes it instead of logging in.
async fn login_many(
    api: &Arc<Api>,
    people: Vec<(String, usize)>,
    password: &str,
    concurrency: usize,
    minted: Option<&TokensFile>,
) -> anyhow::Result<Vec<Session>> {
    let gate = Arc::new(tokio::sync::Semaphore::new(concurrency.max(1)));
    let mut tasks = tokio::task::JoinSet::new();
    let mut sessions = Vec::new();
    for (n, (phone, station)) in people.into_iter().enumerate() {
        if let Some(token) = minted.and_then(|m| m.tokens.get(&phone)) {
            let user_id =
                jwt_subject(token).with_context(|| format!("the minted token of {phone} has no numeric sub"))?;
            sessions.push((
                n,
                Session {
                    token: token.clone(),
                    user_id,
                    station,
                },
            ));
            continue;
        }
        let (api, gate, password) = (api.clone(), gate.clone(), password.to_owned());
        tasks.spawn(async move {
            let _permit = gate.acquire_owned().await?;
            let (token, user_id) = login(&api, &phone, &password).await?;
            anyhow::Ok((
                n,
                Session {
                    token,
                    user_id,
                    station,
                },
            ))
        });
    }
    while let Some(joined) = tasks.join_next().await {
        sessions.push(joined??);
    }
    sessions.sort_by_key(|(n, _)| *n);
    Ok(sessions.into_iter().map(|(_, s)| s).collect())
}

/// `count` people taken round-robin over the stations (so every station gets its share).
fn spread(users: &UsersFile, count: usize, pick: impl Fn(&StationUsers) -> &Vec<String>) -> Vec<(String, usize)> {
    let mut out = Vec::with_capacity(count);
    let mut round = 0;
    while out.len() < count {
        let mut any = false;
        for (k, station) in users.stations.iter().enumerate() {
            if let Some(phone) = pick(station).get(round) {
                any = true;
                if out.len() < count {
                    out.push((phone.clone(), k));
                }
            }
        }
        if !any {
            break;
        }
        round += 1;
    }
    out
}

/// Runs one scenario and checks its invariant.
pub async fn run(options: &Options, users: UsersFile) -> anyhow::Result<Report> {
    let api = Arc::new(Api::new(options.bases.clone(), options.concurrency)?);
    let scenario = options.scenario;
    let (resident_count, volunteer_count) = match scenario {
        Scenario::Rush => (options.rush_users, 0),
        Scenario::Grab => (0, options.grab_volunteers),
        Scenario::Mixed => (options.users, (options.users / 10).max(1)),
        Scenario::Healthz => (0, 0),
        _ => (options.users, 0),
    };
    let resident_people = spread(&users, resident_count, |s| &s.residents);
    let volunteer_people = spread(&users, volunteer_count, |s| &s.volunteers);
    if scenario == Scenario::Rush {
        anyhow::ensure!(
            resident_people.len() == options.rush_users,
            "the users file has {} residents, fewer than --rush-users {}",
            resident_people.len(),
            options.rush_users
        );
    }
    anyhow::ensure!(
        resident_count == 0 || !resident_people.is_empty(),
        "the users file lists no residents"
    );
    anyhow::ensure!(
        volunteer_count == 0 || !volunteer_people.is_empty(),
        "the users file lists no volunteers"
    );
    let lc = options.login_concurrency;
    let minted = options.tokens.as_deref();
    let residents = login_many(&api, resident_people, &users.password, lc, minted).await?;
    let volunteers = login_many(&api, volunteer_people, &users.password, lc, minted).await?;
    // Staff of every station, for the checks through the API.
    let staff_people: Vec<(String, usize)> = users
        .stations
        .iter()
        .enumerate()
        .map(|(k, s)| (s.secretary.clone(), k))
        .collect();
    let staff = login_many(&api, staff_people, &users.password, lc, minted).await?;
    let api = Arc::try_unwrap(api).map_err(|_| anyhow::anyhow!("the client is still shared"))?;

    let (deadline_span, count) = match (scenario, options.span) {
        (Scenario::Rush, _) => (None, Some(residents.len() as u64)),
        (Scenario::Grab, _) => (None, Some(volunteers.len() as u64)),
        (_, Span::Time(d)) => (Some(d), None),
        (_, Span::Count(n)) => (None, Some(n)),
    };
    let ctx = Arc::new(Ctx {
        api,
        users,
        scenario,
        residents,
        volunteers,
        deadline: std::sync::OnceLock::new(),
        count,
        next_op: AtomicU64::new(0),
        touched: Mutex::new(HashSet::new()),
        wins: Mutex::new(HashMap::new()),
        created: Mutex::new(HashMap::new()),
    });

    let before = match scenario {
        Scenario::Submit => Some(order_totals(&ctx, &staff).await?),
        Scenario::Rush => {
            let total = signups_of(&ctx, &staff, ctx.users.rush_activity.id)
                .await
                .map_err(|e| anyhow::anyhow!(e))?
                .len();
            anyhow::ensure!(
                total == 0,
                "the rush activity already has {total} sign-ups: seed a fresh database"
            );
            None
        }
        Scenario::Grab => {
            let taken = not_open(&ctx, &staff).await.map_err(|e| anyhow::anyhow!(e))?;
            anyhow::ensure!(
                taken.is_empty(),
                "orders {taken:?} of the users file are no longer open: seed a fresh database"
            );
            None
        }
        _ => None,
    };

    if let Some(span) = deadline_span {
        let _ = ctx.deadline.set(Instant::now() + span);
    }
    let started = Instant::now();
    let mut workers = tokio::task::JoinSet::new();
    for w in 0..options.concurrency.max(1) {
        let ctx = ctx.clone();
        workers.spawn(worker(ctx, w));
    }
    let mut rec = Recorder::new();
    while let Some(joined) = workers.join_next().await {
        rec.merge(joined?);
    }
    let seconds = started.elapsed().as_secs_f64();

    let checked = match scenario {
        Scenario::Browse => Ok("every page answered 200 with a total and at most 20 items".to_owned()),
        Scenario::Signup => check_signups(&ctx, &staff).await,
        Scenario::Rush => check_rush(&ctx, &staff, options.rush_capacity).await,
        Scenario::Grab => check_grab(&ctx, &staff).await,
        Scenario::Submit => check_submit(&ctx, &staff, before.unwrap_or_default()).await,
        Scenario::Mixed => check_mixed(&ctx),
        Scenario::Healthz => Ok("every answer 200".to_owned()),
    };
    let requests = rec.histogram.len();
    let (invariant_ok, invariant) = match checked {
        Ok(detail) if rec.violation_count == 0 => (true, detail),
        Ok(detail) => (
            false,
            format!("{} violations during the run; {detail}", rec.violation_count),
        ),
        Err(failure) => (false, failure),
    };
    Ok(Report {
        scenario,
        concurrency: options.concurrency,
        requests,
        seconds,
        requests_per_second: if seconds > 0.0 { requests as f64 / seconds } else { 0.0 },
        latency_us: Latency {
            p50: rec.histogram.value_at_quantile(0.5),
            p90: rec.histogram.value_at_quantile(0.9),
            p99: rec.histogram.value_at_quantile(0.99),
            max: rec.histogram.max(),
        },
        statuses: rec.statuses,
        resent: rec.resent,
        invariant_ok,
        invariant,
        violations: rec.violations,
        violation_count: rec.violation_count,
    })
}

async fn worker(ctx: Arc<Ctx>, w: usize) -> Recorder {
    let mut rec = Recorder::new();
    let mut rng = StdRng::seed_from_u64(w as u64 ^ 0x5eed);
    while let Some(op) = ctx.take() {
        match ctx.scenario {
            Scenario::Browse => browse(&ctx, &mut rng, &mut rec).await,
            Scenario::Signup => signup(&ctx, &mut rng, &mut rec).await,
            Scenario::Submit => submit(&ctx, &mut rng, &mut rec).await,
            Scenario::Rush => rush(&ctx, op as usize, &mut rec).await,
            Scenario::Grab => grab(&ctx, op as usize, &mut rng, &mut rec).await,
            Scenario::Mixed => match rng.random_range(0..100) {
                0..80 => browse(&ctx, &mut rng, &mut rec).await,
                80..90 => signup(&ctx, &mut rng, &mut rec).await,
                90..95 => submit(&ctx, &mut rng, &mut rec).await,
                _ => accept_one(&ctx, &mut rng, &mut rec).await,
            },
            Scenario::Healthz => healthz(&ctx, &mut rec).await,
        }
    }
    rec
}

async fn healthz(ctx: &Ctx, rec: &mut Recorder) {
    let (outcome, latency, _) = ctx.api.send(Method::GET, "//healthz", None, None, None).await;
    rec.record(&outcome, latency);
    if outcome.status != 200 {
        rec.violate(format!("GET /healthz answered {}", outcome.status));
    }
}

fn pick<'a>(sessions: &'a [Session], rng: &mut StdRng) -> &'a Session {
    &sessions[rng.random_range(0..sessions.len())]
}

async fn browse(ctx: &Ctx, rng: &mut StdRng, rec: &mut Recorder) {
    let me = pick(&ctx.residents, rng);
    let station = ctx.users.stations[me.station].id;
    let page = rng.random_range(1..=10);
    let filter = match rng.random_range(0..4) {
        0 => String::new(),
        1 => "&kind=practice".to_owned(),
        2 => "&has_places=true".to_owned(),
        _ => format!(
            "&platform_id={}",
            ctx.users.platform_ids[rng.random_range(0..ctx.users.platform_ids.len())]
        ),
    };
    let path = format!("/activities?page={page}&page_size=20&station_id={station}{filter}");
    let outcome = ctx.timed(rec, Method::GET, &path, &me.token, None, None).await;
    let items = outcome.body["items"].as_array().map(Vec::len);
    if outcome.status != 200 || outcome.body["total"].as_u64().is_none() || items.is_none_or(|n| n > 20) {
        rec.violate(format!("GET {path} answered {}: {}", outcome.status, outcome.body));
    }
}

async fn signup(ctx: &Ctx, rng: &mut StdRng, rec: &mut Recorder) {
    let me = pick(&ctx.residents, rng);
    let own = &ctx.users.stations[me.station].open_activities;
    let Some(activity) = (!own.is_empty()).then(|| own[rng.random_range(0..own.len())]) else {
        return;
    };
    let path = format!("/activities/{activity}/signups");
    let outcome = ctx
        .timed(rec, Method::POST, &path, &me.token, Some(&json!({})), None)
        .await;
    match outcome.status {
        201 => {
            if let Ok(mut touched) = ctx.touched.lock() {
                touched.insert(activity);
            }
        }
        409 if outcome.body["code"] == "ALREADY_SIGNED_UP" => {}
        status => rec.violate(format!("POST {path} answered {status}: {}", outcome.body)),
    }
}

fn order_body(ctx: &Ctx, rng: &mut StdRng) -> Value {
    let platforms = &ctx.users.platform_ids;
    json!({
        "title": "上门服务",
        "description": "家里水龙头漏水，请志愿者帮忙看看",
        "platform_id": platforms[rng.random_range(0..platforms.len())],
        "address": "压测路 8 号 3 栋 201",
        "contact_phone": "13912345678",
    })
}

async fn submit(ctx: &Ctx, rng: &mut StdRng, rec: &mut Recorder) {
    let me = pick(&ctx.residents, rng);
    let key = uuid::Uuid::new_v4().to_string();
    let body = order_body(ctx, rng);
    let first = ctx
        .timed(rec, Method::POST, "/orders", &me.token, Some(&body), Some(&key))
        .await;
    if first.status != 201 {
        rec.violate(format!("POST /orders answered {}: {}", first.status, first.body));
        return;
    }
    if let Ok(mut created) = ctx.created.lock() {
        *created.entry(me.station).or_default() += 1;
    }
    if rng.random_range(0..10) == 0 {
        let again = ctx
            .timed(rec, Method::POST, "/orders", &me.token, Some(&body), Some(&key))
            .await;
        if !matches!(again.status, 200 | 201) || again.body["id"] != first.body["id"] {
            rec.violate(format!(
                "the retry with key {key} answered {} for order {} (first: {})",
                again.status, again.body["id"], first.body["id"]
            ));
        }
    }
}

async fn rush(ctx: &Ctx, op: usize, rec: &mut Recorder) {
    let Some(me) = ctx.residents.get(op) else { return };
    let path = format!("/activities/{}/signups", ctx.users.rush_activity.id);
    let outcome = ctx
        .timed(rec, Method::POST, &path, &me.token, Some(&json!({})), None)
        .await;
    if outcome.status != 201 {
        rec.violate(format!("POST {path} answered {}: {}", outcome.status, outcome.body));
    }
}

fn won(ctx: &Ctx, order: i32, user: i64) {
    if let Ok(mut wins) = ctx.wins.lock() {
        wins.entry(order).or_default().push(user);
    }
}

/// One volunteer's race: tries the station's open orders from a random start until one accept
/// succeeds; a lost race is 409 and anything else is a violation.
async fn grab(ctx: &Ctx, op: usize, rng: &mut StdRng, rec: &mut Recorder) {
    let Some(me) = ctx.volunteers.get(op) else { return };
    let orders = &ctx.users.stations[me.station].open_orders;
    if orders.is_empty() {
        return;
    }
    let start = rng.random_range(0..orders.len());
    for i in 0..orders.len() {
        let order = orders[(start + i) % orders.len()];
        let path = format!("/orders/{order}/accept");
        let outcome = ctx.timed(rec, Method::POST, &path, &me.token, None, None).await;
        match outcome.status {
            200 => {
                won(ctx, order, me.user_id);
                return;
            }
            409 => {}
            status => rec.violate(format!("POST {path} answered {status}: {}", outcome.body)),
        }
    }
}

async fn accept_one(ctx: &Ctx, rng: &mut StdRng, rec: &mut Recorder) {
    let me = pick(&ctx.volunteers, rng);
    let orders = &ctx.users.stations[me.station].open_orders;
    if orders.is_empty() {
        return;
    }
    let order = orders[rng.random_range(0..orders.len())];
    let path = format!("/orders/{order}/accept");
    let outcome = ctx.timed(rec, Method::POST, &path, &me.token, None, None).await;
    match outcome.status {
        200 => won(ctx, order, me.user_id),
        409 => {}
        status => rec.violate(format!("POST {path} answered {status}: {}", outcome.body)),
    }
}

/// Staff GET (untimed) that must answer 200.
async fn staff_get(ctx: &Ctx, token: &str, path: &str) -> Result<Value, String> {
    let (outcome, _, _) = ctx.api.send(Method::GET, path, Some(token), None, None).await;
    if outcome.status == 200 {
        Ok(outcome.body)
    } else {
        Err(format!("GET {path} answered {}: {}", outcome.status, outcome.body))
    }
}

fn staff_of<'a>(ctx: &Ctx, staff: &'a [Session], station_id: i32) -> Result<&'a Session, String> {
    staff
        .iter()
        .find(|s| ctx.users.stations[s.station].id == station_id)
        .ok_or_else(|| format!("no staff login for station {station_id}"))
}

/// Every sign-up of an activity, through `GET /activities/{id}/signups`, page by page.
async fn signups_of(ctx: &Ctx, staff: &[Session], activity: i32) -> Result<Vec<Value>, String> {
    let activity_body = staff_get(ctx, &staff[0].token, &format!("/activities/{activity}")).await?;
    let station = activity_body["station_id"].as_i64().unwrap_or_default() as i32;
    let token = &staff_of(ctx, staff, station)?.token;
    let mut items = Vec::new();
    for page in 1.. {
        let body = staff_get(
            ctx,
            token,
            &format!("/activities/{activity}/signups?page={page}&page_size=100"),
        )
        .await?;
        let total = body["total"].as_u64().ok_or("the sign-up list has no total")? as usize;
        let got = body["items"].as_array().cloned().unwrap_or_default();
        let empty = got.is_empty();
        items.extend(got);
        if items.len() >= total || empty {
            break;
        }
    }
    Ok(items)
}

/// Confirmed and waitlisted counts of an activity's sign-ups, checking that the waitlist
/// positions are exactly 1..n and that nobody is listed twice.
async fn tally(ctx: &Ctx, staff: &[Session], activity: i32) -> Result<(usize, usize, usize), String> {
    let items = signups_of(ctx, staff, activity).await?;
    let mut people = HashSet::new();
    let (mut confirmed, mut positions, mut other) = (0, Vec::new(), 0);
    for item in &items {
        if !people.insert(item["user_id"].to_string()) {
            return Err(format!("activity {activity}: user {} listed twice", item["user_id"]));
        }
        match item["status"].as_str() {
            Some("confirmed") => confirmed += 1,
            Some("waitlisted") => positions.push(item["position"].as_i64().unwrap_or(-1)),
            _ => other += 1,
        }
    }
    positions.sort_unstable();
    let expected: Vec<i64> = (1..=positions.len() as i64).collect();
    if positions != expected {
        return Err(format!(
            "activity {activity}: waitlist positions are not 1..{}: {:?}",
            positions.len(),
            &positions[..positions.len().min(20)]
        ));
    }
    Ok((confirmed, positions.len(), other))
}

async fn check_signups(ctx: &Ctx, staff: &[Session]) -> Result<String, String> {
    let touched: Vec<i32> = ctx
        .touched
        .lock()
        .map(|t| t.iter().copied().collect())
        .unwrap_or_default();
    let sample = &touched[..touched.len().min(50)];
    for activity in sample {
        let body = staff_get(ctx, &staff[0].token, &format!("/activities/{activity}")).await?;
        let capacity = body["capacity"].as_u64().unwrap_or_default() as usize;
        let (confirmed, waitlisted, _) = tally(ctx, staff, *activity).await?;
        if confirmed > capacity || (waitlisted > 0 && confirmed < capacity) {
            return Err(format!(
                "activity {activity}: {confirmed} confirmed and {waitlisted} waitlisted for {capacity} places"
            ));
        }
    }
    Ok(format!(
        "{} activities signed up for; {} checked: confirmed within capacity, waitlist 1..n, nobody twice",
        touched.len(),
        sample.len()
    ))
}

async fn check_rush(ctx: &Ctx, staff: &[Session], capacity: Option<i32>) -> Result<String, String> {
    let rush = &ctx.users.rush_activity;
    let capacity = capacity.unwrap_or(rush.capacity).max(0) as usize;
    let users = ctx.residents.len();
    let (confirmed, waitlisted, other) = tally(ctx, staff, rush.id).await?;
    let want_confirmed = capacity.min(users);
    let want_waitlisted = users - want_confirmed;
    if confirmed == want_confirmed && waitlisted == want_waitlisted && other == 0 {
        Ok(format!(
            "{users} residents: exactly {confirmed} confirmed, {waitlisted} waitlisted with positions 1..{waitlisted}, nothing else"
        ))
    } else {
        Err(format!(
            "{users} residents for {capacity} places: {confirmed} confirmed (want {want_confirmed}), {waitlisted} waitlisted (want {want_waitlisted}), {other} other"
        ))
    }
}

/// The users file's open orders that are open no more (taken by an earlier run).
async fn not_open(ctx: &Ctx, staff: &[Session]) -> Result<Vec<i32>, String> {
    let mut taken = Vec::new();
    for station in &ctx.users.stations {
        let token = &staff_of(ctx, staff, station.id)?.token;
        for order in &station.open_orders {
            let body = staff_get(ctx, token, &format!("/orders/{order}")).await?;
            if body["status"] != "open" {
                taken.push(*order);
            }
        }
    }
    Ok(taken)
}

async fn check_grab(ctx: &Ctx, staff: &[Session]) -> Result<String, String> {
    let wins = ctx.wins.lock().map(|w| w.clone()).unwrap_or_default();
    // Only stations with a volunteer in the race can have their orders taken.
    let racing: HashSet<usize> = ctx.volunteers.iter().map(|v| v.station).collect();
    let mut checked = 0;
    for (k, station) in ctx.users.stations.iter().enumerate() {
        if !racing.contains(&k) {
            continue;
        }
        let token = &staff_of(ctx, staff, station.id)?.token;
        for order in &station.open_orders {
            let winners = wins.get(order).cloned().unwrap_or_default();
            if winners.len() != 1 {
                return Err(format!("order {order} accepted {} times: {winners:?}", winners.len()));
            }
            let body = staff_get(ctx, token, &format!("/orders/{order}")).await?;
            if body["status"] != "accepted" || body["volunteer_id"].as_i64() != Some(winners[0]) {
                return Err(format!(
                    "order {order} is {} with volunteer {}, but {} won it",
                    body["status"], body["volunteer_id"], winners[0]
                ));
            }
            checked += 1;
        }
    }
    Ok(format!(
        "{} volunteers raced: each of {checked} open orders accepted exactly once, by the volunteer told 200",
        ctx.volunteers.len()
    ))
}

/// Each station's order total as its staff sees it.
async fn order_totals(ctx: &Ctx, staff: &[Session]) -> anyhow::Result<HashMap<usize, u64>> {
    let mut totals = HashMap::new();
    for s in staff {
        let body = staff_get(ctx, &s.token, "/orders?page=1&page_size=1")
            .await
            .map_err(|e| anyhow::anyhow!(e))?;
        totals.insert(s.station, body["total"].as_u64().unwrap_or_default());
    }
    Ok(totals)
}

async fn check_submit(ctx: &Ctx, staff: &[Session], before: HashMap<usize, u64>) -> Result<String, String> {
    let after = order_totals(ctx, staff).await.map_err(|e| e.to_string())?;
    let created = ctx.created.lock().map(|c| c.clone()).unwrap_or_default();
    let mut total = 0;
    for s in staff {
        let made = created.get(&s.station).copied().unwrap_or_default();
        let grew = after.get(&s.station).copied().unwrap_or_default() as i64
            - before.get(&s.station).copied().unwrap_or_default() as i64;
        if grew != made as i64 {
            return Err(format!(
                "station {}: {made} distinct keys, but {grew} new orders",
                ctx.users.stations[s.station].id
            ));
        }
        total += made;
    }
    Ok(format!(
        "{total} distinct idempotency keys, {total} new orders; every retry answered with the first order"
    ))
}

fn check_mixed(ctx: &Ctx) -> Result<String, String> {
    let wins = ctx.wins.lock().map(|w| w.clone()).unwrap_or_default();
    if let Some((order, winners)) = wins.iter().find(|(_, w)| w.len() > 1) {
        return Err(format!("order {order} accepted {} times: {winners:?}", winners.len()));
    }
    Ok(format!(
        "no order accepted twice ({} taken), retries answered the first order, statuses as expected",
        wins.len()
    ))
}
