//! The commendation state machine (先进评选):
//!
//! ```text
//! pending --approve (director)--> notice --notice_ends_at passed, no open objection--> final
//! pending | notice --reject(reason) (director)--> rejected
//! ```
//!
//! During the notice (公示) any logged-in user may object once; the director answers each
//! objection. An unanswered objection holds the commendation under notice past
//! `notice_ends_at` (nobody may object any more then) until the director answers it or rejects
//! the commendation: a commendation never becomes final over an open objection.

use chrono::{DateTime, Utc};

pub use entity::enums::CommendationStatus;

/// The status a reader sees: a stored `notice` whose notice has ended with no open objection is
/// `final` already, whether or not the sweep has written it yet.
pub fn effective_status(
    status: CommendationStatus,
    notice_ends_at: Option<DateTime<Utc>>,
    open_objections: i32,
    now: DateTime<Utc>,
) -> CommendationStatus {
    match (status, notice_ends_at) {
        (CommendationStatus::Notice, Some(ends)) if now >= ends && open_objections == 0 => CommendationStatus::Final,
        _ => status,
    }
}

/// Something done to a commendation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema, strum::IntoStaticStr)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
#[schema(as = CommendationAction)]
pub enum Action {
    Approve,
    Reject,
    Object,
    Answer,
}

impl Action {
    /// The wire name, as answered in `allowed_actions`.
    pub fn name(self) -> &'static str {
        self.into()
    }
}

/// The caller's relation to a commendation, and the facts the rules need.
#[derive(Debug, Clone, Copy, Default)]
pub struct Actor {
    /// Logged in at all.
    pub user: bool,
    /// Secretary or director of the station (or admin).
    pub staff: bool,
    /// Director of the station (or admin).
    pub director: bool,
    /// The caller made the nomination (nobody approves their own).
    pub nominator: bool,
    /// The caller has objected to it already.
    pub objected: bool,
    /// The notice period is still running (`now < notice_ends_at`).
    pub notice_running: bool,
    /// Objections waiting for the director's answer.
    pub open_objections: i32,
}

/// Why an action is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    Forbidden,
    DirectorRequired,
    OwnNomination,
    NotPending,
    Closed,
    NotUnderNotice,
    AlreadyObjected,
    NothingToAnswer,
}

/// The status `action` leads to (unchanged for objections and answers), or why it is refused.
/// `status` is the effective status.
pub fn next(status: CommendationStatus, action: Action, actor: Actor) -> Result<CommendationStatus, Refusal> {
    use CommendationStatus::{Final, Notice, Pending, Rejected};
    match action {
        Action::Approve | Action::Reject | Action::Answer => {
            if !actor.staff {
                return Err(Refusal::Forbidden);
            }
            if !actor.director {
                return Err(Refusal::DirectorRequired);
            }
        }
        Action::Object => {
            if !actor.user {
                return Err(Refusal::Forbidden);
            }
        }
    }
    match action {
        Action::Approve => {
            if actor.nominator {
                return Err(Refusal::OwnNomination);
            }
            if status != Pending {
                return Err(Refusal::NotPending);
            }
            Ok(Notice)
        }
        Action::Reject => match status {
            Pending | Notice => Ok(Rejected),
            Final | Rejected => Err(Refusal::Closed),
        },
        Action::Object => {
            if status != Notice || !actor.notice_running {
                return Err(Refusal::NotUnderNotice);
            }
            if actor.objected {
                return Err(Refusal::AlreadyObjected);
            }
            Ok(status)
        }
        Action::Answer => {
            if actor.open_objections == 0 {
                return Err(Refusal::NothingToAnswer);
            }
            Ok(status)
        }
    }
}

/// The actions open to the caller right now.
pub fn allowed_actions(status: CommendationStatus, actor: Actor) -> Vec<&'static str> {
    [Action::Approve, Action::Reject, Action::Object, Action::Answer]
        .into_iter()
        .filter(|a| next(status, *a, actor).is_ok())
        .map(Action::name)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use CommendationStatus::*;
    use chrono::Duration;

    fn director() -> Actor {
        Actor {
            user: true,
            staff: true,
            director: true,
            ..Default::default()
        }
    }

    fn secretary() -> Actor {
        Actor {
            user: true,
            staff: true,
            ..Default::default()
        }
    }

    #[test]
    fn only_a_director_approves_and_never_their_own_nomination() {
        assert_eq!(next(Pending, Action::Approve, director()), Ok(Notice));
        assert_eq!(
            next(Pending, Action::Approve, secretary()),
            Err(Refusal::DirectorRequired)
        );
        let resident = Actor {
            user: true,
            ..Default::default()
        };
        assert_eq!(next(Pending, Action::Approve, resident), Err(Refusal::Forbidden));
        let own = Actor {
            nominator: true,
            ..director()
        };
        assert_eq!(next(Pending, Action::Approve, own), Err(Refusal::OwnNomination));
        assert_eq!(allowed_actions(Pending, own), vec!["reject"]);
    }

    #[test]
    fn a_director_rejects_while_pending_or_under_notice_only() {
        assert_eq!(next(Pending, Action::Reject, director()), Ok(Rejected));
        assert_eq!(next(Notice, Action::Reject, director()), Ok(Rejected));
        assert_eq!(next(Final, Action::Reject, director()), Err(Refusal::Closed));
        assert_eq!(next(Rejected, Action::Reject, director()), Err(Refusal::Closed));
        assert_eq!(next(Notice, Action::Approve, director()), Err(Refusal::NotPending));
    }

    #[test]
    fn anyone_logged_in_objects_once_while_the_notice_runs() {
        let reader = Actor {
            user: true,
            notice_running: true,
            ..Default::default()
        };
        assert_eq!(allowed_actions(Notice, reader), vec!["object"]);
        assert_eq!(
            next(
                Notice,
                Action::Object,
                Actor {
                    objected: true,
                    ..reader
                }
            ),
            Err(Refusal::AlreadyObjected)
        );
        let late = Actor {
            notice_running: false,
            ..reader
        };
        assert_eq!(next(Notice, Action::Object, late), Err(Refusal::NotUnderNotice));
        assert_eq!(next(Pending, Action::Object, reader), Err(Refusal::NotUnderNotice));
        assert!(allowed_actions(Notice, Actor::default()).is_empty());
    }

    #[test]
    fn the_director_answers_only_when_an_objection_is_open() {
        assert_eq!(next(Notice, Action::Answer, director()), Err(Refusal::NothingToAnswer));
        let open = Actor {
            open_objections: 1,
            ..director()
        };
        assert_eq!(allowed_actions(Notice, open), vec!["reject", "answer"]);
        assert_eq!(
            next(
                Notice,
                Action::Answer,
                Actor {
                    open_objections: 1,
                    ..secretary()
                }
            ),
            Err(Refusal::DirectorRequired)
        );
    }

    #[test]
    fn the_notice_ends_final_only_without_open_objections() {
        let now = Utc::now();
        let ended = Some(now - Duration::seconds(1));
        let running = Some(now + Duration::days(1));
        assert_eq!(effective_status(Notice, ended, 0, now), Final);
        assert_eq!(effective_status(Notice, ended, 1, now), Notice);
        assert_eq!(effective_status(Notice, running, 0, now), Notice);
        assert_eq!(effective_status(Pending, ended, 0, now), Pending);
        assert_eq!(effective_status(Rejected, ended, 0, now), Rejected);
    }
}
