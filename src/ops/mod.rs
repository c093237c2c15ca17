//! Operations: endpoints outside `/api/v1` (liveness, readiness, Prometheus metrics) and the
//! `backup` and `restore` commands.

pub mod backup;

pub mod metrics;
pub mod routes;
