//! Numbers as a newsreader says them.

use super::SpokenEnglish;

const ONES: [&str; 20] = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
];
const TENS: [&str; 10] = [
    "", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety",
];
const SCALES: [(u64, &str); 4] = [
    (1_000_000_000_000, "trillion"),
    (1_000_000_000, "billion"),
    (1_000_000, "million"),
    (1_000, "thousand"),
];

/// "one hundred and five" (British) or "one hundred five" (American).
pub(crate) fn cardinal(n: u64, english: SpokenEnglish) -> String {
    if n == 0 {
        return ONES[0].to_string();
    }
    let mut parts: Vec<String> = Vec::new();
    let mut rest = n;
    for (scale, name) in SCALES {
        if rest >= scale {
            parts.push(format!("{} {name}", below_thousand(rest / scale, english)));
            rest %= scale;
        }
    }
    if rest > 0 {
        // British English joins a last group under a hundred with "and": "two thousand and five".
        if english == SpokenEnglish::British && !parts.is_empty() && rest < 100 {
            parts.push(format!("and {}", below_hundred(rest)));
        } else {
            parts.push(below_thousand(rest, english));
        }
    }
    parts.join(" ")
}

fn below_thousand(n: u64, english: SpokenEnglish) -> String {
    let hundreds = n / 100;
    let rest = n % 100;
    match (hundreds, rest) {
        (0, _) => below_hundred(rest),
        (_, 0) => format!("{} hundred", ONES[hundreds as usize]),
        _ => {
            let joiner = match english {
                SpokenEnglish::British => " and ",
                SpokenEnglish::American => " ",
            };
            format!(
                "{} hundred{joiner}{}",
                ONES[hundreds as usize],
                below_hundred(rest)
            )
        }
    }
}

fn below_hundred(n: u64) -> String {
    if n < 20 {
        return ONES[n as usize].to_string();
    }
    let tens = TENS[(n / 10) as usize];
    match n % 10 {
        0 => tens.to_string(),
        ones => format!("{tens}-{}", ONES[ones as usize]),
    }
}

/// "first", "twenty-second", "one hundredth".
pub(crate) fn ordinal(n: u64, english: SpokenEnglish) -> String {
    let words = cardinal(n, english);
    let (head, last) = match words.rfind([' ', '-']) {
        Some(at) => words.split_at(at + 1),
        None => ("", words.as_str()),
    };
    let last = match last {
        "one" => "first".to_string(),
        "two" => "second".to_string(),
        "three" => "third".to_string(),
        "five" => "fifth".to_string(),
        "eight" => "eighth".to_string(),
        "nine" => "ninth".to_string(),
        "twelve" => "twelfth".to_string(),
        other if other.ends_with('y') => format!("{}ieth", &other[..other.len() - 1]),
        other => format!("{other}th"),
    };
    format!("{head}{last}")
}

/// A year as it is said: "nineteen ninety-eight", "two thousand and five" / "two thousand five",
/// "twenty twenty-six", "nineteen hundred".
pub(crate) fn year(n: u64, english: SpokenEnglish) -> String {
    let (century, rest) = (n / 100, n % 100);
    if !(11..=99).contains(&century) || (2000..2010).contains(&n) {
        return cardinal(n, english);
    }
    match rest {
        0 => format!("{} hundred", below_hundred(century)),
        1..=9 => format!("{} oh {}", below_hundred(century), ONES[rest as usize]),
        _ => format!("{} {}", below_hundred(century), below_hundred(rest)),
    }
}

/// A decade: 1990 → "nineteen nineties", 2020 → "twenty twenties", 1900 → "nineteen hundreds".
pub(crate) fn decade(n: u64, english: SpokenEnglish) -> String {
    if n.is_multiple_of(100) {
        return format!("{}s", year(n, english));
    }
    let words = if n < 100 {
        below_hundred(n)
    } else {
        year(n, english)
    };
    // twenty → twenties, ninety → nineties
    match words.strip_suffix('y') {
        Some(stem) => format!("{stem}ies"),
        None => format!("{words}s"),
    }
}

/// Digits after a decimal point, one by one: "4.25" → "four point two five".
pub(crate) fn decimal(whole: u64, digits: &str, english: SpokenEnglish) -> String {
    let whole = match (whole, english) {
        (0, SpokenEnglish::British) => "nought".to_string(),
        _ => cardinal(whole, english),
    };
    let digits: Vec<&str> = digits
        .chars()
        .filter_map(|c| c.to_digit(10))
        .map(|d| ONES[d as usize])
        .collect();
    if digits.is_empty() {
        whole
    } else {
        format!("{whole} point {}", digits.join(" "))
    }
}

/// A written number ("1,234", "4.5", "0.25") in words.
pub(crate) fn number(written: &str, english: SpokenEnglish) -> String {
    let plain: String = written.chars().filter(|c| *c != ',').collect();
    let (whole, fraction) = plain.split_once('.').unwrap_or((&plain, ""));
    match whole.parse::<u64>() {
        Ok(whole) if fraction.is_empty() => cardinal(whole, english),
        Ok(whole) => decimal(whole, fraction, english),
        Err(_) if whole.is_empty() => decimal(0, fraction, english),
        // Longer than any count a story gives: read the digits.
        Err(_) => written
            .chars()
            .filter_map(|c| c.to_digit(10))
            .map(|d| ONES[d as usize])
            .collect::<Vec<_>>()
            .join(" "),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use SpokenEnglish::{American, British};

    #[test]
    fn cardinals_ordinals_and_years() {
        assert_eq!(cardinal(0, American), "zero");
        assert_eq!(cardinal(105, British), "one hundred and five");
        assert_eq!(cardinal(105, American), "one hundred five");
        assert_eq!(cardinal(2_005, British), "two thousand and five");
        assert_eq!(
            cardinal(4_500_000_021, American),
            "four billion five hundred million twenty-one"
        );
        assert_eq!(ordinal(1, American), "first");
        assert_eq!(ordinal(22, American), "twenty-second");
        assert_eq!(ordinal(30, American), "thirtieth");
        assert_eq!(ordinal(112, American), "one hundred twelfth");
        assert_eq!(year(1998, American), "nineteen ninety-eight");
        assert_eq!(year(2005, American), "two thousand five");
        assert_eq!(year(1905, American), "nineteen oh five");
        assert_eq!(year(2026, British), "twenty twenty-six");
        assert_eq!(year(1900, British), "nineteen hundred");
        assert_eq!(decade(1990, American), "nineteen nineties");
        assert_eq!(decade(2000, American), "two thousands");
        assert_eq!(decade(80, American), "eighties");
        assert_eq!(number("0.25", British), "nought point two five");
    }
}
