use std::fmt;
use std::str::FromStr;
use std::time::{SystemTime, UNIX_EPOCH};

/// A valid proleptic Gregorian calendar date in the years 1–9999.
///
/// Field order makes the derived `Ord` chronological.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    year: i32,
    month: u8,
    day: u8,
}

impl Date {
    /// `None` unless the date exists (e.g. no 29 February in 1900).
    pub fn new(year: i32, month: u8, day: u8) -> Option<Self> {
        let valid = (1..=9999).contains(&year)
            && (1..=12).contains(&month)
            && day >= 1
            && day <= days_in_month(year, month);
        valid.then_some(Self { year, month, day })
    }

    pub fn year(self) -> i32 {
        self.year
    }

    pub fn month(self) -> u8 {
        self.month
    }

    pub fn day(self) -> u8 {
        self.day
    }

    /// Today in UTC.
    ///
    /// UTC rather than local time keeps this crate free of time-zone data. In
    /// the Nordics that makes "today" lag by a day for an hour or two after
    /// local midnight, which only matters for callers born on that very day.
    pub fn today() -> Self {
        let seconds = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |elapsed| elapsed.as_secs());
        let days = i64::try_from(seconds / 86_400).unwrap_or(i64::MAX / 2);
        Self::from_days_since_unix_epoch(days)
    }

    /// Howard Hinnant's `civil_from_days`, which is exact for every day in range
    /// without looping over years.
    pub(crate) fn from_days_since_unix_epoch(days: i64) -> Self {
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let day_of_era = z.rem_euclid(146_097);
        let year_of_era =
            (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
        let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
        let shifted_month = (5 * day_of_year + 2) / 153;
        let day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
        let month = if shifted_month < 10 {
            shifted_month + 3
        } else {
            shifted_month - 9
        };
        let year = year_of_era + era * 400 + i64::from(month <= 2);
        Self {
            year: i32::try_from(year.clamp(1, 9999)).unwrap_or(9999),
            month: u8::try_from(month).unwrap_or(1),
            day: u8::try_from(day).unwrap_or(1),
        }
    }

    /// Completed years from `self` to `later`; `None` if `later` is earlier.
    ///
    /// Someone born on 29 February gets a year older on 1 March in common
    /// years, the usual convention for legal age.
    pub fn whole_years_until(self, later: Date) -> Option<u32> {
        if later < self {
            return None;
        }
        let birthday_not_reached = (later.month, later.day) < (self.month, self.day);
        u32::try_from(later.year - self.year - i32::from(birthday_not_reached)).ok()
    }
}

pub(crate) fn is_leap_year(year: i32) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

fn days_in_month(year: i32, month: u8) -> u8 {
    match month {
        2 if is_leap_year(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// The latest year ending in `two_digit_year` whose `month`/`day` is not after
/// `today`.
///
/// Compares (year, month, day) as a tuple rather than as a [`Date`], so an
/// impossible day such as 29 February still gets a century and can then be
/// reported as an impossible date *in that year*.
pub(crate) fn latest_year_not_after(two_digit_year: u8, month: u8, day: u8, today: Date) -> i32 {
    let year = today.year - (today.year - i32::from(two_digit_year)).rem_euclid(100);
    if (year, month, day) > (today.year, today.month, today.day) {
        year - 100
    } else {
        year
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// Error from parsing a [`Date`] written as `YYYY-MM-DD`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("\"{0}\" is not a date written as YYYY-MM-DD")]
pub struct InvalidDate(String);

impl FromStr for Date {
    type Err = InvalidDate;

    /// Strictly `YYYY-MM-DD`, so a `--today` override on a command line cannot
    /// be misread as day-month order.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let invalid = || InvalidDate(text.to_owned());
        let bytes = text.as_bytes();
        if bytes.len() != 10
            || bytes[4] != b'-'
            || bytes[7] != b'-'
            || !text
                .char_indices()
                .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
        {
            return Err(invalid());
        }
        let year = text[..4].parse().map_err(|_| invalid())?;
        let month = text[5..7].parse().map_err(|_| invalid())?;
        let day = text[8..].parse().map_err(|_| invalid())?;
        Date::new(year, month, day).ok_or_else(invalid)
    }
}

impl serde::Serialize for Date {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Date {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(year: i32, month: u8, day: u8) -> Date {
        Date::new(year, month, day).unwrap()
    }

    #[test]
    fn rejects_impossible_dates() {
        assert!(Date::new(1900, 2, 29).is_none());
        assert!(Date::new(2000, 2, 29).is_some());
        assert!(Date::new(2023, 2, 29).is_none());
        assert!(Date::new(2024, 2, 29).is_some());
        assert!(Date::new(2024, 4, 31).is_none());
        assert!(Date::new(2024, 13, 1).is_none());
        assert!(Date::new(2024, 0, 1).is_none());
        assert!(Date::new(2024, 1, 0).is_none());
        assert!(Date::new(0, 1, 1).is_none());
    }

    #[test]
    fn converts_days_since_epoch() {
        assert_eq!(Date::from_days_since_unix_epoch(0), date(1970, 1, 1));
        assert_eq!(Date::from_days_since_unix_epoch(11_016), date(2000, 2, 29));
        assert_eq!(Date::from_days_since_unix_epoch(11_017), date(2000, 3, 1));
        assert_eq!(Date::from_days_since_unix_epoch(19_723), date(2024, 1, 1));
        assert_eq!(Date::from_days_since_unix_epoch(-1), date(1969, 12, 31));
    }

    #[test]
    fn today_is_plausible() {
        assert!(Date::today() > date(2024, 1, 1));
    }

    #[test]
    fn displays_and_parses_iso_format() {
        assert_eq!(date(812, 3, 4).to_string(), "0812-03-04");
        assert_eq!("2024-02-29".parse::<Date>(), Ok(date(2024, 2, 29)));
        for bad in [
            "2023-02-29",
            "2024-2-29",
            "29-02-2024",
            "2024-02-29 ",
            "+024-02-29",
        ] {
            assert!(bad.parse::<Date>().is_err(), "{bad}");
        }
    }

    #[test]
    fn serde_uses_iso_string() {
        let json = serde_json::to_string(&date(1912, 12, 12)).unwrap();
        assert_eq!(json, "\"1912-12-12\"");
        assert_eq!(
            serde_json::from_str::<Date>(&json).unwrap(),
            date(1912, 12, 12)
        );
    }

    #[test]
    fn counts_whole_years() {
        let birth = date(2000, 2, 29);
        assert_eq!(birth.whole_years_until(date(2001, 2, 28)), Some(0));
        assert_eq!(birth.whole_years_until(date(2001, 3, 1)), Some(1));
        assert_eq!(birth.whole_years_until(date(2004, 2, 29)), Some(4));
        assert_eq!(birth.whole_years_until(birth), Some(0));
        assert_eq!(birth.whole_years_until(date(2000, 2, 28)), None);
    }

    #[test]
    fn latest_year_prefers_the_past() {
        let today = date(2025, 6, 1);
        assert_eq!(latest_year_not_after(25, 6, 1, today), 2025);
        assert_eq!(latest_year_not_after(25, 6, 2, today), 1925);
        assert_eq!(latest_year_not_after(12, 12, 12, today), 2012);
        assert_eq!(latest_year_not_after(99, 1, 1, today), 1999);
        assert_eq!(latest_year_not_after(0, 2, 29, today), 2000);
    }
}
