//! What each order transition writes besides its status: the columns it sets and the extra
//! conditions of its guarded update. Handlers pick a step; `service::transition` makes it.

use chrono::{DateTime, Utc};
use entity::order;
use sea_orm::{Condition, ConnectionTrait, prelude::*};

use super::service::Step;
use super::state::{DispatchMode, OrderAction};
use super::types::{
    CompleteRequest, DispatchRequest, DispatchTarget, FollowUpStatus, RateRequest, RedispatchRequest, RedispatchTarget,
};
use crate::http::{AppError, AppResult};

/// Only while the caller is still the order's volunteer.
fn own_volunteer(action: OrderAction, volunteer_id: i32) -> Step {
    let mut step = Step::new(action);
    step.guard = Some(Condition::all().add(order::Column::VolunteerId.eq(volunteer_id)));
    step
}

/// The target of a dispatch or re-dispatch, resolved against the order's station.
async fn target(
    db: &impl ConnectionTrait,
    station_id: i32,
    mode: DispatchMode,
    volunteer_id: Option<i32>,
    team_id: Option<i32>,
    direct_to_team: bool,
) -> AppResult<(Option<i32>, Option<i32>)> {
    if mode != DispatchMode::Direct {
        return Ok((None, None));
    }
    if direct_to_team {
        let team_id = team_id.ok_or_else(|| AppError::invalid_field("team_id", "派给服务队时须指定 team_id"))?;
        crate::volunteers::service::ensure_team_of(db, team_id, station_id).await?;
        Ok((None, Some(team_id)))
    } else {
        let volunteer_id =
            volunteer_id.ok_or_else(|| AppError::invalid_field("volunteer_id", "派给志愿者时须指定 volunteer_id"))?;
        crate::volunteers::service::ensure_volunteer_of(db, volunteer_id, station_id).await?;
        Ok((Some(volunteer_id), None))
    }
}

/// To every volunteer of the station, to one volunteer, or to one team of the order's station.
pub async fn dispatch(db: &impl ConnectionTrait, station_id: i32, req: DispatchRequest) -> AppResult<Step> {
    let mode = match req.mode {
        DispatchTarget::Open => DispatchMode::Open,
        DispatchTarget::Volunteer | DispatchTarget::Team => DispatchMode::Direct,
    };
    let to_team = req.mode == DispatchTarget::Team;
    let (volunteer_id, team_id) = target(db, station_id, mode, req.volunteer_id, req.team_id, to_team).await?;
    let mut step = Step::new(OrderAction::Dispatch).note(req.note);
    step.mode = Some(mode);
    Ok(step
        .set(order::Column::VolunteerId, volunteer_id)
        .set(order::Column::TeamId, team_id))
}

/// An open or assigned order moved: back to the station, into the pool, or to another
/// volunteer or team.
pub async fn redispatch(db: &impl ConnectionTrait, station_id: i32, req: RedispatchRequest) -> AppResult<Step> {
    let mode = match req.mode {
        RedispatchTarget::Open => DispatchMode::Open,
        RedispatchTarget::Volunteer | RedispatchTarget::Team => DispatchMode::Direct,
        RedispatchTarget::Submitted => DispatchMode::Back,
    };
    let to_team = req.mode == RedispatchTarget::Team;
    let (volunteer_id, team_id) = target(db, station_id, mode, req.volunteer_id, req.team_id, to_team).await?;
    let mut step = Step::new(OrderAction::Redispatch).note(req.note);
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

/// The named volunteer declines: the order goes back to the station. (A team member's decline
/// is `service::decline_for_team`.)
pub fn decline(volunteer_id: i32, reason: Option<String>) -> Step {
    let mine = Condition::all().add(order::Column::VolunteerId.eq(volunteer_id));
    let mut step = Step::new(OrderAction::Decline)
        .note(reason)
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
    let mut step = own_volunteer(OrderAction::Complete, volunteer_id)
        .set(order::Column::Summary, Some(req.summary))
        .set(order::Column::ServiceMinutes, Some(req.service_minutes))
        .set(order::Column::CompletedAt, Some(now));
    step.completion_photos = req.photo_ids.unwrap_or_default();
    step
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
