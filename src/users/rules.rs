//! Rules about accounts that hold wherever an account is made or changed.

use std::sync::LazyLock;

use regex::Regex;

use crate::auth::roles::Role;

static MAINLAND_MOBILE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^1[3-9][0-9]{9}$").unwrap_or_else(|_| unreachable!()));

/// An 11-digit mainland China mobile number (1[3-9] followed by nine digits).
pub fn is_mainland_mobile(phone: &str) -> bool {
    MAINLAND_MOBILE.is_match(phone)
}

/// `validator` hook for phone fields.
pub fn validate_phone(phone: &str) -> Result<(), validator::ValidationError> {
    if is_mainland_mobile(phone) {
        Ok(())
    } else {
        let mut error = validator::ValidationError::new("phone");
        error.message = Some("手机号须为 11 位大陆手机号".into());
        Err(error)
    }
}

/// Why a role change is refused.
#[derive(Debug, PartialEq, Eq)]
pub enum GrantRefusal {
    /// Only roles the granter may hand out may change.
    RoleNotGrantable(Role),
    /// The target is outside the granter's station.
    OtherStation,
    /// A station-scoped staff role needs the account to belong to a station.
    StationRequired(Role),
    /// A supervisor account must name the district it supervises.
    DistrictRequired,
}

/// A supervisor reads the stations of one district, so the account must name it.
pub fn check_district(roles: &[Role], district: Option<&str>) -> Result<(), GrantRefusal> {
    if roles.contains(&Role::Supervisor) && district.is_none_or(|d| d.trim().is_empty()) {
        return Err(GrantRefusal::DistrictRequired);
    }
    Ok(())
}

/// Who may change which roles (api.md `PUT /users/{id}/roles`, `POST /users`):
/// an admin may grant any role; a director may add or remove only `secretary`, and `resident`
/// or `volunteer` on accounts they create, and only for accounts of their own station.
pub fn check_grant(
    granter_roles: &[Role],
    granter_station: Option<i32>,
    target_station: Option<i32>,
    before: &[Role],
    after: &[Role],
    creating: bool,
) -> Result<(), GrantRefusal> {
    for role in after {
        if matches!(role, Role::Secretary | Role::Director | Role::Volunteer) && target_station.is_none() {
            return Err(GrantRefusal::StationRequired(*role));
        }
    }
    if granter_roles.contains(&Role::Admin) {
        return Ok(());
    }
    if !granter_roles.contains(&Role::Director) {
        return Err(GrantRefusal::RoleNotGrantable(
            *after.first().unwrap_or(&Role::Secretary),
        ));
    }
    if granter_station.is_none() || granter_station != target_station {
        return Err(GrantRefusal::OtherStation);
    }
    let grantable =
        |role: &Role| *role == Role::Secretary || (creating && matches!(role, Role::Resident | Role::Volunteer));
    let changed = before
        .iter()
        .filter(|r| !after.contains(r))
        .chain(after.iter().filter(|r| !before.contains(r)));
    for role in changed {
        if !grantable(role) {
            return Err(GrantRefusal::RoleNotGrantable(*role));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use Role::*;

    #[test]
    fn phone_format() {
        assert!(is_mainland_mobile("13912345678"));
        assert!(!is_mainland_mobile("12912345678"));
        assert!(!is_mainland_mobile("1391234567"));
        assert!(!is_mainland_mobile("139123456789"));
        assert!(!is_mainland_mobile("1391234567a"));
    }

    #[test]
    fn director_appoints_secretary_in_own_station_only() {
        let director = [Resident, Director];
        assert_eq!(
            check_grant(&director, Some(1), Some(1), &[Resident], &[Resident, Secretary], false),
            Ok(())
        );
        assert_eq!(
            check_grant(&director, Some(1), Some(2), &[Resident], &[Resident, Secretary], false),
            Err(GrantRefusal::OtherStation)
        );
    }

    #[test]
    fn director_cannot_grant_director_or_admin() {
        let director = [Resident, Director];
        assert_eq!(
            check_grant(&director, Some(1), Some(1), &[Resident], &[Resident, Director], false),
            Err(GrantRefusal::RoleNotGrantable(Director))
        );
        assert_eq!(
            check_grant(&director, Some(1), Some(1), &[Resident], &[Resident, Admin], false),
            Err(GrantRefusal::RoleNotGrantable(Admin))
        );
    }

    #[test]
    fn secretary_grants_nothing() {
        assert!(
            check_grant(
                &[Secretary],
                Some(1),
                Some(1),
                &[Resident],
                &[Resident, Secretary],
                false
            )
            .is_err()
        );
    }

    #[test]
    fn admin_grants_anything_but_staff_roles_need_a_station() {
        assert_eq!(check_grant(&[Admin], None, Some(3), &[], &[Director], true), Ok(()));
        assert_eq!(
            check_grant(&[Admin], None, None, &[], &[Director], true),
            Err(GrantRefusal::StationRequired(Director))
        );
        assert_eq!(check_grant(&[Admin], None, None, &[], &[Supervisor], true), Ok(()));
    }

    #[test]
    fn a_supervisor_names_a_district() {
        assert_eq!(
            check_district(&[Resident, Supervisor], None),
            Err(GrantRefusal::DistrictRequired)
        );
        assert_eq!(
            check_district(&[Resident, Supervisor], Some(" ")),
            Err(GrantRefusal::DistrictRequired)
        );
        assert_eq!(check_district(&[Resident, Supervisor], Some("武昌区")), Ok(()));
        assert_eq!(check_district(&[Resident, Secretary], None), Ok(()));
    }
}
