//! "Today" is the calendar date where the person is, not where the server is.

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;

use crate::problem::Problem;

pub fn parse_timezone(name: &str) -> Result<Tz, Problem> {
    name.trim().parse::<Tz>().map_err(|_| {
        Problem::new(
            "invalid_timezone",
            format!("`{name}` is not an IANA time zone such as Asia/Shanghai"),
        )
        .with("value", name)
    })
}

/// What `parse_date` reads, as the OpenAPI document's `pattern` for dates.
pub const DATE_PATTERN: &str = "^[0-9]{4}-[0-9]{2}-[0-9]{2}$";

/// A calendar date written exactly `YYYY-MM-DD`, as the API documents dates. Stricter than
/// chrono's parser, which also takes `2020-2-3` or a signed, longer year.
pub fn parse_date(raw: &str) -> Option<NaiveDate> {
    let bytes = raw.as_bytes();
    let shaped = bytes.len() == 10
        && bytes[4] == b'-'
        && bytes[7] == b'-'
        && bytes
            .iter()
            .enumerate()
            .all(|(i, b)| i == 4 || i == 7 || b.is_ascii_digit());
    if !shaped {
        return None;
    }
    let number = |range: std::ops::Range<usize>| raw.get(range)?.parse::<u32>().ok();
    let year = i32::try_from(number(0..4)?).ok()?;
    NaiveDate::from_ymd_opt(year, number(5..7)?, number(8..10)?)
}

/// A time zone and an instant, turned into calendar days.
#[derive(Clone, Copy, Debug)]
pub struct LocalCalendar {
    pub tz: Tz,
    pub now: DateTime<Utc>,
}

impl LocalCalendar {
    pub fn new(tz: Tz, now: DateTime<Utc>) -> Self {
        Self { tz, now }
    }

    pub fn today(&self) -> NaiveDate {
        self.now.with_timezone(&self.tz).date_naive()
    }
}

/// The first instant after `day` ends in `tz`, in UTC: where that day's counts stop.
pub fn day_end_utc(tz: Tz, day: NaiveDate) -> chrono::NaiveDateTime {
    use chrono::TimeZone;
    let next = day.succ_opt().unwrap_or(day);
    let midnight = next.and_hms_opt(0, 0, 0).unwrap_or_default();
    match tz.from_local_datetime(&midnight) {
        chrono::LocalResult::Single(t) | chrono::LocalResult::Ambiguous(t, _) => t.naive_utc(),
        // Midnight skipped by a clock change: the day ends an hour later.
        chrono::LocalResult::None => (midnight + chrono::Duration::hours(1))
            .and_local_timezone(tz)
            .earliest()
            .map(|t| t.naive_utc())
            .unwrap_or(midnight),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn shanghai_is_a_day_ahead_of_utc_late_in_the_utc_evening() {
        let now = Utc.with_ymd_and_hms(2020, 2, 3, 16, 1, 0).unwrap();
        let cal = LocalCalendar::new(parse_timezone("Asia/Shanghai").unwrap(), now);
        assert_eq!(cal.today(), NaiveDate::from_ymd_opt(2020, 2, 4).unwrap());
    }

    #[test]
    fn dates_are_read_only_as_yyyy_mm_dd() {
        assert_eq!(
            parse_date("2020-02-29"),
            NaiveDate::from_ymd_opt(2020, 2, 29)
        );
        assert_eq!(parse_date("0000-01-01"), NaiveDate::from_ymd_opt(0, 1, 1));
        for bad in [
            "2026-13-01",
            "2021-02-29",
            "2020-2-03",
            "2020-02-3",
            "+2020-02-03",
            "12020-02-03",
            " 2020-02-03",
            "2020-02-03 ",
            "2020/02/03",
            "2020-0a-03",
            "",
            "today",
            "２０２０-02-03",
        ] {
            assert_eq!(parse_date(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn unknown_zone_is_refused() {
        let problem = parse_timezone("Mars/Olympus").unwrap_err();
        assert_eq!(problem.code, "invalid_timezone");
        assert_eq!(problem.params["value"], "Mars/Olympus");
    }
}
