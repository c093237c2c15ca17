//! The inspection state machine: an inspection is `open` while the station rectifies its items
//! (`open` → `rectified`, by the station's staff) and `closed` by a supervisor once no item is
//! open. Nothing changes after closing.

pub use entity::enums::{InspectionItemStatus, InspectionStatus};

/// A change to an inspection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema, strum::IntoStaticStr)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum InspectionAction {
    /// Mark an item rectified, with a note.
    Rectify,
    /// Close the inspection.
    Close,
}

impl InspectionAction {
    /// The wire name, as answered in `allowed_actions`.
    pub fn name(self) -> &'static str {
        self.into()
    }
}

/// The caller's relation to an inspection.
#[derive(Debug, Clone, Copy, Default)]
pub struct InspectionActor {
    /// Secretary or director of the inspected station (or admin): rectifies.
    pub staff: bool,
    /// A supervisor overseeing the station (or admin): closes.
    pub supervisor: bool,
}

/// Why a change is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InspectionRefusal {
    Forbidden,
    /// The inspection is closed.
    Closed,
    /// The item is already rectified.
    AlreadyRectified,
    /// Closing needs every item rectified.
    ItemsOpen,
}

/// Whether `action` is allowed. For `Rectify`, `item` is the item's status; for `Close`,
/// `open_items` counts the items not yet rectified.
pub fn check(
    status: InspectionStatus,
    action: InspectionAction,
    item: Option<InspectionItemStatus>,
    open_items: usize,
    actor: InspectionActor,
) -> Result<(), InspectionRefusal> {
    match action {
        InspectionAction::Rectify => {
            if !actor.staff {
                return Err(InspectionRefusal::Forbidden);
            }
            if status == InspectionStatus::Closed {
                return Err(InspectionRefusal::Closed);
            }
            if item != Some(InspectionItemStatus::Open) {
                return Err(InspectionRefusal::AlreadyRectified);
            }
        }
        InspectionAction::Close => {
            if !actor.supervisor {
                return Err(InspectionRefusal::Forbidden);
            }
            if status == InspectionStatus::Closed {
                return Err(InspectionRefusal::Closed);
            }
            if open_items > 0 {
                return Err(InspectionRefusal::ItemsOpen);
            }
        }
    }
    Ok(())
}

/// The actions open to the caller on the inspection: `rectify` when some item may be rectified,
/// `close` when it may be closed.
pub fn allowed_actions(
    status: InspectionStatus,
    items: &[InspectionItemStatus],
    actor: InspectionActor,
) -> Vec<&'static str> {
    let open_items = items.iter().filter(|s| **s == InspectionItemStatus::Open).count();
    let mut actions = Vec::new();
    if items
        .iter()
        .any(|item| check(status, InspectionAction::Rectify, Some(*item), open_items, actor).is_ok())
    {
        actions.push(InspectionAction::Rectify.name());
    }
    if check(status, InspectionAction::Close, None, open_items, actor).is_ok() {
        actions.push(InspectionAction::Close.name());
    }
    actions
}

/// The actions open to the caller on one item.
pub fn item_allowed_actions(
    status: InspectionStatus,
    item: InspectionItemStatus,
    actor: InspectionActor,
) -> Vec<&'static str> {
    match check(status, InspectionAction::Rectify, Some(item), 0, actor) {
        Ok(()) => vec![InspectionAction::Rectify.name()],
        Err(_) => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const STAFF: InspectionActor = InspectionActor {
        staff: true,
        supervisor: false,
    };
    const SUPERVISOR: InspectionActor = InspectionActor {
        staff: false,
        supervisor: true,
    };
    use InspectionItemStatus::{Open as ItemOpen, Rectified};
    use InspectionStatus::{Closed, Open};

    #[test]
    fn staff_rectify_open_items_of_an_open_inspection_and_nothing_else() {
        assert_eq!(check(Open, InspectionAction::Rectify, Some(ItemOpen), 1, STAFF), Ok(()));
        assert_eq!(
            check(Open, InspectionAction::Rectify, Some(Rectified), 1, STAFF),
            Err(InspectionRefusal::AlreadyRectified)
        );
        assert_eq!(
            check(Closed, InspectionAction::Rectify, Some(ItemOpen), 1, STAFF),
            Err(InspectionRefusal::Closed)
        );
        assert_eq!(
            check(Open, InspectionAction::Close, None, 0, STAFF),
            Err(InspectionRefusal::Forbidden)
        );
        assert_eq!(allowed_actions(Open, &[ItemOpen, Rectified], STAFF), vec!["rectify"]);
        assert_eq!(item_allowed_actions(Open, Rectified, STAFF), Vec::<&str>::new());
    }

    #[test]
    fn a_supervisor_closes_only_when_every_item_is_rectified() {
        assert_eq!(
            check(Open, InspectionAction::Close, None, 1, SUPERVISOR),
            Err(InspectionRefusal::ItemsOpen)
        );
        assert_eq!(check(Open, InspectionAction::Close, None, 0, SUPERVISOR), Ok(()));
        assert_eq!(
            check(Closed, InspectionAction::Close, None, 0, SUPERVISOR),
            Err(InspectionRefusal::Closed)
        );
        assert_eq!(
            check(Open, InspectionAction::Rectify, Some(ItemOpen), 1, SUPERVISOR),
            Err(InspectionRefusal::Forbidden)
        );
        assert!(allowed_actions(Open, &[ItemOpen], SUPERVISOR).is_empty());
        assert_eq!(allowed_actions(Open, &[Rectified], SUPERVISOR), vec!["close"]);
        assert_eq!(allowed_actions(Open, &[], SUPERVISOR), vec!["close"]);
    }

    #[test]
    fn a_closed_inspection_allows_nothing() {
        let admin = InspectionActor {
            staff: true,
            supervisor: true,
        };
        assert!(allowed_actions(Closed, &[Rectified], admin).is_empty());
        assert!(item_allowed_actions(Closed, ItemOpen, admin).is_empty());
    }
}
