//! A PostgreSQL restart while the server runs: meanwhile `/readyz` and the API answer 503
//! promptly (never 500, never a hang), and once the database is back the server serves again by
//! itself. The test runs its own PostgreSQL cluster, so the shared one is never restarted; it
//! runs on the PostgreSQL leg (`TEST_DATABASE_URL` set) and then needs the server binaries.

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::json;

use crate::helpers::*;

/// A throwaway PostgreSQL cluster in a temporary folder, on its own port; stopped and removed
/// when dropped, whatever the test's outcome.
struct PrivateCluster {
    bin: PathBuf,
    dir: tempfile::TempDir,
    port: u16,
    /// initdb and postgres refuse to run as root: as root they run as the `postgres` user.
    as_postgres: bool,
}

impl PrivateCluster {
    fn create() -> Self {
        let bin = std::fs::read_dir("/usr/lib/postgresql")
            .expect("the PostgreSQL server binaries (/usr/lib/postgresql/<version>/bin) are installed")
            .filter_map(|entry| Some(entry.ok()?.path().join("bin")))
            .filter(|bin| bin.join("initdb").exists() && bin.join("pg_ctl").exists())
            .max()
            .expect("initdb and pg_ctl under /usr/lib/postgresql/<version>/bin");
        let uid = Command::new("id").arg("-u").output().expect("id runs");
        let as_postgres = String::from_utf8_lossy(&uid.stdout).trim() == "0";
        let dir = tempfile::tempdir().unwrap();
        if as_postgres {
            run(Command::new("chown").args(["postgres:postgres"]).arg(dir.path()));
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let cluster = PrivateCluster {
            bin,
            dir,
            port,
            as_postgres,
        };
        let data = cluster.data();
        run(cluster
            .command("initdb")
            .args(["-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync", "-D"])
            .arg(&data));
        cluster.start();
        cluster
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn command(&self, program: &str) -> Command {
        let program = self.bin.join(program);
        if self.as_postgres {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(program);
            command
        } else {
            Command::new(program)
        }
    }

    fn start(&self) {
        let options = format!(
            "-c listen_addresses=127.0.0.1 -p {} -k {} -c fsync=off",
            self.port,
            self.dir.path().display()
        );
        run(self
            .command("pg_ctl")
            .arg("-D")
            .arg(self.data())
            .arg("-l")
            .arg(self.dir.path().join("postgres.log"))
            .args(["-w", "-t", "30", "-o", &options, "start"]));
    }

    /// `pg_ctl stop` in `mode` (`fast`: sessions are ended; `immediate`: no clean shutdown, the
    /// next start recovers from the write-ahead log).
    fn stop(&self, mode: &str) {
        run(self
            .command("pg_ctl")
            .arg("-D")
            .arg(self.data())
            .args(["-w", "-t", "30", "-m", mode, "stop"]));
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }
}

impl Drop for PrivateCluster {
    fn drop(&mut self) {
        let _ = self
            .command("pg_ctl")
            .arg("-D")
            .arg(self.data())
            .args(["-m", "immediate", "stop"])
            .output();
    }
}

#[track_caller]
fn run(command: &mut Command) {
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("{command:?} could not run: {e}"));
    assert!(
        output.status.success(),
        "{command:?} failed: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Runs blocking cluster work off the runtime's threads.
async fn blocking<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::task::spawn_blocking(work).await.unwrap()
}

/// The longest a request may take while the database is down: the acquire timeout the test
/// sets (2 s), plus the margin of a loaded machine.
const DOWN_ANSWER_WITHIN: Duration = Duration::from_secs(5);

/// Asserts `reply` is 503 `code` with a `Retry-After` and came within [`DOWN_ANSWER_WITHIN`].
#[track_caller]
fn assert_prompt_503(reply: &Reply, code: &str, took: Duration, what: &str) {
    reply.assert_problem(503, code);
    assert!(reply.headers.contains_key("retry-after"), "{what}");
    assert!(took < DOWN_ANSWER_WITHIN, "{what} answered after {took:?}");
}

async fn timed<F: Future<Output = Reply>>(request: F) -> (Reply, Duration) {
    let started = Instant::now();
    let reply = request.await;
    (reply, started.elapsed())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_rides_out_a_postgres_restart_and_recovers_by_itself() {
    if std::env::var("TEST_DATABASE_URL").map_or(true, |u| u.is_empty()) {
        return; // the PostgreSQL leg runs this; SQLite has no server to restart
    }
    let cluster = std::sync::Arc::new(blocking(PrivateCluster::create).await);
    let settings = [("DB_ACQUIRE_TIMEOUT_SECS", "2"), ("DB_CONNECT_TIMEOUT_SECS", "2")];
    let app = spawn_app_on(TestDatabase::at(cluster.url()), &settings).await;
    let admin = app.admin_token().await;
    let station = |name: &str| json!({"name": name, "district": DISTRICT, "address": "东湖路 1 号"});
    app.post("/stations", Some(&admin), station("重启前的站"))
        .await
        .assert_status(201);
    app.get("/readyz", None).await.assert_status(200);

    for mode in ["fast", "immediate"] {
        let stopping = cluster.clone();
        let mode_owned = mode.to_owned();
        blocking(move || stopping.stop(&mode_owned)).await;

        // Several callers at once, as in production; each is answered on its own.
        let (readyz, stations, me, create, login) = tokio::join!(
            timed(app.get("/readyz", None)),
            timed(app.get("/stations", None)),
            timed(app.get("/me", Some(&admin))),
            timed(app.post("/stations", Some(&admin), station("停库时新建的站"))),
            timed(app.login(ADMIN_PHONE, ADMIN_PASSWORD)),
        );
        assert_prompt_503(&readyz.0, "SERVICE_UNAVAILABLE", readyz.1, "/readyz");
        for ((reply, took), what) in [
            (stations, "GET /stations"),
            (me, "GET /me"),
            (create, "POST /stations"),
            (login, "POST /auth/login"),
        ] {
            assert_prompt_503(&reply, "DATABASE_UNAVAILABLE", took, what);
            eprintln!(
                "postgres down ({mode} stop): {what} answered 503 in {} ms",
                took.as_millis()
            );
        }

        let starting = cluster.clone();
        blocking(move || starting.start()).await;
        let restarted = Instant::now();
        let mut ready = false;
        while restarted.elapsed() < Duration::from_secs(10) {
            if app.get("/readyz", None).await.status == 200 {
                ready = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(ready, "not ready 10 s after PostgreSQL came back ({mode} stop)");
        eprintln!(
            "postgres restart ({mode} stop): ready again {} ms after the start",
            restarted.elapsed().as_millis()
        );
        let name = format!("{mode} 重启后的站");
        app.post("/stations", Some(&admin), station(&name))
            .await
            .assert_status(201);
        let listed = app.get("/stations?page_size=100", None).await;
        let listed = listed.assert_status(200);
        for kept in ["重启前的站", name.as_str()] {
            assert!(listed.to_string().contains(kept), "{kept} is gone: {listed}");
        }
        assert!(!listed.to_string().contains("停库时新建的站"));
        app.token(ADMIN_PHONE, ADMIN_PASSWORD).await;
    }
}
