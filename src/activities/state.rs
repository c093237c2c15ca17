//! The activity state machine and the rules of who may do what, as pure functions of the
//! stored state, the time and the caller's relation to the activity.

use chrono::{DateTime, Duration, Utc};

pub use entity::enums::{ActivityStatus, Attendance, SignupStatus};

/// The status as the caller sees it: a published activity is ongoing from its start time,
/// whether or not the job sweep has written that yet.
pub fn effective_status(status: ActivityStatus, starts_at: DateTime<Utc>, now: DateTime<Utc>) -> ActivityStatus {
    if status == ActivityStatus::Published && now >= starts_at {
        ActivityStatus::Ongoing
    } else {
        status
    }
}

/// A change of an activity's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema, strum::IntoStaticStr)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
#[schema(as = ActivityAction)]
pub enum Action {
    Edit,
    Submit,
    Approve,
    Reject,
    Cancel,
    Finish,
    Record,
    /// Confirm the attendance (and so the hours) of a finished activity, archiving it.
    ConfirmAttendance,
    CheckinCode,
}

impl Action {
    pub const ALL: [Action; 9] = [
        Action::Edit,
        Action::Submit,
        Action::Approve,
        Action::Reject,
        Action::Cancel,
        Action::Finish,
        Action::Record,
        Action::ConfirmAttendance,
        Action::CheckinCode,
    ];

    /// The wire name, as answered in `allowed_actions`.
    pub fn name(self) -> &'static str {
        self.into()
    }
}

/// The caller's relation to the activity.
#[derive(Debug, Clone, Copy, Default)]
pub struct Actor {
    /// Secretary or director of the activity's station (or admin).
    pub staff: bool,
    /// Director of the activity's station (or admin).
    pub director: bool,
    /// The activity's host (or stand-in host).
    pub host: bool,
    /// The caller attended (checked in): their own hours are among those a confirmation credits.
    pub attended: bool,
}

/// Why a change is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The caller may not make this change (403).
    Forbidden,
    /// Only the station's director may (403 `DIRECTOR_REQUIRED`).
    DirectorRequired,
    /// The host does not confirm the attendance of their own activity (403
    /// `HOST_CANNOT_CONFIRM`): the secretary does, or the director when the secretary hosts.
    HostCannotConfirm,
    /// Nobody confirms attendance that credits their own hours (403 `OWN_ATTENDANCE`).
    OwnAttendance,
    /// Not in this state (409 `ACTIVITY_STATE_CONFLICT`).
    WrongState,
}

/// The state `action` leads to from the effective status `status`, or why it is refused.
pub fn next(status: ActivityStatus, action: Action, actor: Actor) -> Result<ActivityStatus, Refusal> {
    use ActivityStatus as S;
    let allowed = match action {
        Action::Approve | Action::Reject => {
            if actor.director {
                Ok(())
            } else {
                Err(Refusal::DirectorRequired)
            }
        }
        Action::ConfirmAttendance => {
            if actor.host {
                Err(Refusal::HostCannotConfirm)
            } else if actor.attended {
                Err(Refusal::OwnAttendance)
            } else if actor.staff {
                Ok(())
            } else {
                Err(Refusal::Forbidden)
            }
        }
        Action::Finish | Action::Record | Action::CheckinCode => {
            if actor.staff || actor.host {
                Ok(())
            } else {
                Err(Refusal::Forbidden)
            }
        }
        _ => {
            if actor.staff {
                Ok(())
            } else {
                Err(Refusal::Forbidden)
            }
        }
    };
    allowed?;
    match (action, status) {
        (Action::Edit, S::Draft) => Ok(S::Draft),
        (Action::Submit, S::Draft) => Ok(S::PendingApproval),
        (Action::Approve, S::PendingApproval) => Ok(S::Published),
        (Action::Reject, S::PendingApproval) => Ok(S::Draft),
        (Action::Cancel, S::Draft | S::PendingApproval | S::Published) => Ok(S::Cancelled),
        (Action::Finish, S::Ongoing) => Ok(S::Finished),
        (Action::Record, S::Finished) => Ok(S::Finished),
        (Action::ConfirmAttendance, S::Finished) => Ok(S::Archived),
        (Action::CheckinCode, S::Published | S::Ongoing) => Ok(status),
        _ => Err(Refusal::WrongState),
    }
}

/// The management actions open to the caller.
pub fn allowed_actions(status: ActivityStatus, actor: Actor) -> Vec<&'static str> {
    Action::ALL
        .into_iter()
        .filter(|a| next(status, *a, actor).is_ok())
        .map(Action::name)
        .collect()
}

/// How early before the start check-in opens.
pub const CHECKIN_OPENS_BEFORE: Duration = Duration::minutes(30);

/// Whether `now` is inside the sign-up window: published, not started, after the opening and
/// before the closing (which defaults to the start).
pub fn signup_open(
    status: ActivityStatus,
    starts_at: DateTime<Utc>,
    opens_at: Option<DateTime<Utc>>,
    closes_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> bool {
    effective_status(status, starts_at, now) == ActivityStatus::Published
        && opens_at.is_none_or(|t| now >= t)
        && now < closes_at.unwrap_or(starts_at).min(starts_at)
}

/// Whether `now` is inside the check-in window [start − 30 min, end].
pub fn checkin_open(starts_at: DateTime<Utc>, ends_at: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    now >= starts_at - CHECKIN_OPENS_BEFORE && now <= ends_at
}

/// The time attended: the overlap of [check-in, check-out or the moment the activity actually
/// finished] with [start, end]; `None` without a check-in or an overlap. Finishing early never
/// credits the time up to the scheduled end.
pub fn attended_interval(
    starts_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
    finished_at: Option<DateTime<Utc>>,
    checked_in_at: Option<DateTime<Utc>>,
    checked_out_at: Option<DateTime<Utc>>,
) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    let from = checked_in_at?.max(starts_at);
    let last = finished_at.map_or(ends_at, |f| f.min(ends_at));
    let to = checked_out_at.map_or(last, |out| out.min(last));
    (to > from).then_some((from, to))
}

/// Minutes of service: the length of [`attended_interval`], rounded to the nearest minute.
pub fn service_minutes(
    starts_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
    finished_at: Option<DateTime<Utc>>,
    checked_in_at: Option<DateTime<Utc>>,
    checked_out_at: Option<DateTime<Utc>>,
) -> i32 {
    let Some((from, to)) = attended_interval(starts_at, ends_at, finished_at, checked_in_at, checked_out_at) else {
        return 0;
    };
    // To the nearest minute: a check-in a few seconds after the half hour is still that half hour.
    let minutes = ((to - from).num_seconds().max(0) + 30) / 60;
    i32::try_from(minutes).unwrap_or(i32::MAX)
}

/// What a participant may do with their own sign-up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema, strum::IntoStaticStr)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum ParticipantAction {
    Signup,
    CancelSignup,
    AskLeave,
    Checkin,
    Checkout,
}

impl ParticipantAction {
    /// The wire name, as answered in `allowed_actions`.
    pub fn name(self) -> &'static str {
        self.into()
    }
}

/// What a participant's own sign-up looks like, for the actions open to them.
#[derive(Debug, Clone, Copy, Default)]
pub struct Participation {
    pub status: Option<SignupStatus>,
    pub checked_in: bool,
    pub checked_out: bool,
    /// A pending or approved leave request exists.
    pub leave_open: bool,
}

/// The participant actions open to the caller: `signup`, `cancel_signup`, `checkin`,
/// `checkout`, `ask_leave`.
pub fn participant_actions(
    status: ActivityStatus,
    signup_window_open: bool,
    audience_ok: bool,
    checkin_window_open: bool,
    starts_at: DateTime<Utc>,
    now: DateTime<Utc>,
    me: Participation,
) -> Vec<&'static str> {
    let mut actions = Vec::new();
    let before_start = now < starts_at;
    let running = matches!(status, ActivityStatus::Published | ActivityStatus::Ongoing);
    match me.status {
        // A cancelled sign-up may be made again (the same row is revived, starting clean).
        None | Some(SignupStatus::Cancelled) => {
            if signup_window_open && audience_ok {
                actions.push(ParticipantAction::Signup.name());
            }
        }
        Some(active) => {
            // Someone already checked in has come: they leave by checking out, not cancelling.
            if before_start && running && !me.checked_in {
                actions.push(ParticipantAction::CancelSignup.name());
                // Leave excuses a held place; a waitlisted person has none to be excused from.
                if !me.leave_open && active == SignupStatus::Confirmed {
                    actions.push(ParticipantAction::AskLeave.name());
                }
            }
            if active == SignupStatus::Confirmed && running && checkin_window_open {
                if !me.checked_in {
                    actions.push(ParticipantAction::Checkin.name());
                } else if !me.checked_out {
                    actions.push(ParticipantAction::Checkout.name());
                }
            }
        }
    }
    actions
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 1, h, m, 0).single().unwrap_or_default()
    }

    const SECRETARY: Actor = Actor {
        staff: true,
        director: false,
        host: true,
        attended: false,
    };
    const DIRECTOR: Actor = Actor {
        staff: true,
        director: true,
        host: false,
        attended: false,
    };
    const RESIDENT: Actor = Actor {
        staff: false,
        director: false,
        host: false,
        attended: false,
    };

    #[test]
    fn the_happy_path_runs_from_draft_to_archived() {
        use ActivityStatus as S;
        assert_eq!(next(S::Draft, Action::Submit, SECRETARY), Ok(S::PendingApproval));
        assert_eq!(next(S::PendingApproval, Action::Approve, DIRECTOR), Ok(S::Published));
        assert_eq!(next(S::Ongoing, Action::Finish, SECRETARY), Ok(S::Finished));
        assert_eq!(next(S::Finished, Action::Record, SECRETARY), Ok(S::Finished));
        assert_eq!(next(S::Finished, Action::ConfirmAttendance, DIRECTOR), Ok(S::Archived));
    }

    #[test]
    fn the_host_does_not_confirm_their_own_activity() {
        use ActivityStatus as S;
        assert_eq!(
            next(S::Finished, Action::ConfirmAttendance, SECRETARY),
            Err(Refusal::HostCannotConfirm)
        );
        assert_eq!(
            next(S::Finished, Action::ConfirmAttendance, RESIDENT),
            Err(Refusal::Forbidden)
        );
        let attending_director = Actor {
            attended: true,
            ..DIRECTOR
        };
        assert_eq!(
            next(S::Finished, Action::ConfirmAttendance, attending_director),
            Err(Refusal::OwnAttendance)
        );
    }

    #[test]
    fn only_a_director_approves_or_rejects() {
        use ActivityStatus as S;
        assert_eq!(
            next(S::PendingApproval, Action::Approve, SECRETARY),
            Err(Refusal::DirectorRequired)
        );
        assert_eq!(next(S::PendingApproval, Action::Reject, DIRECTOR), Ok(S::Draft));
    }

    #[test]
    fn wrong_states_are_refused() {
        use ActivityStatus as S;
        assert_eq!(next(S::Published, Action::Submit, SECRETARY), Err(Refusal::WrongState));
        assert_eq!(next(S::Ongoing, Action::Cancel, SECRETARY), Err(Refusal::WrongState));
        assert_eq!(next(S::Archived, Action::Edit, SECRETARY), Err(Refusal::WrongState));
        assert_eq!(next(S::Draft, Action::Submit, RESIDENT), Err(Refusal::Forbidden));
    }

    #[test]
    fn published_turns_ongoing_at_the_start() {
        assert_eq!(
            effective_status(ActivityStatus::Published, at(9, 0), at(8, 59)),
            ActivityStatus::Published
        );
        assert_eq!(
            effective_status(ActivityStatus::Published, at(9, 0), at(9, 0)),
            ActivityStatus::Ongoing
        );
    }

    #[test]
    fn hours_are_the_overlap_with_the_activity() {
        let (start, end) = (at(9, 0), at(11, 0));
        assert_eq!(service_minutes(start, end, None, Some(at(8, 40)), Some(at(10, 0))), 60);
        assert_eq!(service_minutes(start, end, None, Some(at(9, 30)), None), 90);
        assert_eq!(service_minutes(start, end, None, Some(at(9, 0)), Some(at(12, 0))), 120);
        assert_eq!(service_minutes(start, end, None, None, None), 0);
        // Finished early: the time after the finish is not credited.
        assert_eq!(service_minutes(start, end, Some(at(10, 0)), Some(at(9, 0)), None), 60);
        assert_eq!(service_minutes(start, end, Some(at(8, 50)), Some(at(8, 40)), None), 0);
    }

    #[test]
    fn checkin_opens_thirty_minutes_early_and_closes_at_the_end() {
        let (start, end) = (at(9, 0), at(11, 0));
        assert!(!checkin_open(start, end, at(8, 29)));
        assert!(checkin_open(start, end, at(8, 30)));
        assert!(checkin_open(start, end, at(11, 0)));
        assert!(!checkin_open(start, end, at(11, 1)));
    }

    #[test]
    fn a_participant_sees_the_buttons_of_their_state() {
        let start = at(9, 0);
        let none = participant_actions(
            ActivityStatus::Published,
            true,
            true,
            false,
            start,
            at(7, 0),
            Participation::default(),
        );
        assert_eq!(none, vec!["signup"]);
        let confirmed = Participation {
            status: Some(SignupStatus::Confirmed),
            ..Default::default()
        };
        let early = participant_actions(ActivityStatus::Published, true, true, true, start, at(8, 45), confirmed);
        assert_eq!(early, vec!["cancel_signup", "ask_leave", "checkin"]);
        let checked_in = Participation {
            checked_in: true,
            ..confirmed
        };
        let early = participant_actions(
            ActivityStatus::Published,
            true,
            true,
            true,
            start,
            at(8, 45),
            checked_in,
        );
        assert_eq!(early, vec!["checkout"]);
        let waitlisted = Participation {
            status: Some(SignupStatus::Waitlisted),
            ..Default::default()
        };
        let early = participant_actions(
            ActivityStatus::Published,
            true,
            true,
            false,
            start,
            at(8, 0),
            waitlisted,
        );
        assert_eq!(early, vec!["cancel_signup"]);
        let cancelled = Participation {
            status: Some(SignupStatus::Cancelled),
            ..Default::default()
        };
        let again = participant_actions(ActivityStatus::Published, true, true, false, start, at(8, 0), cancelled);
        assert_eq!(again, vec!["signup"]);
    }
}
