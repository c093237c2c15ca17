//! The leave request state machine: `pending` → `approved` | `rejected` | `withdrawn`;
//! `pending` → `expired` when the activity starts before anyone decided (the job sweep), and
//! `pending` → `cancelled` when the activity is cancelled.
//!
//! Decisions happen only before the start, and nobody decides their own leave: a secretary's
//! request goes to a director, a director's to another director of the station or an admin.

pub use entity::enums::LeaveStatus;

/// A decision on a leave request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema, strum::IntoStaticStr)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum LeaveAction {
    Approve,
    Reject,
    Withdraw,
}

impl LeaveAction {
    /// The wire name, as answered in `allowed_actions`.
    pub fn name(self) -> &'static str {
        self.into()
    }
}

/// The caller's relation to a leave request.
#[derive(Debug, Clone, Copy, Default)]
pub struct LeaveActor {
    pub requester: bool,
    /// Secretary or director of the station.
    pub staff: bool,
    /// Director of the station.
    pub director: bool,
    /// The activity is a training (only the director decides).
    pub training: bool,
    /// The requester is a secretary or director of the station: only a director (another
    /// one, as nobody decides their own) or an admin decides.
    pub requester_is_staff: bool,
    /// The activity has started: nothing may change any more.
    pub started: bool,
}

/// Why a change is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LeaveRefusal {
    Forbidden,
    DirectorRequired,
    /// The caller asked for this leave themself.
    OwnRequest,
    NotPending,
    ActivityStarted,
}

/// The state `action` leads to, or why it is refused.
pub fn next(status: LeaveStatus, action: LeaveAction, actor: LeaveActor) -> Result<LeaveStatus, LeaveRefusal> {
    match action {
        LeaveAction::Approve | LeaveAction::Reject => {
            if !actor.staff {
                return Err(LeaveRefusal::Forbidden);
            }
            if actor.requester {
                return Err(LeaveRefusal::OwnRequest);
            }
            if (actor.training || actor.requester_is_staff) && !actor.director {
                return Err(LeaveRefusal::DirectorRequired);
            }
        }
        LeaveAction::Withdraw => {
            if !actor.requester {
                return Err(LeaveRefusal::Forbidden);
            }
        }
    }
    if status != LeaveStatus::Pending {
        return Err(LeaveRefusal::NotPending);
    }
    if actor.started {
        return Err(LeaveRefusal::ActivityStarted);
    }
    Ok(match action {
        LeaveAction::Approve => LeaveStatus::Approved,
        LeaveAction::Reject => LeaveStatus::Rejected,
        LeaveAction::Withdraw => LeaveStatus::Withdrawn,
    })
}

/// The actions open to the caller.
pub fn allowed_actions(status: LeaveStatus, actor: LeaveActor) -> Vec<&'static str> {
    [LeaveAction::Approve, LeaveAction::Reject, LeaveAction::Withdraw]
        .into_iter()
        .filter(|a| next(status, *a, actor).is_ok())
        .map(LeaveAction::name)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secretary_decides_ordinary_leave_but_not_training_leave() {
        let secretary = LeaveActor {
            staff: true,
            ..Default::default()
        };
        assert_eq!(
            next(LeaveStatus::Pending, LeaveAction::Approve, secretary),
            Ok(LeaveStatus::Approved)
        );
        let training = LeaveActor {
            training: true,
            ..secretary
        };
        assert_eq!(
            next(LeaveStatus::Pending, LeaveAction::Approve, training),
            Err(LeaveRefusal::DirectorRequired)
        );
        let director = LeaveActor {
            director: true,
            ..training
        };
        assert_eq!(
            next(LeaveStatus::Pending, LeaveAction::Reject, director),
            Ok(LeaveStatus::Rejected)
        );
    }

    #[test]
    fn only_the_requester_withdraws_and_only_while_pending() {
        let requester = LeaveActor {
            requester: true,
            ..Default::default()
        };
        assert_eq!(allowed_actions(LeaveStatus::Pending, requester), vec!["withdraw"]);
        assert_eq!(
            next(LeaveStatus::Approved, LeaveAction::Withdraw, requester),
            Err(LeaveRefusal::NotPending)
        );
    }

    #[test]
    fn nobody_decides_their_own_leave() {
        let director_asking = LeaveActor {
            requester: true,
            staff: true,
            director: true,
            requester_is_staff: true,
            ..Default::default()
        };
        assert_eq!(
            next(LeaveStatus::Pending, LeaveAction::Approve, director_asking),
            Err(LeaveRefusal::OwnRequest)
        );
        assert_eq!(allowed_actions(LeaveStatus::Pending, director_asking), vec!["withdraw"]);
        let other_director = LeaveActor {
            requester: false,
            ..director_asking
        };
        assert_eq!(
            allowed_actions(LeaveStatus::Pending, other_director),
            vec!["approve", "reject"]
        );
    }

    #[test]
    fn a_secretarys_leave_goes_to_a_director() {
        let secretary = LeaveActor {
            staff: true,
            requester_is_staff: true,
            ..Default::default()
        };
        assert_eq!(
            next(LeaveStatus::Pending, LeaveAction::Reject, secretary),
            Err(LeaveRefusal::DirectorRequired)
        );
        assert!(allowed_actions(LeaveStatus::Pending, secretary).is_empty());
    }

    #[test]
    fn nothing_is_decided_after_the_start() {
        let director = LeaveActor {
            staff: true,
            director: true,
            started: true,
            ..Default::default()
        };
        assert_eq!(
            next(LeaveStatus::Pending, LeaveAction::Approve, director),
            Err(LeaveRefusal::ActivityStarted)
        );
        assert!(allowed_actions(LeaveStatus::Pending, director).is_empty());
        let requester = LeaveActor {
            requester: true,
            started: true,
            ..Default::default()
        };
        assert!(allowed_actions(LeaveStatus::Pending, requester).is_empty());
        assert!(allowed_actions(LeaveStatus::Expired, requester).is_empty());
    }
}
