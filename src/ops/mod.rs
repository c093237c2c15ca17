//! Operations endpoints outside `/api/v1`: liveness, readiness and Prometheus metrics.

pub mod metrics;
pub mod routes;
