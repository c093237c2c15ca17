//! What each order transition writes besides its status: the columns it sets and the extra
//! conditions of its guarded update. Handlers pick a step; `service::transition` makes it.

use chrono::{DateTime, Utc};
use entity::order;
use sea_orm::{Condition, ConnectionTrait, prelude::*};

use super::service::Step;
use super::state::{DispatchMode, OrderAction};
use super::types::{CompleteRequest, DispatchRequest, DispatchTarget, FollowUpStatus, RateRequest};
use crate::http::{AppError, AppResult};

/// Only while the caller is still the order's volunteer.
fn own_volunteer(action: OrderAction, volunteer_id: i32) -> Step {
    let mut step = Step::new(action);
    step.guard = Some(Condition::all().add(order::Column::VolunteerId.eq(volunteer_id)));
    step
}

/// To every volunteer of the station, to one volunteer, or to one team of the order's station.
pub async fn dispatch(db: &impl ConnectionTrait, station_id: i32, req: DispatchRequest) -> AppResult<Step> {
    let mut step = Step::new(OrderAction::Dispatch).note(req.note);
    let (mode, volunteer_id, team_id) = match req.mode {
        DispatchTarget::Open => (DispatchMode::Open, None, None),
        DispatchTarget::Volunteer => {
            let volunteer_id = req
                .volunteer_id
                .ok_or_else(|| AppError::invalid_field("volunteer_id", "派给志愿者时须指定 volunteer_id"))?;
            crate::volunteers::service::ensure_volunteer_of(db, volunteer_id, station_id).await?;
            (DispatchMode::Direct, Some(volunteer_id), None)
        }
        DispatchTarget::Team => {
            let team_id = req
                .team_id
                .ok_or_else(|| AppError::invalid_field("team_id", "派给服务队时须指定 team_id"))?;
            crate::volunteers::service::ensure_team_of(db, team_id, station_id).await?;
            (DispatchMode::Direct, None, Some(team_id))
        }
    };
    step.mode = Some(mode);
    Ok(step
        .set(order::Column::VolunteerId, volunteer_id)
        .set(order::Column::TeamId, team_id))
}

pub fn reject(reason: String) -> Step {
    Step::new(OrderAction::Reject)
        .note(Some(reason.clone()))
        .set(order::Column::RejectReason, Some(reason))
}

pub fn accept(volunteer_id: i32, now: DateTime<Utc>) -> Step {
    Step::new(OrderAction::Accept)
        .set(order::Column::VolunteerId, Some(volunteer_id))
        .set(order::Column::AcceptedAt, Some(now))
}

/// Only the named volunteer or a member of the named team declines.
pub fn decline(volunteer_id: i32, team_ids: &[i32]) -> Step {
    let mut mine = Condition::any().add(order::Column::VolunteerId.eq(volunteer_id));
    if !team_ids.is_empty() {
        mine = mine.add(order::Column::TeamId.is_in(team_ids.to_vec()));
    }
    let mut step = Step::new(OrderAction::Decline)
        .set(order::Column::VolunteerId, None::<i32>)
        .set(order::Column::TeamId, None::<i32>);
    step.guard = Some(mine);
    step
}

pub fn release(volunteer_id: i32) -> Step {
    own_volunteer(OrderAction::Release, volunteer_id)
        .set(order::Column::VolunteerId, None::<i32>)
        .set(order::Column::TeamId, None::<i32>)
        .set(order::Column::AcceptedAt, None::<DateTime<Utc>>)
}

pub fn start(volunteer_id: i32) -> Step {
    own_volunteer(OrderAction::Start, volunteer_id)
}

pub fn complete(volunteer_id: i32, req: CompleteRequest, now: DateTime<Utc>) -> Step {
    own_volunteer(OrderAction::Complete, volunteer_id)
        .set(order::Column::Summary, Some(req.summary))
        .set(order::Column::ServiceMinutes, Some(req.service_minutes))
        .set(order::Column::CompletedAt, Some(now))
}

/// A rating by the order's resident; 1 or 2 stars need a reason tag and open a follow-up.
pub fn rate(resident_id: i32, req: RateRequest, now: DateTime<Utc>) -> AppResult<Step> {
    let low = req.stars <= 2;
    if low && req.reason_tag.is_none() {
        return Err(AppError::invalid_field("reason_tag", "1 到 2 星的评价须选择原因"));
    }
    let mut step = Step::new(OrderAction::Rate)
        .note(req.comment.clone())
        .set(order::Column::Stars, Some(req.stars))
        .set(order::Column::RatingComment, req.comment)
        .set(order::Column::ReasonTag, req.reason_tag)
        .set(order::Column::RatedAt, Some(now));
    if low {
        step = step.set(order::Column::FollowUpStatus, Some(FollowUpStatus::Pending));
    }
    step.guard = Some(Condition::all().add(order::Column::ResidentId.eq(resident_id)));
    Ok(step)
}

pub fn cancel(reason: String) -> Step {
    Step::new(OrderAction::Cancel)
        .note(Some(reason.clone()))
        .set(order::Column::CancelReason, Some(reason))
}

pub fn follow_up(staff_id: i32, outcome: String, now: DateTime<Utc>) -> Step {
    Step::new(OrderAction::FollowUp)
        .note(Some(outcome.clone()))
        .set(order::Column::FollowUpStatus, Some(FollowUpStatus::Done))
        .set(order::Column::FollowUpOutcome, Some(outcome))
        .set(order::Column::FollowUpBy, Some(staff_id))
        .set(order::Column::FollowUpAt, Some(now))
}
