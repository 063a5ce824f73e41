//! The little XML the feeds need besides escaping (`crate::xml`): the two date formats.

pub use crate::xml::escape;
use jiff::Timestamp;
use jiff::tz::TimeZone;

/// RSS 2.0 dates are RFC 822 date-times (with the four-digit year of RFC 1123), given here in
/// the newsroom's zone with a numeric offset: "Thu, 08 Jan 2026 09:05:00 -0500".
pub fn rfc822(at: Timestamp, zone: &TimeZone) -> String {
    at.to_zoned_datetime(zone.clone())
        .strftime("%a, %d %b %Y %H:%M:%S %z")
        .to_string()
}

/// Atom (RFC 4287 §3.3) and JSON Feed dates are RFC 3339 date-times.
pub fn rfc3339(at: Timestamp, zone: &TimeZone) -> String {
    dateline_core::jsonld::iso_with_offset(at, zone)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_dates() {
        let at: Timestamp = "2026-01-08T14:05:00Z".parse().expect("timestamp");
        let bogota = TimeZone::get("America/Bogota").expect("zone");
        assert_eq!(rfc822(at, &bogota), "Thu, 08 Jan 2026 09:05:00 -0500");
        assert_eq!(
            rfc822(at, &TimeZone::UTC),
            "Thu, 08 Jan 2026 14:05:00 +0000"
        );
        assert_eq!(rfc3339(at, &bogota), "2026-01-08T09:05:00-05:00");
    }
}
