//! Prometheus metrics: request counts and latency histograms by route and status (recorded by
//! actix-web-prom), and database pool usage, read when scraped.

use prometheus::{IntCounterVec, IntGauge, Opts, Registry};
use sea_orm::{DatabaseBackend, DatabaseConnection};

/// The registry and the gauges this server updates itself.
#[derive(Clone)]
pub struct Metrics {
    pub registry: Registry,
    pool_size: IntGauge,
    pool_idle: IntGauge,
    pool_max: IntGauge,
    /// WeChat subscription messages by outcome: `sent`, `dropped`, `rejected`, `retry`.
    pub wechat_messages: IntCounterVec,
}

impl Metrics {
    pub fn new() -> anyhow::Result<Self> {
        let registry = Registry::new();
        let gauge = |name: &str, help: &str| -> anyhow::Result<IntGauge> {
            let g = IntGauge::new(name, help)?;
            registry.register(Box::new(g.clone()))?;
            Ok(g)
        };
        Ok(Self {
            pool_size: gauge("wenming_db_pool_connections", "Open database connections")?,
            pool_idle: gauge("wenming_db_pool_idle_connections", "Idle database connections")?,
            pool_max: gauge(
                "wenming_db_pool_max_connections",
                "Configured maximum of database connections",
            )?,
            wechat_messages: {
                let counter = IntCounterVec::new(
                    Opts::new(
                        "wenming_wechat_messages_total",
                        "WeChat subscription messages tried, by outcome",
                    ),
                    &["outcome"],
                )?;
                registry.register(Box::new(counter.clone()))?;
                counter
            },
            registry,
        })
    }

    /// Reads the pool's current state into the gauges.
    pub fn observe_pool(&self, db: &DatabaseConnection, max: u32) {
        let (size, idle) = match db.get_database_backend() {
            DatabaseBackend::Postgres => {
                let pool = db.get_postgres_connection_pool();
                (pool.size(), pool.num_idle())
            }
            DatabaseBackend::Sqlite => {
                let pool = db.get_sqlite_connection_pool();
                (pool.size(), pool.num_idle())
            }
            _ => (0, 0),
        };
        self.pool_size.set(i64::from(size));
        self.pool_idle.set(idle as i64);
        self.pool_max.set(i64::from(max));
    }

    /// The text exposition of every metric.
    pub fn render(&self) -> String {
        let encoder = prometheus::TextEncoder::new();
        encoder.encode_to_string(&self.registry.gather()).unwrap_or_default()
    }
}
