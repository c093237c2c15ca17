//! Roles and the one mechanism that checks them: every handler states what the caller must be
//! through the methods on `AuthUser` here, so a rule about who may do what lives in one place.

use std::{fmt, str::FromStr};

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::http::{AppError, AppResult, AuthUser};

/// A role a user holds. Staff roles hold within the user's own station; a supervisor reads
/// the stations of their district; an admin runs the platform.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Resident,
    Volunteer,
    Secretary,
    Director,
    Supervisor,
    Admin,
}

impl Role {
    pub const ALL: [Role; 6] = [
        Role::Resident,
        Role::Volunteer,
        Role::Secretary,
        Role::Director,
        Role::Supervisor,
        Role::Admin,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Resident => "resident",
            Role::Volunteer => "volunteer",
            Role::Secretary => "secretary",
            Role::Director => "director",
            Role::Supervisor => "supervisor",
            Role::Admin => "admin",
        }
    }

    /// Whether the role is tied to one station (a staff role of a station, or a member of it).
    pub fn is_station_scoped(self) -> bool {
        !matches!(self, Role::Supervisor | Role::Admin)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        Role::ALL.into_iter().find(|r| r.as_str() == s).ok_or(())
    }
}

fn forbidden() -> AppError {
    AppError::forbidden("FORBIDDEN", "当前账号无权进行此操作")
}

impl AuthUser {
    pub fn has(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }

    pub fn is_admin(&self) -> bool {
        self.has(Role::Admin)
    }

    /// Refuses with 403 unless the caller holds one of `roles`.
    pub fn require_any(&self, roles: &[Role]) -> AppResult<()> {
        if roles.iter().any(|r| self.has(*r)) {
            Ok(())
        } else {
            Err(forbidden())
        }
    }

    /// Secretary or director of the station (or admin): may run it.
    pub fn is_staff_of(&self, station_id: i32) -> bool {
        self.is_admin()
            || (self.station_id == Some(station_id) && (self.has(Role::Secretary) || self.has(Role::Director)))
    }

    /// Staff of the station, or a supervisor of its district: may read its records.
    pub fn can_oversee(&self, station_id: i32) -> bool {
        self.is_staff_of(station_id) || self.supervises(station_id)
    }

    /// A supervisor whose district holds the station.
    pub fn supervises(&self, station_id: i32) -> bool {
        self.has(Role::Supervisor) && self.supervised.contains(&station_id)
    }

    /// Whether lists show this caller the phone of a person of `station_id` in full: the
    /// station's own staff and admins; a supervisor sees it masked (an opened order or
    /// volunteer profile shows it in full, and that is audited).
    pub fn sees_phones_of(&self, station_id: Option<i32>) -> bool {
        self.is_admin() || station_id.is_some_and(|s| self.is_staff_of(s))
    }

    /// Reads across stations: an admin (all) or a supervisor (their district's).
    pub fn reads_across_stations(&self) -> bool {
        self.is_admin() || self.has(Role::Supervisor)
    }

    /// Whether the caller is staff anywhere (secretary, director or admin).
    pub fn is_staff(&self) -> bool {
        self.is_admin() || self.has(Role::Secretary) || self.has(Role::Director)
    }

    /// Refuses with 403 unless the caller may run the station.
    pub fn require_staff_of(&self, station_id: i32) -> AppResult<()> {
        if self.is_staff_of(station_id) {
            Ok(())
        } else {
            Err(forbidden())
        }
    }

    /// Refuses with 403 unless the caller may read the station's records.
    pub fn require_oversight_of(&self, station_id: i32) -> AppResult<()> {
        if self.can_oversee(station_id) {
            Ok(())
        } else {
            Err(forbidden())
        }
    }

    /// Director of the station (or admin).
    pub fn is_director_of(&self, station_id: i32) -> bool {
        self.is_admin() || (self.station_id == Some(station_id) && self.has(Role::Director))
    }

    /// A volunteer whose home station is this one: may take the station's open orders.
    pub fn is_volunteer_of(&self, station_id: i32) -> bool {
        self.has(Role::Volunteer) && self.station_id == Some(station_id)
    }

    /// The station a staff caller works in; an error for callers who belong to none.
    pub fn home_station(&self) -> AppResult<i32> {
        self.station_id
            .ok_or_else(|| AppError::unprocessable("STATION_REQUIRED", "请指定实践站 (station_id)"))
    }

    /// The stations a station-scoped list shows: an admin any named one (or every station); a
    /// supervisor a named station of their district (or all of them); everyone else only their
    /// home station. Naming a station outside that is 403 `OTHER_STATION`.
    pub fn listing_station(&self, named: Option<i32>) -> AppResult<StationScope> {
        let other_station = || AppError::forbidden("OTHER_STATION", "只能查看本实践站（或本辖区）的数据");
        if self.is_admin() {
            return Ok(named.map_or(StationScope::All, StationScope::One));
        }
        if self.has(Role::Supervisor) {
            return match named {
                Some(id) if self.supervises(id) => Ok(StationScope::One(id)),
                Some(_) => Err(other_station()),
                None => Ok(StationScope::Some(self.supervised.clone())),
            };
        }
        let home = self.home_station()?;
        if named.is_some_and(|s| s != home) {
            return Err(other_station());
        }
        Ok(StationScope::One(home))
    }

    /// Like [`listing_station`](Self::listing_station), for reports that are about exactly one
    /// station: callers who read across stations must name it (422 `STATION_REQUIRED`).
    pub fn one_listed_station(&self, named: Option<i32>) -> AppResult<i32> {
        match self.listing_station(named)? {
            StationScope::One(id) => Ok(id),
            _ => Err(AppError::unprocessable_field(
                "STATION_REQUIRED",
                "station_id",
                "请指定实践站 (station_id)",
            )),
        }
    }

    /// The station a staff request is about: the one named, or the caller's own.
    pub fn station_or_home(&self, named: Option<i32>) -> AppResult<i32> {
        match named {
            Some(id) => Ok(id),
            None => self.home_station(),
        }
    }
}

/// The stations a list may show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StationScope {
    /// Every station (an admin who named none).
    All,
    /// One station.
    One(i32),
    /// Several stations (a supervisor's district).
    Some(Vec<i32>),
}

impl StationScope {
    /// The filter on `column` (a station id column) that keeps rows of the scope.
    pub fn condition<C: sea_orm::ColumnTrait>(&self, column: C) -> sea_orm::Condition {
        use sea_orm::Condition;
        match self {
            StationScope::All => Condition::all(),
            StationScope::One(id) => Condition::all().add(column.eq(*id)),
            StationScope::Some(ids) => Condition::all().add(column.is_in(ids.clone())),
        }
    }

    /// Whether the scope holds the station.
    pub fn contains(&self, station_id: i32) -> bool {
        match self {
            StationScope::All => true,
            StationScope::One(id) => *id == station_id,
            StationScope::Some(ids) => ids.contains(&station_id),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(roles: &[Role], station_id: Option<i32>) -> AuthUser {
        AuthUser {
            id: 1,
            roles: roles.to_vec(),
            station_id,
            supervised: Vec::new(),
            token: Default::default(),
        }
    }

    #[test]
    fn secretary_runs_only_own_station() {
        let secretary = user(&[Role::Resident, Role::Secretary], Some(1));
        assert!(secretary.is_staff_of(1));
        assert!(!secretary.is_staff_of(2));
    }

    #[test]
    fn supervisor_oversees_the_district_stations_but_runs_none() {
        let supervisor = AuthUser {
            supervised: vec![7, 8],
            ..user(&[Role::Supervisor], None)
        };
        assert!(supervisor.can_oversee(7));
        assert!(!supervisor.can_oversee(9));
        assert!(!supervisor.is_staff_of(7));
        assert_eq!(
            supervisor.listing_station(None).ok(),
            Some(StationScope::Some(vec![7, 8]))
        );
        assert_eq!(supervisor.listing_station(Some(8)).ok(), Some(StationScope::One(8)));
        assert_eq!(
            supervisor.listing_station(Some(9)).map_err(|e| e.code()).err(),
            Some("OTHER_STATION")
        );
    }

    #[test]
    fn admin_lists_everything_and_staff_only_home() {
        assert_eq!(
            user(&[Role::Admin], None).listing_station(None).ok(),
            Some(StationScope::All)
        );
        let secretary = user(&[Role::Secretary], Some(3));
        assert_eq!(secretary.listing_station(None).ok(), Some(StationScope::One(3)));
        assert_eq!(
            secretary.listing_station(Some(4)).map_err(|e| e.code()).err(),
            Some("OTHER_STATION")
        );
    }

    #[test]
    fn roles_round_trip_through_their_names() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>(), Ok(role));
        }
    }
}
