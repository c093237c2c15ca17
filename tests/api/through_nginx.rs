//! `TEST_CLUSTER_REPLICAS=N` (PostgreSQL only): each test's server becomes N replicas on the
//! test's database behind an nginx of its own, configured from `deploy/nginx.conf.template`, so
//! that every request of the suite crosses nginx and lands on any replica. Each replica has its
//! own process state (limits, notification hubs, caches): only what the database, Redis and
//! `LISTEN` share holds across them. With `TEST_PGBOUNCER_URL` the replicas reach the database
//! through PgBouncer (the notification listener goes straight to PostgreSQL); with
//! `TEST_REDIS_URL` they share their limits. `deploy/cluster test` sets all three.

use std::{
    net::TcpListener,
    path::Path,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

/// How many replicas a test's server is (`TEST_CLUSTER_REPLICAS`), when more than one.
pub fn replicas() -> Option<usize> {
    let n: usize = std::env::var("TEST_CLUSTER_REPLICAS").ok()?.trim().parse().ok()?;
    (n > 1).then_some(n)
}

/// The settings that make `n` processes one deployment: the pooler between them and the
/// database, the listener past it, the limits in Redis under a prefix of this test's own.
pub fn replica_settings(database_url: &str) -> Vec<(String, String)> {
    let mut vars = Vec::new();
    if let Ok(pooler) = std::env::var("TEST_PGBOUNCER_URL")
        && !pooler.is_empty()
    {
        let (_, name) = database_url.rsplit_once('/').expect("database url has a name");
        vars.push((
            "DATABASE_URL".into(),
            format!("{}/{name}", pooler.trim_end_matches('/')),
        ));
        vars.push(("DATABASE_LISTEN_URL".into(), database_url.to_owned()));
        // PgBouncer cannot pass the lock_timeout startup option on (deploy/pgbouncer.ini.template).
    }
    if let Ok(redis) = std::env::var("TEST_REDIS_URL")
        && !redis.is_empty()
    {
        vars.push(("REDIS_URL".into(), redis));
        vars.push((
            "REDIS_KEY_PREFIX".into(),
            format!("wenming-test-{}", uuid::Uuid::new_v4().simple()),
        ));
    }
    vars
}

/// nginx in front of a test's replicas; stopped when dropped.
pub struct Nginx {
    child: Child,
    pub address: String,
    _dir: tempfile::TempDir,
}

impl Nginx {
    pub async fn start(upstream_ports: &[u16]) -> Nginx {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path();
        for sub in [
            "nginx/client_body",
            "nginx/proxy",
            "nginx/fastcgi",
            "nginx/uwsgi",
            "nginx/scgi",
        ] {
            std::fs::create_dir_all(state.join(sub)).unwrap();
        }
        let port = free_port();
        let upstreams: Vec<String> = upstream_ports
            .iter()
            .map(|p| format!("        server 127.0.0.1:{p} max_fails=3 fail_timeout=5s;"))
            .collect();
        let template =
            std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/nginx.conf.template"))
                .expect("deploy/nginx.conf.template");
        let config = template
            .replace("@STATE@", &state.display().to_string())
            .replace("@LISTEN@", &format!("127.0.0.1:{port}"))
            .replace("@UPSTREAMS@", &upstreams.join("\n"));
        let config_path = state.join("nginx/nginx.conf");
        std::fs::write(&config_path, config).unwrap();
        let child = Command::new(nginx_binary())
            .arg("-p")
            .arg(state.join("nginx"))
            .arg("-c")
            .arg(&config_path)
            .args(["-g", "daemon off;"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("nginx runs (deploy/cluster installs it)");
        let address = format!("http://127.0.0.1:{port}");
        let mut nginx = Nginx {
            child,
            address,
            _dir: dir,
        };
        nginx.wait_ready().await;
        nginx
    }

    async fn wait_ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        let url = format!("{}/healthz", self.address);
        loop {
            if let Ok(reply) = reqwest::get(&url).await
                && reply.status().is_success()
            {
                return;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                let log = std::fs::read_to_string(self._dir.path().join("nginx/error.log")).unwrap_or_default();
                panic!("nginx exited ({status}): {log}");
            }
            assert!(Instant::now() < deadline, "nginx did not answer at {url}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        // TERM: the master stops its workers too (a KILLed master would leave them listening).
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
    }
}

fn nginx_binary() -> &'static str {
    if Path::new("/usr/sbin/nginx").exists() {
        "/usr/sbin/nginx"
    } else {
        "nginx"
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}
