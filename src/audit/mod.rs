//! The audit log (issue 11): who did what to which record, when and from where, for staff
//! actions (role grants, approvals, cancellations, corrections, exports, reads of a full phone
//! number). Entries are written in the same transaction as the action they describe, read by
//! admins (all) and supervisors (their district), and never changed through the API.

pub mod routes;
pub mod service;
pub mod types;

pub use service::{AuditEntry, Origin, record};
