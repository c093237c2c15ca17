//! The annual plan state machine: `draft --submit--> pending_approval --approve--> approved`,
//! `pending_approval --reject--> draft`.
//!
//! Staff of the station (secretary or director) write and submit the plan; only a director of
//! the station approves or rejects it. A director may approve a plan they drafted themselves:
//! the plan is the station's, not a personal request, and the district inspects the result.

pub use entity::enums::PlanStatus;

/// A change to an annual plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema, strum::IntoStaticStr)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum PlanAction {
    Edit,
    Submit,
    Approve,
    Reject,
}

impl PlanAction {
    pub const ALL: [PlanAction; 4] = [Self::Edit, Self::Submit, Self::Approve, Self::Reject];

    /// The wire name, as answered in `allowed_actions`.
    pub fn name(self) -> &'static str {
        self.into()
    }
}

/// A step of a plan's history: its creation or a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema, strum::IntoStaticStr)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum PlanEventAction {
    Create,
    Edit,
    Submit,
    Approve,
    Reject,
}

impl From<PlanAction> for PlanEventAction {
    fn from(action: PlanAction) -> Self {
        match action {
            PlanAction::Edit => Self::Edit,
            PlanAction::Submit => Self::Submit,
            PlanAction::Approve => Self::Approve,
            PlanAction::Reject => Self::Reject,
        }
    }
}

/// The caller's relation to a plan's station.
#[derive(Debug, Clone, Copy, Default)]
pub struct PlanActor {
    /// Secretary or director of the station (or admin): writes and submits.
    pub staff: bool,
    /// Director of the station (or admin): approves and rejects.
    pub director: bool,
}

/// Why a change is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlanRefusal {
    /// Not staff of the station (403 `FORBIDDEN`).
    Forbidden,
    /// Staff, but only a director decides (403 `DIRECTOR_REQUIRED`).
    DirectorRequired,
    /// Not in a state this change applies to (409 `PLAN_STATE_CONFLICT`).
    WrongState,
}

/// The status `action` leads to, or why it is refused. Roles are checked before the state, so
/// a caller who may never do this learns that rather than the plan's state.
pub fn next(status: PlanStatus, action: PlanAction, actor: PlanActor) -> Result<PlanStatus, PlanRefusal> {
    match action {
        PlanAction::Edit | PlanAction::Submit => {
            if !actor.staff {
                return Err(PlanRefusal::Forbidden);
            }
        }
        PlanAction::Approve | PlanAction::Reject => {
            if !actor.staff && !actor.director {
                return Err(PlanRefusal::Forbidden);
            }
            if !actor.director {
                return Err(PlanRefusal::DirectorRequired);
            }
        }
    }
    match (action, status) {
        (PlanAction::Edit, PlanStatus::Draft) => Ok(PlanStatus::Draft),
        (PlanAction::Submit, PlanStatus::Draft) => Ok(PlanStatus::PendingApproval),
        (PlanAction::Approve, PlanStatus::PendingApproval) => Ok(PlanStatus::Approved),
        (PlanAction::Reject, PlanStatus::PendingApproval) => Ok(PlanStatus::Draft),
        _ => Err(PlanRefusal::WrongState),
    }
}

/// The actions open to the caller right now: `edit`, `submit`, `approve`, `reject`.
pub fn allowed_actions(status: PlanStatus, actor: PlanActor) -> Vec<&'static str> {
    PlanAction::ALL
        .into_iter()
        .filter(|a| next(status, *a, actor).is_ok())
        .map(PlanAction::name)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRETARY: PlanActor = PlanActor {
        staff: true,
        director: false,
    };
    const DIRECTOR: PlanActor = PlanActor {
        staff: true,
        director: true,
    };
    const OUTSIDER: PlanActor = PlanActor {
        staff: false,
        director: false,
    };

    #[test]
    fn a_plan_goes_from_draft_through_approval() {
        assert_eq!(
            next(PlanStatus::Draft, PlanAction::Submit, SECRETARY),
            Ok(PlanStatus::PendingApproval)
        );
        assert_eq!(
            next(PlanStatus::PendingApproval, PlanAction::Approve, DIRECTOR),
            Ok(PlanStatus::Approved)
        );
        assert_eq!(
            next(PlanStatus::PendingApproval, PlanAction::Reject, DIRECTOR),
            Ok(PlanStatus::Draft)
        );
    }

    #[test]
    fn only_a_director_decides() {
        assert_eq!(
            next(PlanStatus::PendingApproval, PlanAction::Approve, SECRETARY),
            Err(PlanRefusal::DirectorRequired)
        );
        assert_eq!(
            next(PlanStatus::PendingApproval, PlanAction::Reject, OUTSIDER),
            Err(PlanRefusal::Forbidden)
        );
        assert!(allowed_actions(PlanStatus::PendingApproval, SECRETARY).is_empty());
        assert_eq!(
            allowed_actions(PlanStatus::PendingApproval, DIRECTOR),
            vec!["approve", "reject"]
        );
    }

    #[test]
    fn only_drafts_are_edited_and_submitted() {
        assert_eq!(allowed_actions(PlanStatus::Draft, SECRETARY), vec!["edit", "submit"]);
        assert_eq!(
            next(PlanStatus::Approved, PlanAction::Edit, SECRETARY),
            Err(PlanRefusal::WrongState)
        );
        assert_eq!(
            next(PlanStatus::PendingApproval, PlanAction::Submit, SECRETARY),
            Err(PlanRefusal::WrongState)
        );
        assert_eq!(
            next(PlanStatus::Draft, PlanAction::Approve, DIRECTOR),
            Err(PlanRefusal::WrongState)
        );
    }

    #[test]
    fn an_approved_plan_is_final_and_outsiders_may_do_nothing() {
        assert!(allowed_actions(PlanStatus::Approved, DIRECTOR).is_empty());
        for status in [PlanStatus::Draft, PlanStatus::PendingApproval, PlanStatus::Approved] {
            assert!(allowed_actions(status, OUTSIDER).is_empty());
        }
        assert_eq!(
            next(PlanStatus::Draft, PlanAction::Edit, OUTSIDER),
            Err(PlanRefusal::Forbidden)
        );
    }
}
