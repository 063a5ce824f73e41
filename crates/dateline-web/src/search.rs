//! The reader-facing searches: a search as a URL asks for it, checked field by field. The index
//! and the follower that keeps it in step with the store are `dateline_search::follower`.

use dateline_search::SearchQuery;

/// Bounds far outside any publication date, inside what every index can represent (tantivy's
/// dates end in 2262): a filter day beyond them means the same as the bound itself.
fn clamp_to_news_era(at: jiff::Timestamp) -> jiff::Timestamp {
    const YEAR_1800: i64 = -5_364_662_400;
    const YEAR_2200: i64 = 7_258_118_400;
    let seconds = at.as_second().clamp(YEAR_1800, YEAR_2200);
    jiff::Timestamp::from_second(seconds).unwrap_or(at)
}

/// A search as asked for in a URL (`/search?q=…` and `/api/v1/search?q=…`), checked field by
/// field so a form can re-show what was typed with a message next to what was wrong.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct SearchParams {
    pub q: String,
    pub section: String,
    pub author: String,
    /// `YYYY-MM-DD`, first day included, in the newsroom's time zone.
    pub from: String,
    /// `YYYY-MM-DD`, last day included.
    pub until: String,
    /// `relevance` (default) or `newest`.
    pub order: String,
}

/// A field that could not be used, and why (shown next to the field).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FieldError {
    pub field: &'static str,
    pub message: String,
}

/// Longest query text accepted; the engine reads at most [`dateline_search::MAX_QUERY_CHARS`].
pub const MAX_QUERY_PARAM_CHARS: usize = 1_000;

impl SearchParams {
    /// Reads the known parameters; the rest are returned by name for callers that refuse them.
    pub fn from_query(raw: Option<&str>) -> (Self, Vec<(String, String)>) {
        let mut params = Self::default();
        let mut others = Vec::new();
        for (name, value) in form_urlencoded::parse(raw.unwrap_or("").as_bytes()) {
            let value = value.into_owned();
            match name.as_ref() {
                "q" => params.q = value,
                "section" => params.section = value,
                "author" => params.author = value,
                "from" => params.from = value,
                "until" => params.until = value,
                "order" => params.order = value,
                other => others.push((other.to_owned(), value)),
            }
        }
        (params, others)
    }

    /// The engine's query, or every field that is wrong. Dates are days in `zone`. An end date
    /// before the start date is an error for a person filling a form; for a program it is simply
    /// a range with nothing in it.
    pub fn to_query(
        &self,
        zone: &jiff::tz::TimeZone,
        inverted_range_is_error: bool,
    ) -> Result<SearchQuery, Vec<FieldError>> {
        let mut errors = Vec::new();
        if self.q.chars().count() > MAX_QUERY_PARAM_CHARS {
            errors.push(FieldError {
                field: "q",
                message: format!("Search for at most {MAX_QUERY_PARAM_CHARS} characters."),
            });
        }
        let mut slug_field = |field: &'static str, value: &str, what: &str| {
            let value = value.trim();
            if value.is_empty() {
                None
            } else if dateline_core::slug::is_valid_slug(value) {
                Some(value.to_owned())
            } else {
                errors.push(FieldError {
                    field,
                    message: format!("There is no {what} called {value:?}."),
                });
                None
            }
        };
        let section_slug = slug_field("section", &self.section, "section");
        let author_slug = slug_field("author", &self.author, "author");
        let mut day_field = |field: &'static str, value: &str, next_day: bool| {
            let value = value.trim();
            if value.is_empty() {
                return None;
            }
            let day = value
                .parse::<jiff::civil::Date>()
                .ok()
                .filter(|_| value.len() == 10);
            match day {
                // The last day jiff knows has no tomorrow: up to it means no upper bound.
                Some(day) if next_day && day.tomorrow().is_err() => None,
                Some(day) => {
                    let day = if next_day {
                        day.tomorrow().unwrap_or(day)
                    } else {
                        day
                    };
                    day.to_zoned_datetime(zone.clone())
                        .ok()
                        .map(|start| clamp_to_news_era(start.timestamp()))
                }
                None => {
                    errors.push(FieldError {
                        field,
                        message: "Give a date as YYYY-MM-DD, for example 2026-03-31.".to_owned(),
                    });
                    None
                }
            }
        };
        let from = day_field("from", &self.from, false);
        let until = day_field("until", &self.until, true);
        if inverted_range_is_error
            && let (Some(from), Some(until)) = (from, until)
            && until <= from
        {
            errors.push(FieldError {
                field: "until",
                message: "The end date is before the start date.".to_owned(),
            });
        }
        let order = match self.order.trim() {
            "" | "relevance" => dateline_search::SearchOrder::Relevance,
            "newest" => dateline_search::SearchOrder::Newest,
            _ => {
                errors.push(FieldError {
                    field: "order",
                    message: "Order by relevance or newest.".to_owned(),
                });
                dateline_search::SearchOrder::Relevance
            }
        };
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(SearchQuery {
            text: self.q.clone(),
            section_slug,
            author_slug,
            from,
            until,
            order,
            offset: 0,
            limit: 20,
        })
    }

    /// The query string for these parameters on another page (empty fields left out).
    pub fn query_string(&self, page: Option<usize>) -> String {
        let mut out = form_urlencoded::Serializer::new(String::new());
        for (name, value) in [
            ("q", &self.q),
            ("section", &self.section),
            ("author", &self.author),
            ("from", &self.from),
            ("until", &self.until),
            ("order", &self.order),
        ] {
            if !value.is_empty() {
                out.append_pair(name, value);
            }
        }
        if let Some(page) = page.filter(|page| *page > 1) {
            out.append_pair("page", &page.to_string());
        }
        out.finish()
    }
}
