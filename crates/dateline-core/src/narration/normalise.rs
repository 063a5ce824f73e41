//! Written news English to spoken words: money, percentages, numbers, years, dates, times,
//! ordinals, ranges, abbreviations and initialisms, the way a newsreader reads them aloud.
//!
//! The rules run as passes in a fixed order, most specific first ("$4.5 billion" before "4.5",
//! "Nov. 26, 2026" before "26" and "2026"), each turning its digits and symbols into words so later
//! passes no longer see them.

use std::sync::LazyLock;

use regex::{Captures, Regex};

use super::SpokenEnglish;
use super::numbers::{cardinal, decade, number, ordinal, year};

/// A written number: "1,234,567.89", "4.5", "12".
const NUMBER: &str = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?";

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
/// Full names first: the regex takes the first alternative that matches.
const MONTH_PATTERN: &str = "January|February|March|April|May|June|July|August|September|October|\
                             November|December|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec";

fn month_name(written: &str) -> &'static str {
    let prefix: String = written.chars().take(3).collect();
    MONTHS
        .iter()
        .find(|m| m.starts_with(&prefix))
        .copied()
        .unwrap_or("")
}

fn regex(pattern: &str) -> Regex {
    match Regex::new(pattern) {
        Ok(regex) => regex,
        // The patterns are constants checked by the tests below.
        Err(error) => panic!("narration pattern {pattern:?}: {error}"),
    }
}

fn group<'t>(caps: &Captures<'t>, name: &str) -> &'t str {
    caps.name(name).map_or("", |m| m.as_str())
}

fn whole_match_start(caps: &Captures<'_>) -> usize {
    caps.get(0).map_or(0, |m| m.start())
}

fn whole_match_end(caps: &Captures<'_>) -> usize {
    caps.get(0).map_or(0, |m| m.end())
}

/// The word before byte `at`, without punctuation.
fn word_before(text: &str, at: usize) -> &str {
    text[..at]
        .trim_end()
        .rsplit(|c: char| c.is_whitespace())
        .next()
        .unwrap_or("")
        .trim_matches(|c: char| !c.is_alphanumeric())
}

fn starts_with_uppercase(text: &str) -> bool {
    text.chars().next().is_some_and(char::is_uppercase)
}

static TITLES: LazyLock<Regex> = LazyLock::new(|| {
    regex(
        r"\b(?P<w>Mrs|Mr|Ms|Dr|Prof|Gov|Sen|Rep|Gen|Lt|Col|Capt|Sgt|Cpl|Adm|Maj|Rev|Hon|Pres|Supt|Insp|Det|Jr|Sr|St|Mt|Ft|Ave|Blvd|Rd|Nos|No|vs|etc|Inc|Corp|Co|Ltd|Bros|approx|Dept|Univ)(?P<dot>\.)?(?P<after>\s+\S|$)",
    )
});
static LATIN: LazyLock<Regex> = LazyLock::new(|| regex(r"\b(?P<w>e\.g|i\.e)\.(?:,)?"));
static INITIALISM: LazyLock<Regex> = LazyLock::new(|| regex(r"\b(?:[A-Z]\.){2,}"));
static MIDDLE_INITIAL: LazyLock<Regex> =
    LazyLock::new(|| regex(r"\b(?P<letter>[A-Z])\.(?P<next>\s+[A-Z][a-z])"));
static MONEY: LazyLock<Regex> = LazyLock::new(|| {
    regex(&format!(
        r"(?P<cur>US\$|A\$|C\$|NZ\$|HK\$|\$|£|€|¥)\s?(?P<a>{NUMBER})(?:\s?(?:-|–|to)\s?(?:US\$|\$|£|€|¥)?(?P<b>{NUMBER}))?(?:\s(?P<scale>million|billion|trillion)\b|(?P<short>bn|tn|m|k)\b)?"
    ))
});
static PERCENT: LazyLock<Regex> = LazyLock::new(|| {
    regex(&format!(
        r"(?P<lead>^|[\s(“‘]|[^\w\s.,])(?P<neg>[-−])?(?P<a>{NUMBER})(?:%?\s?(?:-|–|to)\s?(?P<b>{NUMBER}))?\s?(?:%|percent\b|per cent\b)"
    ))
});
static CLOCK: LazyLock<Regex> = LazyLock::new(|| {
    regex(r"\b(?P<h>\d{1,2}):(?P<m>[0-5]\d)(?:\s?(?P<ap>[aApP])\.?[mM]\b\.?)?(?P<to>\s?[-–]\s?)?")
});
static HOUR: LazyLock<Regex> =
    LazyLock::new(|| regex(r"\b(?P<h>\d{1,2})\s?(?P<ap>[aApP])\.?[mM]\b\.?(?P<to>\s?[-–]\s?)?"));
static MONTH_DAY: LazyLock<Regex> = LazyLock::new(|| {
    regex(&format!(
        r"\b(?P<mon>{MONTH_PATTERN})\.?\s(?P<d>\d{{1,2}})(?:st|nd|rd|th)?\b(?:,?\s(?P<y>\d{{4}})\b)?"
    ))
});
static DAY_MONTH: LazyLock<Regex> = LazyLock::new(|| {
    regex(&format!(
        r"\b(?P<d>\d{{1,2}})(?:st|nd|rd|th)?\s(?:of\s)?(?P<mon>{MONTH_PATTERN})\b\.?(?:,?\s(?P<y>\d{{4}})\b)?"
    ))
});
static MONTH_YEAR: LazyLock<Regex> =
    LazyLock::new(|| regex(&format!(r"\b(?P<mon>{MONTH_PATTERN})\.?\s(?P<y>\d{{4}})\b")));
/// "$" already taken: "2.5m people", "a 3bn budget". A whole number before "m" is often metres
/// ("the 100m final"), so only a decimal one is read as millions.
static SCALED: LazyLock<Regex> = LazyLock::new(|| {
    regex(&format!(
        r"\b(?P<n>{NUMBER})(?P<short>bn|tn)\b|\b(?P<m>\d+\.\d+)m\b"
    ))
});
/// Regnal and sequence numbers: "Elizabeth II" (the second), "World War II" (two).
static ROMAN: LazyLock<Regex> = LazyLock::new(|| {
    regex(r"\b(?P<name>[A-Z][a-z]+) (?P<roman>II|III|IV|VI|VII|VIII|IX|XI|XII)\b")
});
static DECADE: LazyLock<Regex> = LazyLock::new(|| regex(r"(?P<apos>['’])?\b(?P<y>\d{1,3}0)s\b"));
static ORDINAL: LazyLock<Regex> = LazyLock::new(|| regex(r"\b(?P<n>\d+)(?:st|nd|rd|th)\b"));
static UNIT: LazyLock<Regex> = LazyLock::new(|| {
    regex(&format!(
        r"(?P<lead>^|[^\w.,])(?P<neg>[-−])?(?P<n>{NUMBER})\s?(?P<unit>°C|°F|°|km/h|kph|mph|km|kg|cm|mm|lbs|lb)(?:\b|$|\s)"
    ))
});
static YEAR_RANGE: LazyLock<Regex> =
    LazyLock::new(|| regex(r"\b(?P<a>1[1-9]\d\d|20\d\d)\s?[-–]\s?(?P<b>\d{4}|\d{2})\b"));
static RANGE: LazyLock<Regex> =
    LazyLock::new(|| regex(&format!(r"\b(?P<a>{NUMBER})\s?[–-]\s?(?P<b>{NUMBER})\b")));
static NUMBER_WORD: LazyLock<Regex> = LazyLock::new(|| {
    regex(&format!(
        r"(?P<lead>^|[\s(“‘\[/]|[^\w\s.,])(?P<neg>[-−])?(?P<hash>#)?(?P<n>{NUMBER})\b"
    ))
});
static SPACES: LazyLock<Regex> = LazyLock::new(|| regex(r"\s+"));

/// Words before a four-digit number that make it a year ("in 1998", "since 2020").
const YEAR_CUES: [&str; 22] = [
    "in", "since", "by", "of", "from", "until", "till", "through", "during", "before", "after",
    "year", "early", "late", "mid", "the", "and", "or", "to", "between", "around", "circa",
];

/// Spoken text for one sentence (or any run of text).
pub fn normalise(text: &str, english: SpokenEnglish) -> String {
    let original = text.trim();
    let mut text = original.replace(['\u{a0}', '\u{202f}'], " ");
    text = LATIN
        .replace_all(&text, |caps: &Captures<'_>| match group(caps, "w") {
            "e.g" => "for example,",
            _ => "that is,",
        })
        .into_owned();
    text = expand_titles(&text);
    text = MIDDLE_INITIAL
        .replace_all(&text, "$letter$next")
        .into_owned();
    text = INITIALISM
        .replace_all(&text, |caps: &Captures<'_>| {
            let letters: Vec<String> = caps[0]
                .chars()
                .filter(char::is_ascii_uppercase)
                .map(String::from)
                .collect();
            letters.join(" ")
        })
        .into_owned();
    text = MONEY
        .replace_all(&text, |caps: &Captures<'_>| money(caps, english))
        .into_owned();
    text = PERCENT
        .replace_all(&text, |caps: &Captures<'_>| {
            let percent = match english {
                SpokenEnglish::British => "per cent",
                SpokenEnglish::American => "percent",
            };
            let sign = if caps.name("neg").is_some() {
                "minus "
            } else {
                ""
            };
            let range = match caps.name("b") {
                Some(b) => format!(" to {}", number(b.as_str(), english)),
                None => String::new(),
            };
            format!(
                "{}{sign}{}{range} {percent}",
                group(caps, "lead"),
                number(group(caps, "a"), english)
            )
        })
        .into_owned();
    text = CLOCK
        .replace_all(&text, |caps: &Captures<'_>| clock(caps, english))
        .into_owned();
    text = HOUR
        .replace_all(&text, |caps: &Captures<'_>| clock(caps, english))
        .into_owned();
    text = MONTH_DAY
        .replace_all(&text, |caps: &Captures<'_>| {
            let day: u64 = group(caps, "d").parse().unwrap_or(0);
            let mut said = format!(
                "{} {}",
                month_name(group(caps, "mon")),
                ordinal(day, english)
            );
            if let Some(y) = caps.name("y").and_then(|y| y.as_str().parse::<u64>().ok()) {
                said.push_str(&format!(", {}", year(y, english)));
            }
            said
        })
        .into_owned();
    let before_day_month = text.clone();
    text = DAY_MONTH
        .replace_all(&before_day_month, |caps: &Captures<'_>| {
            let day: u64 = group(caps, "d").parse().unwrap_or(0);
            let previous = word_before(&before_day_month, whole_match_start(caps));
            let article = if previous.eq_ignore_ascii_case("the") {
                ""
            } else {
                "the "
            };
            let mut said = format!(
                "{article}{} of {}",
                ordinal(day, english),
                month_name(group(caps, "mon"))
            );
            if let Some(y) = caps.name("y").and_then(|y| y.as_str().parse::<u64>().ok()) {
                said.push_str(&format!(" {}", year(y, english)));
            }
            said
        })
        .into_owned();
    text = MONTH_YEAR
        .replace_all(&text, |caps: &Captures<'_>| {
            let y: u64 = group(caps, "y").parse().unwrap_or(0);
            format!("{} {}", month_name(group(caps, "mon")), year(y, english))
        })
        .into_owned();
    text = SCALED
        .replace_all(&text, |caps: &Captures<'_>| match caps.name("m") {
            Some(m) => format!("{} million", number(m.as_str(), english)),
            None => {
                let scale = if group(caps, "short") == "bn" {
                    "billion"
                } else {
                    "trillion"
                };
                format!("{} {scale}", number(group(caps, "n"), english))
            }
        })
        .into_owned();
    text = ROMAN
        .replace_all(&text, |caps: &Captures<'_>| {
            let name = group(caps, "name");
            let value = roman_value(group(caps, "roman"));
            if SEQUENCE_NAMES.contains(&name) {
                format!("{name} {}", cardinal(value, english))
            } else {
                format!("{name} the {}", ordinal(value, english))
            }
        })
        .into_owned();
    text = DECADE
        .replace_all(&text, |caps: &Captures<'_>| {
            let y: u64 = group(caps, "y").parse().unwrap_or(0);
            // '90s: the century is understood.
            let y = if caps.name("apos").is_some() {
                y % 100
            } else {
                y
            };
            decade(y, english)
        })
        .into_owned();
    text = ORDINAL
        .replace_all(&text, |caps: &Captures<'_>| {
            ordinal(group(caps, "n").parse().unwrap_or(0), english)
        })
        .into_owned();
    text = UNIT
        .replace_all(&text, |caps: &Captures<'_>| unit(caps, english))
        .into_owned();
    text = YEAR_RANGE
        .replace_all(&text, |caps: &Captures<'_>| {
            let a: u64 = group(caps, "a").parse().unwrap_or(0);
            let b_written = group(caps, "b");
            let b: u64 = b_written.parse().unwrap_or(0);
            let b = if b_written.len() == 2 {
                a / 100 * 100 + b
            } else {
                b
            };
            if b > a {
                format!("{} to {}", year(a, english), year(b, english))
            } else {
                caps[0].to_string()
            }
        })
        .into_owned();
    text = RANGE
        .replace_all(&text, |caps: &Captures<'_>| {
            format!(
                "{} to {}",
                number(group(caps, "a"), english),
                number(group(caps, "b"), english)
            )
        })
        .into_owned();
    let before_numbers = text.clone();
    text = NUMBER_WORD
        .replace_all(&before_numbers, |caps: &Captures<'_>| {
            let written = group(caps, "n");
            let previous = word_before(
                &before_numbers,
                whole_match_start(caps) + group(caps, "lead").len(),
            );
            let following = &before_numbers[whole_match_end(caps)..];
            let said = if caps.name("neg").is_none() && is_year(written, previous, following) {
                year(written.parse().unwrap_or(0), english)
            } else {
                number(written, english)
            };
            let sign = if caps.name("neg").is_some() {
                "minus "
            } else {
                ""
            };
            let hash = if caps.name("hash").is_some() {
                "number "
            } else {
                ""
            };
            format!("{}{sign}{hash}{said}", group(caps, "lead"))
        })
        .into_owned();
    text = text
        .replace(" & ", " and ")
        .replace('&', " and ")
        .replace("twenty-four/seven", "twenty-four seven");
    let mut spoken = SPACES.replace_all(text.trim(), " ").into_owned();
    // A pass that ate an abbreviation's full stop ("p.m.", "U.S.") must not eat the sentence's.
    if original.ends_with('.') && !spoken.ends_with(['.', '!', '?', '"', '”', '’', ')']) {
        spoken.push('.');
    }
    spoken
}

/// Names after which a Roman numeral counts rather than ranks.
const SEQUENCE_NAMES: [&str; 10] = [
    "War", "Section", "Article", "Chapter", "Part", "Phase", "Title", "Book", "Volume", "Act",
];

fn roman_value(numeral: &str) -> u64 {
    let values: Vec<i64> = numeral
        .chars()
        .map(|c| match c {
            'I' => 1,
            'V' => 5,
            'X' => 10,
            _ => 0,
        })
        .collect();
    // A smaller numeral before a larger one is subtracted: IV, IX.
    let total: i64 = values
        .iter()
        .enumerate()
        .map(|(i, v)| match values.get(i + 1) {
            Some(next) if next > v => -v,
            _ => *v,
        })
        .sum();
    total.unsigned_abs()
}

fn is_year(written: &str, previous: &str, following: &str) -> bool {
    if written.len() != 4 || !written.chars().all(|c| c.is_ascii_digit()) {
        return false;
    }
    let value: u64 = written.parse().unwrap_or(0);
    if !(1100..=2099).contains(&value) {
        return false;
    }
    let previous = previous.to_lowercase();
    if YEAR_CUES.contains(&previous.as_str())
        || MONTHS.iter().any(|m| m.eq_ignore_ascii_case(&previous))
    {
        return true;
    }
    // "… sanctions in October 2025." / "2026 was …": a bare number that ends a clause or starts
    // one is a year far more often than a count.
    let next = following.trim_start();
    next.is_empty() || next.starts_with([',', '.', ';', ':', ')', '—']) || previous.is_empty()
}

fn money(caps: &Captures<'_>, english: SpokenEnglish) -> String {
    let currency = group(caps, "cur");
    let (one, many, minor_one, minor_many) = match currency {
        "£" => ("pound", "pounds", "penny", "pence"),
        "€" => ("euro", "euros", "cent", "cents"),
        "¥" => ("yen", "yen", "sen", "sen"),
        "US$" => ("US dollar", "US dollars", "cent", "cents"),
        "A$" => ("Australian dollar", "Australian dollars", "cent", "cents"),
        "C$" => ("Canadian dollar", "Canadian dollars", "cent", "cents"),
        "NZ$" => ("New Zealand dollar", "New Zealand dollars", "cent", "cents"),
        "HK$" => ("Hong Kong dollar", "Hong Kong dollars", "cent", "cents"),
        _ => ("dollar", "dollars", "cent", "cents"),
    };
    let scale = match (caps.name("scale"), group(caps, "short")) {
        (Some(scale), _) => Some(scale.as_str()),
        (None, "m") => Some("million"),
        (None, "bn") => Some("billion"),
        (None, "tn") => Some("trillion"),
        (None, "k") => Some("thousand"),
        _ => None,
    };
    let a = group(caps, "a");
    if let Some(b) = caps.name("b") {
        let scale = scale.map(|s| format!(" {s}")).unwrap_or_default();
        return format!(
            "{} to {}{scale} {many}",
            number(a, english),
            number(b.as_str(), english)
        );
    }
    if let Some(scale) = scale {
        return format!("{} {scale} {many}", number(a, english));
    }
    let plain: String = a.chars().filter(|c| *c != ',').collect();
    let (whole, minor) = plain.split_once('.').unwrap_or((&plain, ""));
    let whole: u64 = whole.parse().unwrap_or(0);
    let unit = |n: u64| if n == 1 { one } else { many };
    if minor.len() == 2 {
        let minor: u64 = minor.parse().unwrap_or(0);
        let minor_unit = if minor == 1 { minor_one } else { minor_many };
        return match (whole, minor, english) {
            (0, _, _) => format!("{} {minor_unit}", cardinal(minor, english)),
            (_, 0, _) => format!("{} {}", cardinal(whole, english), unit(whole)),
            // British English says "four pounds fifty"; American "four dollars and fifty cents".
            (_, _, SpokenEnglish::British) => format!(
                "{} {} {}",
                cardinal(whole, english),
                unit(whole),
                cardinal(minor, english)
            ),
            (_, _, SpokenEnglish::American) => format!(
                "{} {} and {} {minor_unit}",
                cardinal(whole, english),
                unit(whole),
                cardinal(minor, english)
            ),
        };
    }
    if minor.is_empty() {
        format!("{} {}", cardinal(whole, english), unit(whole))
    } else {
        format!("{} {many}", number(a, english))
    }
}

fn clock(caps: &Captures<'_>, english: SpokenEnglish) -> String {
    let hour: u64 = group(caps, "h").parse().unwrap_or(0);
    let minutes: Option<u64> = caps.name("m").and_then(|m| m.as_str().parse().ok());
    let period = match group(caps, "ap").to_ascii_lowercase().as_str() {
        "a" => " A M",
        "p" => " P M",
        _ => "",
    };
    let minutes = match minutes {
        None | Some(0) if !period.is_empty() => String::new(),
        None => String::new(),
        Some(0) if hour > 12 => " hundred".to_string(),
        Some(0) => " o'clock".to_string(),
        Some(m) if m < 10 => format!(" oh {}", cardinal(m, english)),
        Some(m) => format!(" {}", cardinal(m, english)),
    };
    let to = if caps.name("to").is_some() {
        " to "
    } else {
        ""
    };
    format!("{}{minutes}{period}{to}", cardinal(hour, english))
}

fn unit(caps: &Captures<'_>, english: SpokenEnglish) -> String {
    let amount = number(group(caps, "n"), english);
    let singular = amount == "one";
    let metres = |base: &str| match english {
        SpokenEnglish::British => format!("{base}metre"),
        SpokenEnglish::American => format!("{base}meter"),
    };
    let unit = match group(caps, "unit") {
        "°C" => "degrees Celsius".to_string(),
        "°F" => "degrees Fahrenheit".to_string(),
        "°" => "degrees".to_string(),
        "km/h" | "kph" => format!("{}s per hour", metres("kilo")),
        "mph" => "miles per hour".to_string(),
        "km" => metres("kilo") + if singular { "" } else { "s" },
        "cm" => metres("centi") + if singular { "" } else { "s" },
        "mm" => metres("milli") + if singular { "" } else { "s" },
        "kg" => (if singular { "kilogram" } else { "kilograms" }).to_string(),
        _ => (if singular { "pound" } else { "pounds" }).to_string(),
    };
    let trailing = if caps[0].ends_with(char::is_whitespace) {
        " "
    } else {
        ""
    };
    let sign = if caps.name("neg").is_some() {
        "minus "
    } else {
        ""
    };
    format!("{}{sign}{amount} {unit}{trailing}", group(caps, "lead"))
}

/// Titles and other abbreviations with a full stop (or, British style, without one before a name).
fn expand_titles(text: &str) -> String {
    TITLES
        .replace_all(text, |caps: &Captures<'_>| {
            let word = group(caps, "w");
            let dotted = caps.name("dot").is_some();
            let after = group(caps, "after");
            let next = after.trim_start();
            let before_name = starts_with_uppercase(next);
            let keep = || caps[0].to_string();
            let spoken = match word {
                "Mr" if dotted || before_name => "Mister",
                "Mrs" if dotted || before_name => "Missus",
                "Ms" if dotted || before_name => "Miz",
                "Dr" if dotted || before_name => "Doctor",
                "St" if dotted || before_name => {
                    // "St. Louis" is a saint; "Main St." a street.
                    let previous = word_before(text, whole_match_start(caps));
                    if starts_with_uppercase(previous) && !before_name {
                        "Street"
                    } else {
                        "Saint"
                    }
                }
                "No" | "Nos" if dotted && next.starts_with(|c: char| c.is_ascii_digit()) => {
                    "number"
                }
                _ if !dotted => return keep(),
                "Prof" => "Professor",
                "Gov" => "Governor",
                "Sen" => "Senator",
                "Rep" => "Representative",
                "Gen" => "General",
                "Lt" => "Lieutenant",
                "Col" => "Colonel",
                "Capt" => "Captain",
                "Sgt" => "Sergeant",
                "Cpl" => "Corporal",
                "Adm" => "Admiral",
                "Maj" => "Major",
                "Rev" => "Reverend",
                "Hon" => "Honourable",
                "Pres" => "President",
                "Supt" => "Superintendent",
                "Insp" => "Inspector",
                "Det" => "Detective",
                "Jr" => "Junior",
                "Sr" => "Senior",
                "Mt" => "Mount",
                "Ft" => "Fort",
                "Ave" => "Avenue",
                "Blvd" => "Boulevard",
                "Rd" => "Road",
                "vs" => "versus",
                "etc" => "et cetera",
                "Inc" => "Incorporated",
                "Corp" => "Corporation",
                "Co" => "Company",
                "Ltd" => "Limited",
                "Bros" => "Brothers",
                "approx" => "approximately",
                "Dept" => "Department",
                "Univ" => "University",
                _ => return keep(),
            };
            format!("{spoken}{after}")
        })
        .into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use SpokenEnglish::{American, British};

    #[test]
    fn every_pattern_compiles() {
        for pattern in [
            &*TITLES,
            &*LATIN,
            &*INITIALISM,
            &*MIDDLE_INITIAL,
            &*MONEY,
            &*PERCENT,
            &*CLOCK,
            &*HOUR,
            &*MONTH_DAY,
            &*DAY_MONTH,
            &*MONTH_YEAR,
            &*SCALED,
            &*ROMAN,
            &*DECADE,
            &*ORDINAL,
            &*UNIT,
            &*YEAR_RANGE,
            &*RANGE,
            &*NUMBER_WORD,
        ] {
            assert!(!pattern.as_str().is_empty());
        }
    }

    /// The news cases: (written, dialect, spoken).
    const CASES: &[(&str, SpokenEnglish, &str)] = &[
        // Money
        (
            "The deal is worth $4.5 billion.",
            American,
            "The deal is worth four point five billion dollars.",
        ),
        (
            "It cost £300m to build.",
            British,
            "It cost three hundred million pounds to build.",
        ),
        ("Tickets cost €20.", British, "Tickets cost twenty euros."),
        ("A $1 coin.", American, "A one dollar coin."),
        (
            "Fares rose to $3.50 on Monday.",
            American,
            "Fares rose to three dollars and fifty cents on Monday.",
        ),
        (
            "A pint is £4.50 now.",
            British,
            "A pint is four pounds fifty now.",
        ),
        (
            "It sells for $0.99 each.",
            American,
            "It sells for ninety-nine cents each.",
        ),
        (
            "Losses of £2.5bn were reported.",
            British,
            "Losses of two point five billion pounds were reported.",
        ),
        (
            "A $5-10 million fine.",
            American,
            "A five to ten million dollars fine.",
        ),
        (
            "They raised $250k.",
            American,
            "They raised two hundred fifty thousand dollars.",
        ),
        (
            "A US$1.2 trillion package.",
            American,
            "A one point two trillion US dollars package.",
        ),
        (
            "It paid ¥500 a share.",
            American,
            "It paid five hundred yen a share.",
        ),
        (
            "Budget: $1,250,000.",
            American,
            "Budget: one million two hundred fifty thousand dollars.",
        ),
        // Percentages
        (
            "Turnout was 62%.",
            American,
            "Turnout was sixty-two percent.",
        ),
        (
            "Turnout was 62%.",
            British,
            "Turnout was sixty-two per cent.",
        ),
        (
            "Inflation hit 3.5 percent.",
            American,
            "Inflation hit three point five percent.",
        ),
        (
            "Prices fell -2% in May.",
            American,
            "Prices fell minus two percent in May.",
        ),
        (
            "Support is 10-15% higher.",
            American,
            "Support is ten to fifteen percent higher.",
        ),
        (
            "Rates rose 0.25 per cent.",
            British,
            "Rates rose nought point two five per cent.",
        ),
        // Decimals and thousands
        (
            "The index closed at 4.25 points.",
            American,
            "The index closed at four point two five points.",
        ),
        (
            "About 1,500 troops were sent.",
            American,
            "About one thousand five hundred troops were sent.",
        ),
        (
            "About 1,500 troops were sent.",
            British,
            "About one thousand five hundred troops were sent.",
        ),
        (
            "It has 105 seats.",
            British,
            "It has one hundred and five seats.",
        ),
        (
            "It has 105 seats.",
            American,
            "It has one hundred five seats.",
        ),
        (
            "Some 2,000,000 people voted.",
            American,
            "Some two million people voted.",
        ),
        (
            "A crowd of 12,345 watched.",
            American,
            "A crowd of twelve thousand three hundred forty-five watched.",
        ),
        (
            "The team lost 3 games.",
            American,
            "The team lost three games.",
        ),
        // Years vs numbers
        (
            "In 1998 the law changed.",
            American,
            "In nineteen ninety-eight the law changed.",
        ),
        (
            "It was founded in 2005.",
            American,
            "It was founded in two thousand five.",
        ),
        (
            "It was founded in 2005.",
            British,
            "It was founded in two thousand and five.",
        ),
        (
            "Since 2020, prices rose.",
            American,
            "Since twenty twenty, prices rose.",
        ),
        (
            "The 2026 election is close.",
            American,
            "The twenty twenty-six election is close.",
        ),
        (
            "He sent 1500 troops.",
            American,
            "He sent one thousand five hundred troops.",
        ),
        ("Built in 1905.", American, "Built in nineteen oh five."),
        (
            "Between 2020-24, debt grew.",
            American,
            "Between twenty twenty to twenty twenty-four, debt grew.",
        ),
        (
            "The 2019–2021 term.",
            British,
            "The twenty nineteen to twenty twenty-one term.",
        ),
        // Dates
        (
            "On Nov. 26, 2026 he spoke.",
            American,
            "On November twenty-sixth, twenty twenty-six he spoke.",
        ),
        (
            "It began on Jan. 3 when he spoke.",
            American,
            "It began on January third when he spoke.",
        ),
        (
            "Talks end on 26 November.",
            British,
            "Talks end on the twenty-sixth of November.",
        ),
        (
            "Polls close on 4 July 2026.",
            British,
            "Polls close on the fourth of July twenty twenty-six.",
        ),
        ("Due on Sept. 1.", American, "Due on September first."),
        (
            "Sanctions came in October 2025.",
            American,
            "Sanctions came in October twenty twenty-five.",
        ),
        ("Out on March 21st.", American, "Out on March twenty-first."),
        // Ordinals
        ("The 21st century.", American, "The twenty-first century."),
        ("Her 3rd term.", American, "Her third term."),
        (
            "The 102nd Congress.",
            American,
            "The one hundred second Congress.",
        ),
        ("The 12th round.", British, "The twelfth round."),
        // Times
        (
            "It starts at 7:30 a.m. on Friday.",
            American,
            "It starts at seven thirty A M on Friday.",
        ),
        (
            "Polls close at 9 p.m.",
            American,
            "Polls close at nine P M.",
        ),
        (
            "At 10:05 the alarm rang.",
            American,
            "At ten oh five the alarm rang.",
        ),
        (
            "By 14:00 GMT it was over.",
            British,
            "By fourteen hundred GMT it was over.",
        ),
        (
            "The talks began at 6pm.",
            British,
            "The talks began at six P M.",
        ),
        ("We met at 11:00.", American, "We met at eleven o'clock."),
        // Decades and ranges
        (
            "Unrest in the 1980s.",
            American,
            "Unrest in the nineteen eighties.",
        ),
        ("Music of the '90s.", American, "Music of the nineties."),
        (
            "Ages 18-24 voted.",
            American,
            "Ages eighteen to twenty-four voted.",
        ),
        ("A 3–2 win.", British, "A three to two win."),
        // Abbreviations and initialisms
        ("The U.N. met today.", American, "The U N met today."),
        ("Dr. Smith agreed.", American, "Doctor Smith agreed."),
        ("Mr. Petro responded.", American, "Mister Petro responded."),
        ("Mr Petro responded.", British, "Mister Petro responded."),
        (
            "Mrs. Jones and Ms. Lee.",
            American,
            "Missus Jones and Miz Lee.",
        ),
        ("U.S. officials said.", American, "U S officials said."),
        ("He flew to the U.S.", American, "He flew to the U S."),
        (
            "He lives in St. Louis.",
            American,
            "He lives in Saint Louis.",
        ),
        (
            "It is on Main St. near here.",
            American,
            "It is on Main Street near here.",
        ),
        (
            "Sen. Warren and Gov. Newsom.",
            American,
            "Senator Warren and Governor Newsom.",
        ),
        (
            "Apple Inc. shares fell.",
            American,
            "Apple Incorporated shares fell.",
        ),
        ("Trade vs. aid.", American, "Trade versus aid."),
        ("Donald J. Trump spoke.", American, "Donald J Trump spoke."),
        (
            "Officials, e.g. envoys, came.",
            American,
            "Officials, for example, envoys, came.",
        ),
        ("He lives at No. 10.", British, "He lives at number ten."),
        ("Fruit, nuts, etc.", American, "Fruit, nuts, et cetera."),
        ("Smith & Wesson.", American, "Smith and Wesson."),
        // Units
        (
            "It was 30°C in Madrid.",
            British,
            "It was thirty degrees Celsius in Madrid.",
        ),
        ("A 5 km walk.", British, "A five kilometres walk."),
        (
            "Winds of 70 mph hit.",
            American,
            "Winds of seventy miles per hour hit.",
        ),
        (
            "Open 9 a.m.-5 p.m. daily.",
            American,
            "Open nine A M to five P M daily.",
        ),
        (
            "Rates at 5.25%-5.5%.",
            American,
            "Rates at five point two five to five point five percent.",
        ),
        (
            "In Oct. 2025 it fell.",
            American,
            "In October twenty twenty-five it fell.",
        ),
        (
            "2.5m people fled.",
            British,
            "two point five million people fled.",
        ),
        ("A 3bn budget.", British, "A three billion budget."),
        (
            "Temperatures hit -5°C.",
            British,
            "Temperatures hit minus five degrees Celsius.",
        ),
        (
            "It was the 1st of May.",
            British,
            "It was the first of May.",
        ),
        (
            "World War II ended in 1945.",
            American,
            "World War two ended in nineteen forty-five.",
        ),
        (
            "Queen Elizabeth II died.",
            British,
            "Queen Elizabeth the second died.",
        ),
        (
            "He won 6-4, 6-3.",
            American,
            "He won six to four, six to three.",
        ),
        ("Open 24/7.", American, "Open twenty-four seven."),
        (
            "COVID-19 cases rose.",
            American,
            "COVID-nineteen cases rose.",
        ),
        // Words are left alone
        (
            "Petro called it cordial.",
            American,
            "Petro called it cordial.",
        ),
        (
            "Mr. Trump said, “It sounds good to me.”",
            American,
            "Mister Trump said, “It sounds good to me.”",
        ),
    ];

    #[test]
    fn news_english_is_said_as_a_newsreader_would() {
        assert!(CASES.len() >= 60, "{} cases", CASES.len());
        let failures: Vec<String> = CASES
            .iter()
            .filter_map(|(written, english, spoken)| {
                let said = normalise(written, *english);
                (said != *spoken).then(|| {
                    format!("{written:?} ({english:?})\n   got  {said:?}\n   want {spoken:?}")
                })
            })
            .collect();
        assert!(
            failures.is_empty(),
            "{} of {} cases:\n{}",
            failures.len(),
            CASES.len(),
            failures.join("\n")
        );
    }
}
