//! Whether a person is expected to report on a day: not on a non-working day, a holiday, or
//! while on leave.

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
}
