//! A `Timestamp` column read for the export, which reads millions of them. SQLite keeps
//! them as text, and diesel reads that text with chrono's formatted parse, which tries its
//! format item by item (a twentieth of an export's instructions on SQLite). The text the
//! server writes, `2020-02-03 08:30:00.123456`, is read here digit by digit; any other form
//! goes to diesel's parse, as before.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::deserialize::{self, FromSql, FromSqlRow};
use diesel::pg::Pg;
use diesel::sql_types::Timestamp;
use diesel::sqlite::Sqlite;

use super::conn::{MultiBackend, MultiRawValue};

#[derive(Clone, Copy, Debug, PartialEq, Eq, FromSqlRow)]
pub struct ReadInstant(pub NaiveDateTime);

impl FromSql<Timestamp, Sqlite> for ReadInstant {
    fn from_sql(
        mut value: <Sqlite as diesel::backend::Backend>::RawValue<'_>,
    ) -> deserialize::Result<Self> {
        match as_written(value.read_text()) {
            Some(at) => Ok(ReadInstant(at)),
            None => <NaiveDateTime as FromSql<Timestamp, Sqlite>>::from_sql(value).map(ReadInstant),
        }
    }
}

impl FromSql<Timestamp, Pg> for ReadInstant {
    fn from_sql(
        value: <Pg as diesel::backend::Backend>::RawValue<'_>,
    ) -> deserialize::Result<Self> {
        <NaiveDateTime as FromSql<Timestamp, Pg>>::from_sql(value).map(ReadInstant)
    }
}

impl FromSql<Timestamp, MultiBackend> for ReadInstant {
    fn from_sql(value: MultiRawValue<'_>) -> deserialize::Result<Self> {
        value.from_sql::<Self, Timestamp>()
    }
}

/// `YYYY-MM-DD HH:MM:SS`, then a fraction of up to nine digits if any, as chrono's `%F
/// %T%.f` reads it; `None` for anything else.
fn as_written(text: &str) -> Option<NaiveDateTime> {
    let b = text.as_bytes();
    if b.len() < 19
        || b[4] != b'-'
        || b[7] != b'-'
        || b[10] != b' '
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let number = |from: usize, to: usize| -> Option<u32> {
        b[from..to].iter().try_fold(0u32, |n, d| {
            d.is_ascii_digit().then(|| n * 10 + u32::from(d - b'0'))
        })
    };
    let nanos = match &b[19..] {
        [] => 0,
        [b'.', digits @ ..] if (1..=9).contains(&digits.len()) => {
            number(20, b.len())? * 10u32.pow(9 - digits.len() as u32)
        }
        _ => return None,
    };
    let day = NaiveDate::from_ymd_opt(number(0, 4)? as i32, number(5, 7)?, number(8, 10)?)?;
    // A leap second (60) is left to chrono, which reads it its own way.
    let second = number(17, 19)?;
    if second > 59 {
        return None;
    }
    day.and_hms_nano_opt(number(11, 13)?, number(14, 16)?, second, nanos)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_text_the_server_writes_as_chrono_does() {
        let texts = [
            "2020-02-03 08:30:00",
            "2020-02-03 08:30:00.1",
            "2020-02-03 08:30:00.123456",
            "2020-02-03 08:30:00.123456789",
            "2020-02-29 23:59:59.999999",
            "1999-12-31 00:00:00.000001",
            "0001-01-01 00:00:00",
        ];
        for text in texts {
            let chrono = NaiveDateTime::parse_from_str(text, "%F %T%.f").ok();
            assert!(chrono.is_some(), "{text}");
            assert_eq!(as_written(text), chrono, "{text}");
        }
    }

    #[test]
    fn leaves_any_other_form_to_diesel() {
        let others = [
            "",
            "2020-02-03",
            "2020-02-03T08:30:00",
            "2020-02-03 08:30:00Z",
            "2020-02-03 08:30:00+08:00",
            "2020-02-03 08:30:00.",
            "2020-02-03 08:30:00.1234567890",
            "2020-02-30 08:30:00",
            "2020-13-03 08:30:00",
            "2020-02-03 24:00:00",
            "2020-02-03 08:60:00",
            "2020-02-03 08:30:60",
            "2020-02-03 08:30:0x",
            "+020-02-03 08:30:00",
            "2458883.5",
        ];
        for text in others {
            assert_eq!(as_written(text), None, "{text}");
        }
    }
}
