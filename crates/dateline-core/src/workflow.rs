//! The editorial workflow: which status changes are legal, the embargo on scheduled articles, and
//! reading a publication time typed in the newsroom's own time zone.
//!
//! ```text
//! draft ⇄ in review ─► scheduled ─(at its time)─► published ⇄ unpublished
//!   └──────────┴──────────────────────────────────────┘          └─► draft
//! ```

use jiff::Timestamp;
use jiff::civil::DateTime;
use jiff::tz::{AmbiguousOffset, Offset, TimeZone};
use thiserror::Error;

use crate::ArticleStatus;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum WorkflowError {
    #[error("an article cannot go from {from} to {to}")]
    Illegal {
        from: ArticleStatus,
        to: ArticleStatus,
    },
    /// A scheduled article is under embargo until its time: publishing it earlier means first
    /// taking it off the schedule, a deliberate second step.
    #[error(
        "the article is embargoed until {until}; take it off the schedule first to publish it earlier"
    )]
    Embargoed { until: Timestamp },
    #[error("the publication time {at} has already passed; choose a time in the future")]
    ScheduleInPast { at: Timestamp },
}

/// Where an article in `from` may go next, for the newsroom to offer as actions.
pub fn next_statuses(from: ArticleStatus) -> &'static [ArticleStatus] {
    use ArticleStatus::*;
    match from {
        Draft => &[InReview, Scheduled, Published],
        InReview => &[Draft, Scheduled, Published],
        // Scheduled → scheduled is a new time; → published only once the embargo has passed.
        Scheduled => &[Draft, InReview, Scheduled, Published],
        Published => &[Unpublished],
        Unpublished => &[Published, Draft],
    }
}

/// Whether `from` → `to` may happen at `now`; `scheduled_for` is the article's current embargo.
pub fn check_transition(
    from: ArticleStatus,
    to: ArticleStatus,
    scheduled_for: Option<Timestamp>,
    now: Timestamp,
) -> Result<(), WorkflowError> {
    if !next_statuses(from).contains(&to) {
        return Err(WorkflowError::Illegal { from, to });
    }
    if from == ArticleStatus::Scheduled
        && to == ArticleStatus::Published
        && let Some(until) = scheduled_for
        && until > now
    {
        return Err(WorkflowError::Embargoed { until });
    }
    Ok(())
}

/// Whether an article in `from` may be scheduled for `at`, seen at `now`.
pub fn check_schedule(
    from: ArticleStatus,
    at: Timestamp,
    now: Timestamp,
) -> Result<(), WorkflowError> {
    check_transition(from, ArticleStatus::Scheduled, None, now)?;
    if at <= now {
        return Err(WorkflowError::ScheduleInPast { at });
    }
    Ok(())
}

/// Why a typed publication time could not be used.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ScheduleTimeError {
    #[error("“{0}” is not a date and time: use the form 2026-03-08T07:00")]
    Unreadable(String),
    #[error("“{0}” is not a known time zone")]
    UnknownZone(String),
    /// Spring forward: the clock skips this local time, so no instant has it.
    #[error(
        "{local} does not exist in {zone}: the clocks go forward from {before} to {after} that \
         night, skipping it; choose a time outside the gap"
    )]
    Skipped {
        local: DateTime,
        zone: String,
        before: Offset,
        after: Offset,
    },
    #[error("{0} is outside the supported range of dates")]
    OutOfRange(DateTime),
}

/// A publication time typed in the newsroom's zone, resolved to one instant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalPublishTime {
    pub at: Timestamp,
    pub local: DateTime,
    pub zone: String,
    /// Set when the local time happens twice (fall back): the earlier one was taken.
    pub repeated: Option<RepeatedTime>,
}

/// A local time the clocks pass twice, and which of the two the schedule means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepeatedTime {
    pub earlier: Timestamp,
    pub earlier_offset: Offset,
    pub later: Timestamp,
    pub later_offset: Offset,
}

impl LocalPublishTime {
    /// What the newsroom should be told about an ambiguous time, if anything.
    pub fn notice(&self) -> Option<String> {
        self.repeated.as_ref().map(|r| {
            format!(
                "{} happens twice in {} (the clocks go back that night): scheduled for the first, \
                 at UTC{}, not the second at UTC{}",
                self.local, self.zone, r.earlier_offset, r.later_offset
            )
        })
    }
}

/// Reads `YYYY-MM-DDTHH:MM[:SS]` (what an HTML `datetime-local` field sends; a space instead of
/// the `T` is accepted too).
pub fn parse_local_date_time(text: &str) -> Result<DateTime, ScheduleTimeError> {
    let trimmed = text.trim();
    let normalised = trimmed.replacen(' ', "T", 1);
    normalised
        .parse::<DateTime>()
        .ok()
        .filter(|_| normalised.len() >= "2026-03-08T07:00".len())
        .ok_or_else(|| ScheduleTimeError::Unreadable(trimmed.to_owned()))
}

/// The instant at which `local` happens in `zone_name`, DST included: a time the clocks skip is
/// refused, a time they pass twice resolves to the earlier instant (and says so).
pub fn resolve_local_time(
    local: DateTime,
    zone_name: &str,
) -> Result<LocalPublishTime, ScheduleTimeError> {
    let zone = TimeZone::get(zone_name)
        .map_err(|_| ScheduleTimeError::UnknownZone(zone_name.to_owned()))?;
    let ambiguous = zone.to_ambiguous_timestamp(local);
    let repeated = match ambiguous.offset() {
        AmbiguousOffset::Unambiguous { .. } => None,
        AmbiguousOffset::Gap { before, after } => {
            return Err(ScheduleTimeError::Skipped {
                local,
                zone: zone_name.to_owned(),
                before,
                after,
            });
        }
        AmbiguousOffset::Fold { before, after } => {
            let earlier = before
                .to_timestamp(local)
                .map_err(|_| ScheduleTimeError::OutOfRange(local))?;
            let later = after
                .to_timestamp(local)
                .map_err(|_| ScheduleTimeError::OutOfRange(local))?;
            Some(RepeatedTime {
                earlier,
                earlier_offset: before,
                later,
                later_offset: after,
            })
        }
    };
    let at = ambiguous
        .earlier()
        .map_err(|_| ScheduleTimeError::OutOfRange(local))?;
    Ok(LocalPublishTime {
        at,
        local,
        zone: zone_name.to_owned(),
        repeated,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ArticleStatus::*;

    fn at(text: &str) -> Timestamp {
        text.parse().expect("timestamp")
    }

    #[test]
    fn every_pair_of_statuses_is_either_allowed_or_refused_as_the_diagram_says() {
        let now = at("2026-03-01T12:00:00Z");
        let allowed = [
            (Draft, InReview),
            (Draft, Scheduled),
            (Draft, Published),
            (InReview, Draft),
            (InReview, Scheduled),
            (InReview, Published),
            (Scheduled, Draft),
            (Scheduled, InReview),
            (Scheduled, Scheduled),
            (Scheduled, Published),
            (Published, Unpublished),
            (Unpublished, Published),
            (Unpublished, Draft),
        ];
        for from in ArticleStatus::ALL {
            for to in ArticleStatus::ALL {
                let result = check_transition(from, to, None, now);
                if allowed.contains(&(from, to)) {
                    assert_eq!(result, Ok(()), "{from} → {to}");
                } else {
                    assert_eq!(
                        result,
                        Err(WorkflowError::Illegal { from, to }),
                        "{from} → {to}"
                    );
                }
            }
        }
        assert_eq!(
            check_transition(Published, Draft, None, now)
                .unwrap_err()
                .to_string(),
            "an article cannot go from published to draft"
        );
    }

    #[test]
    fn a_scheduled_article_publishes_at_its_time_and_not_before() {
        let embargo = at("2026-03-01T12:00:00Z");
        let second_before = at("2026-03-01T11:59:59Z");
        assert_eq!(
            check_transition(Scheduled, Published, Some(embargo), second_before),
            Err(WorkflowError::Embargoed { until: embargo })
        );
        assert_eq!(
            check_transition(Scheduled, Published, Some(embargo), embargo),
            Ok(())
        );
        // Taking it off the schedule is always possible, even before its time.
        assert_eq!(
            check_transition(Scheduled, Draft, Some(embargo), second_before),
            Ok(())
        );
    }

    #[test]
    fn scheduling_needs_a_future_time_and_a_schedulable_status() {
        let now = at("2026-03-01T12:00:00Z");
        assert_eq!(
            check_schedule(Draft, now, now),
            Err(WorkflowError::ScheduleInPast { at: now })
        );
        assert_eq!(
            check_schedule(InReview, at("2026-03-02T00:00:00Z"), now),
            Ok(())
        );
        assert_eq!(
            check_schedule(Published, at("2026-03-02T00:00:00Z"), now),
            Err(WorkflowError::Illegal {
                from: Published,
                to: Scheduled
            })
        );
    }

    #[test]
    fn bogota_has_no_dst_so_seven_is_always_noon_utc() {
        // New York springs forward on 8 March 2026 and falls back on 1 November; Bogotá does not.
        for day in ["2026-03-07", "2026-03-08", "2026-03-09", "2026-11-01"] {
            let local = parse_local_date_time(&format!("{day}T07:00")).expect("parses");
            let resolved = resolve_local_time(local, "America/Bogota").expect("resolves");
            assert_eq!(resolved.at, at(&format!("{day}T12:00:00Z")));
            assert_eq!(resolved.repeated, None);
        }
        let new_york = |day: &str| {
            resolve_local_time(
                parse_local_date_time(&format!("{day} 07:00")).expect("parses"),
                "America/New_York",
            )
            .expect("resolves")
            .at
        };
        assert_eq!(new_york("2026-03-07"), at("2026-03-07T12:00:00Z"));
        assert_eq!(new_york("2026-03-09"), at("2026-03-09T11:00:00Z"));
    }

    #[test]
    fn a_skipped_local_time_is_refused_with_the_reason() {
        let local = parse_local_date_time("2026-03-08T02:30").expect("parses");
        let error = resolve_local_time(local, "America/New_York").unwrap_err();
        assert!(matches!(error, ScheduleTimeError::Skipped { .. }));
        let message = error.to_string();
        assert!(
            message.contains("does not exist in America/New_York"),
            "{message}"
        );
        assert!(message.contains("-05"), "{message}");
        assert!(message.contains("-04"), "{message}");
    }

    #[test]
    fn a_repeated_local_time_takes_the_earlier_instant_and_says_so() {
        let local = parse_local_date_time("2026-11-01T01:30").expect("parses");
        let resolved = resolve_local_time(local, "America/New_York").expect("resolves");
        // 01:30 EDT (UTC-4) comes an hour before 01:30 EST (UTC-5).
        assert_eq!(resolved.at, at("2026-11-01T05:30:00Z"));
        let repeated = resolved.repeated.clone().expect("ambiguous");
        assert_eq!(repeated.later, at("2026-11-01T06:30:00Z"));
        let notice = resolved.notice().expect("a notice");
        assert!(notice.contains("happens twice"), "{notice}");
    }

    #[test]
    fn unreadable_times_and_zones_are_refused() {
        assert!(matches!(
            parse_local_date_time("tomorrow at seven"),
            Err(ScheduleTimeError::Unreadable(_))
        ));
        assert!(matches!(
            parse_local_date_time("2026-03-08"),
            Err(ScheduleTimeError::Unreadable(_))
        ));
        let local = parse_local_date_time("2026-03-08T07:00").expect("parses");
        assert_eq!(
            resolve_local_time(local, "Mars/Olympus"),
            Err(ScheduleTimeError::UnknownZone("Mars/Olympus".to_owned()))
        );
    }
}
