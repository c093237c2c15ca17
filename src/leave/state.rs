//! The leave request state machine: `pending` → `approved` | `rejected` | `withdrawn`, or
//! `cancelled` when the activity is cancelled while the request is pending.

pub use entity::enums::LeaveStatus;

/// A decision on a leave request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LeaveAction {
    Approve,
    Reject,
    Withdraw,
}

impl LeaveAction {
    pub fn name(self) -> &'static str {
        match self {
            Self::Approve => "approve",
            Self::Reject => "reject",
            Self::Withdraw => "withdraw",
        }
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
}

/// Why a change is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LeaveRefusal {
    Forbidden,
    DirectorRequired,
    NotPending,
}

/// The state `action` leads to, or why it is refused.
pub fn next(status: LeaveStatus, action: LeaveAction, actor: LeaveActor) -> Result<LeaveStatus, LeaveRefusal> {
    match action {
        LeaveAction::Approve | LeaveAction::Reject => {
            if !actor.staff {
                return Err(LeaveRefusal::Forbidden);
            }
            if actor.training && !actor.director {
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
}
