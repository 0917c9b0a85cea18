//! Whether a person is expected to report on a day: not before they joined, not while
//! deactivated, not on a non-working day, a holiday, or while on leave.

use chrono::NaiveDate;
use serde::Serialize;
use utoipa::ToSchema;

use super::OrgSettings;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Exemption {
    NonWorkingDay,
    Holiday,
    OnLeave,
    /// The day is before the person was added.
    NotYetJoined,
    /// The person was deactivated at the end of that day.
    Inactive,
}

/// Where a person stood on a day, apart from the organization's calendar.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Standing {
    NotYetJoined,
    Inactive,
    Active { on_leave: bool },
}

/// Why a person need not report on a day, if they need not.
pub fn person_exemption(
    settings: &OrgSettings,
    day: NaiveDate,
    standing: Standing,
) -> Option<Exemption> {
    match standing {
        Standing::NotYetJoined => Some(Exemption::NotYetJoined),
        Standing::Inactive => Some(Exemption::Inactive),
        Standing::Active { on_leave } => exemption(settings, day, on_leave),
    }
}

pub fn exemption(settings: &OrgSettings, day: NaiveDate, on_leave: bool) -> Option<Exemption> {
    use chrono::Datelike;
    if settings.holidays.contains(&day) {
        Some(Exemption::Holiday)
    } else if !settings
        .working_days
        .contains(&(day.weekday().number_from_monday() as u8))
    {
        Some(Exemption::NonWorkingDay)
    } else if on_leave {
        Some(Exemption::OnLeave)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weekends_holidays_and_leave_are_exempt() {
        let settings = OrgSettings {
            holidays: vec![NaiveDate::from_ymd_opt(2020, 1, 24).unwrap()],
            ..OrgSettings::default()
        };
        let day = |d| NaiveDate::from_ymd_opt(2020, 1, d).unwrap();
        assert_eq!(exemption(&settings, day(23), false), None);
        assert_eq!(
            exemption(&settings, day(24), false),
            Some(Exemption::Holiday)
        );
        assert_eq!(
            exemption(&settings, day(25), false),
            Some(Exemption::NonWorkingDay)
        );
        assert_eq!(
            exemption(&settings, day(23), true),
            Some(Exemption::OnLeave)
        );
    }

    #[test]
    fn joining_and_deactivation_come_before_the_calendar() {
        let settings = OrgSettings::default();
        let saturday = NaiveDate::from_ymd_opt(2020, 1, 25).unwrap();
        let thursday = NaiveDate::from_ymd_opt(2020, 1, 23).unwrap();
        assert_eq!(
            person_exemption(&settings, saturday, Standing::NotYetJoined),
            Some(Exemption::NotYetJoined)
        );
        assert_eq!(
            person_exemption(&settings, thursday, Standing::Inactive),
            Some(Exemption::Inactive)
        );
        assert_eq!(
            person_exemption(&settings, thursday, Standing::Active { on_leave: false }),
            None
        );
        assert_eq!(
            person_exemption(&settings, saturday, Standing::Active { on_leave: false }),
            Some(Exemption::NonWorkingDay)
        );
    }
}
