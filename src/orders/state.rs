//! The service-order state machine (群众点单、中心派单、志愿者接单、群众评单) as a pure function:
//! (state, action, the caller's relation to the order) → the next state, or why not.
//!
//! ```text
//! submitted --dispatch(open)--> open --accept--> accepted --start--> in_service --complete--> completed --rate--> rated
//! submitted --dispatch(volunteer|team)--> assigned --accept--> accepted
//! assigned --decline--> submitted             accepted --release (before start)--> open
//! open | assigned --redispatch(staff)--> open | assigned | submitted
//! submitted --reject(reason)--> rejected
//! submitted | open | assigned | accepted --cancel--> cancelled   (resident; staff also in_service)
//! open --deadline passes--> expired           completed --7 days unrated--> rated (auto)
//! ```

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub use entity::enums::OrderStatus;

/// A transition a person may ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OrderAction {
    Dispatch,
    Reject,
    Accept,
    Decline,
    Release,
    Start,
    Complete,
    Rate,
    Cancel,
    /// Record the outcome of the follow-up call (回访) after a low rating.
    FollowUp,
    /// Staff pull an open or assigned order back, or move it to another volunteer or team.
    Redispatch,
}

/// A step of an order's timeline: a person's transition, or what the system did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema, strum::IntoStaticStr, strum::VariantArray)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum OrderEventAction {
    /// The resident (or staff for them, 代点单) placed the order.
    Submit,
    Dispatch,
    Redispatch,
    Reject,
    Accept,
    Decline,
    Release,
    Start,
    Complete,
    Rate,
    Cancel,
    FollowUp,
    /// The volunteer was deactivated or left the team: the order went back to the station.
    Return,
    /// Waiting too long to be dispatched (`submitted`) or accepted (`assigned`): the station's
    /// staff were told again.
    Escalate,
    /// The order's deadline passed while it was still open.
    Expire,
    /// Completed and unrated for 7 days: rated automatically.
    AutoConfirm,
}

impl OrderEventAction {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

impl From<OrderAction> for OrderEventAction {
    fn from(action: OrderAction) -> Self {
        match action {
            OrderAction::Dispatch => Self::Dispatch,
            OrderAction::Redispatch => Self::Redispatch,
            OrderAction::Reject => Self::Reject,
            OrderAction::Accept => Self::Accept,
            OrderAction::Decline => Self::Decline,
            OrderAction::Release => Self::Release,
            OrderAction::Start => Self::Start,
            OrderAction::Complete => Self::Complete,
            OrderAction::Rate => Self::Rate,
            OrderAction::Cancel => Self::Cancel,
            OrderAction::FollowUp => Self::FollowUp,
        }
    }
}

impl OrderAction {
    pub const ALL: [OrderAction; 11] = [
        OrderAction::Dispatch,
        OrderAction::Redispatch,
        OrderAction::Reject,
        OrderAction::Accept,
        OrderAction::Decline,
        OrderAction::Release,
        OrderAction::Start,
        OrderAction::Complete,
        OrderAction::Rate,
        OrderAction::Cancel,
        OrderAction::FollowUp,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            OrderAction::Dispatch => "dispatch",
            OrderAction::Reject => "reject",
            OrderAction::Accept => "accept",
            OrderAction::Decline => "decline",
            OrderAction::Release => "release",
            OrderAction::Start => "start",
            OrderAction::Complete => "complete",
            OrderAction::Rate => "rate",
            OrderAction::Cancel => "cancel",
            OrderAction::FollowUp => "follow_up",
            OrderAction::Redispatch => "redispatch",
        }
    }
}

/// How the caller stands to one order.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Actor {
    /// The resident the order is for.
    pub is_owner: bool,
    /// Secretary or director of the order's station, or admin.
    pub is_staff: bool,
    /// A volunteer of the order's station (may take open orders).
    pub is_station_volunteer: bool,
    /// The volunteer named on the order (dispatched to, or who accepted).
    pub is_named_volunteer: bool,
    /// A member of the team the order is dispatched to.
    pub is_team_member: bool,
}

/// Why a transition is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The caller may never do this to this order (403).
    NotAllowed,
    /// Not in this state (409 with the code).
    WrongState(&'static str),
}

/// The dispatch target chosen by staff.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DispatchMode {
    /// To the station's pool.
    Open,
    /// To one volunteer or one team.
    Direct,
    /// Back to the station (`submitted`), only when re-dispatching.
    Back,
}

/// Facts besides the status that some transitions depend on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Facts {
    pub follow_up_pending: bool,
    /// The caller, a member of the team the order is dispatched to, has declined it.
    pub declined_by_caller: bool,
}

/// The state after `action`, or why the caller may not take it now.
pub fn next(
    status: OrderStatus,
    action: OrderAction,
    actor: Actor,
    facts: Facts,
    mode: Option<DispatchMode>,
) -> Result<OrderStatus, Refusal> {
    use OrderAction as A;
    use OrderStatus as S;
    let wrong = Refusal::WrongState("INVALID_ORDER_STATE");
    match action {
        A::Dispatch => {
            if !actor.is_staff {
                return Err(Refusal::NotAllowed);
            }
            match (status, mode) {
                (S::Submitted, Some(DispatchMode::Open) | None) => Ok(S::Open),
                (S::Submitted, Some(DispatchMode::Direct)) => Ok(S::Assigned),
                _ => Err(Refusal::WrongState("ORDER_NOT_SUBMITTED")),
            }
        }
        A::Redispatch => {
            if !actor.is_staff {
                return Err(Refusal::NotAllowed);
            }
            let not = Refusal::WrongState("ORDER_NOT_REDISPATCHABLE");
            match (status, mode) {
                (S::Open, Some(DispatchMode::Open)) => Err(not),
                (S::Assigned, Some(DispatchMode::Open)) => Ok(S::Open),
                (S::Open | S::Assigned, Some(DispatchMode::Direct)) => Ok(S::Assigned),
                (S::Open | S::Assigned, Some(DispatchMode::Back)) => Ok(S::Submitted),
                (S::Open | S::Assigned, None) => Ok(status),
                _ => Err(not),
            }
        }
        A::Reject => {
            if !actor.is_staff {
                return Err(Refusal::NotAllowed);
            }
            match status {
                S::Submitted => Ok(S::Rejected),
                _ => Err(Refusal::WrongState("ORDER_NOT_SUBMITTED")),
            }
        }
        A::Accept => {
            // Nobody serves their own order.
            if actor.is_owner {
                return Err(Refusal::NotAllowed);
            }
            let may = match status {
                S::Open => actor.is_station_volunteer,
                S::Assigned => actor.is_named_volunteer || actor.is_team_member,
                _ => actor.is_station_volunteer || actor.is_named_volunteer || actor.is_team_member,
            };
            if !may {
                return Err(Refusal::NotAllowed);
            }
            if status == S::Assigned && facts.declined_by_caller {
                return Err(Refusal::WrongState("ORDER_ALREADY_DECLINED"));
            }
            match status {
                S::Open | S::Assigned => Ok(S::Accepted),
                _ => Err(Refusal::WrongState("ORDER_ALREADY_TAKEN")),
            }
        }
        A::Decline => {
            if !(actor.is_named_volunteer || actor.is_team_member) {
                return Err(Refusal::NotAllowed);
            }
            match status {
                // A team member's decline only removes them; the service returns the order to
                // `submitted` once every member has declined.
                S::Assigned if facts.declined_by_caller => Err(Refusal::WrongState("ORDER_ALREADY_DECLINED")),
                S::Assigned => Ok(S::Submitted),
                _ => Err(wrong),
            }
        }
        A::Release | A::Start | A::Complete => {
            if !actor.is_named_volunteer {
                return Err(Refusal::NotAllowed);
            }
            match (action, status) {
                (A::Release, S::Accepted) => Ok(S::Open),
                (A::Start, S::Accepted) => Ok(S::InService),
                (A::Complete, S::InService) => Ok(S::Completed),
                _ => Err(wrong),
            }
        }
        A::Rate => {
            if !actor.is_owner {
                return Err(Refusal::NotAllowed);
            }
            match status {
                S::Completed => Ok(S::Rated),
                S::Rated => Err(Refusal::WrongState("ORDER_ALREADY_RATED")),
                _ => Err(Refusal::WrongState("ORDER_NOT_COMPLETED")),
            }
        }
        A::Cancel => {
            if !(actor.is_owner || actor.is_staff) {
                return Err(Refusal::NotAllowed);
            }
            match status {
                S::Submitted | S::Open | S::Assigned | S::Accepted => Ok(S::Cancelled),
                S::InService if actor.is_staff => Ok(S::Cancelled),
                _ => Err(Refusal::WrongState("ORDER_NOT_CANCELLABLE")),
            }
        }
        A::FollowUp => {
            if !actor.is_staff {
                return Err(Refusal::NotAllowed);
            }
            if facts.follow_up_pending {
                Ok(status)
            } else {
                Err(Refusal::WrongState("NO_FOLLOW_UP_PENDING"))
            }
        }
    }
}

/// The actions the caller may take on the order right now (for front ends' buttons).
pub fn allowed_actions(status: OrderStatus, actor: Actor, facts: Facts) -> Vec<OrderAction> {
    OrderAction::ALL
        .into_iter()
        .filter(|action| next(status, *action, actor, facts, None).is_ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use OrderAction as A;
    use OrderStatus as S;

    const STAFF: Actor = Actor {
        is_owner: false,
        is_staff: true,
        is_station_volunteer: false,
        is_named_volunteer: false,
        is_team_member: false,
    };
    const OWNER: Actor = Actor {
        is_owner: true,
        is_staff: false,
        is_station_volunteer: false,
        is_named_volunteer: false,
        is_team_member: false,
    };
    const POOL_VOLUNTEER: Actor = Actor {
        is_owner: false,
        is_staff: false,
        is_station_volunteer: true,
        is_named_volunteer: false,
        is_team_member: false,
    };
    const NAMED: Actor = Actor {
        is_owner: false,
        is_staff: false,
        is_station_volunteer: true,
        is_named_volunteer: true,
        is_team_member: false,
    };
    const NONE: Facts = Facts {
        follow_up_pending: false,
        declined_by_caller: false,
    };

    #[test]
    fn the_happy_path_walks_to_rated() {
        let mut status = S::Submitted;
        for (action, actor, expected) in [
            (A::Dispatch, STAFF, S::Open),
            (A::Accept, POOL_VOLUNTEER, S::Accepted),
            (A::Start, NAMED, S::InService),
            (A::Complete, NAMED, S::Completed),
            (A::Rate, OWNER, S::Rated),
        ] {
            status = next(status, action, actor, NONE, Some(DispatchMode::Open)).unwrap();
            assert_eq!(status, expected);
        }
    }

    #[test]
    fn direct_dispatch_assigns_and_decline_returns_to_submitted() {
        assert_eq!(
            next(S::Submitted, A::Dispatch, STAFF, NONE, Some(DispatchMode::Direct)),
            Ok(S::Assigned)
        );
        assert_eq!(next(S::Assigned, A::Decline, NAMED, NONE, None), Ok(S::Submitted));
        let member = Actor {
            is_team_member: true,
            ..POOL_VOLUNTEER
        };
        assert_eq!(next(S::Assigned, A::Accept, member, NONE, None), Ok(S::Accepted));
        assert_eq!(
            next(S::Assigned, A::Accept, POOL_VOLUNTEER, NONE, None),
            Err(Refusal::NotAllowed)
        );
    }

    #[test]
    fn staff_redispatch_open_or_assigned_orders_only() {
        assert_eq!(
            next(S::Open, A::Redispatch, STAFF, NONE, Some(DispatchMode::Back)),
            Ok(S::Submitted)
        );
        assert_eq!(
            next(S::Open, A::Redispatch, STAFF, NONE, Some(DispatchMode::Direct)),
            Ok(S::Assigned)
        );
        assert_eq!(
            next(S::Assigned, A::Redispatch, STAFF, NONE, Some(DispatchMode::Open)),
            Ok(S::Open)
        );
        assert_eq!(
            next(S::Open, A::Redispatch, STAFF, NONE, Some(DispatchMode::Open)),
            Err(Refusal::WrongState("ORDER_NOT_REDISPATCHABLE"))
        );
        for status in [S::Submitted, S::Accepted, S::InService, S::Completed] {
            assert_eq!(
                next(status, A::Redispatch, STAFF, NONE, Some(DispatchMode::Back)),
                Err(Refusal::WrongState("ORDER_NOT_REDISPATCHABLE"))
            );
        }
        assert_eq!(
            next(S::Assigned, A::Redispatch, NAMED, NONE, Some(DispatchMode::Back)),
            Err(Refusal::NotAllowed)
        );
        assert_eq!(
            next(S::Submitted, A::Dispatch, STAFF, NONE, Some(DispatchMode::Back)),
            Err(Refusal::WrongState("ORDER_NOT_SUBMITTED"))
        );
    }

    #[test]
    fn a_member_who_declined_may_neither_accept_nor_decline_again() {
        let member = Actor {
            is_team_member: true,
            ..POOL_VOLUNTEER
        };
        let declined = Facts {
            declined_by_caller: true,
            ..NONE
        };
        assert!(allowed_actions(S::Assigned, member, declined).is_empty());
        assert_eq!(
            next(S::Assigned, A::Accept, member, declined, None),
            Err(Refusal::WrongState("ORDER_ALREADY_DECLINED"))
        );
        assert_eq!(allowed_actions(S::Assigned, member, NONE), vec![A::Accept, A::Decline]);
    }

    #[test]
    fn accepting_a_taken_order_says_it_is_taken() {
        for status in [S::Accepted, S::InService, S::Completed, S::Cancelled, S::Expired] {
            assert_eq!(
                next(status, A::Accept, POOL_VOLUNTEER, NONE, None),
                Err(Refusal::WrongState("ORDER_ALREADY_TAKEN"))
            );
        }
    }

    #[test]
    fn residents_cancel_only_before_service_and_staff_before_completion() {
        assert_eq!(next(S::Accepted, A::Cancel, OWNER, NONE, None), Ok(S::Cancelled));
        assert_eq!(
            next(S::InService, A::Cancel, OWNER, NONE, None),
            Err(Refusal::WrongState("ORDER_NOT_CANCELLABLE"))
        );
        assert_eq!(next(S::InService, A::Cancel, STAFF, NONE, None), Ok(S::Cancelled));
        for status in [S::Completed, S::Rated, S::Rejected, S::Cancelled, S::Expired] {
            assert_eq!(
                next(status, A::Cancel, STAFF, NONE, None),
                Err(Refusal::WrongState("ORDER_NOT_CANCELLABLE"))
            );
        }
    }

    #[test]
    fn a_volunteer_cannot_take_their_own_order() {
        let own = Actor {
            is_owner: true,
            ..POOL_VOLUNTEER
        };
        assert_eq!(next(S::Open, A::Accept, own, NONE, None), Err(Refusal::NotAllowed));
    }

    #[test]
    fn only_the_owner_rates_and_only_once() {
        assert_eq!(next(S::Completed, A::Rate, STAFF, NONE, None), Err(Refusal::NotAllowed));
        assert_eq!(
            next(S::Rated, A::Rate, OWNER, NONE, None),
            Err(Refusal::WrongState("ORDER_ALREADY_RATED"))
        );
    }

    #[test]
    fn allowed_actions_follow_the_caller() {
        assert_eq!(
            allowed_actions(S::Submitted, STAFF, NONE),
            vec![A::Dispatch, A::Reject, A::Cancel]
        );
        assert_eq!(allowed_actions(S::Submitted, OWNER, NONE), vec![A::Cancel]);
        assert_eq!(allowed_actions(S::Open, STAFF, NONE), vec![A::Redispatch, A::Cancel]);
        assert_eq!(
            allowed_actions(S::Assigned, STAFF, NONE),
            vec![A::Redispatch, A::Cancel]
        );
        assert_eq!(allowed_actions(S::Open, POOL_VOLUNTEER, NONE), vec![A::Accept]);
        assert_eq!(allowed_actions(S::Accepted, NAMED, NONE), vec![A::Release, A::Start]);
        assert_eq!(allowed_actions(S::InService, NAMED, NONE), vec![A::Complete]);
        assert_eq!(allowed_actions(S::Completed, OWNER, NONE), vec![A::Rate]);
        assert_eq!(
            allowed_actions(
                S::Rated,
                STAFF,
                Facts {
                    follow_up_pending: true,
                    declined_by_caller: false,
                }
            ),
            vec![A::FollowUp]
        );
        assert!(allowed_actions(S::Rated, OWNER, NONE).is_empty());
    }
}
