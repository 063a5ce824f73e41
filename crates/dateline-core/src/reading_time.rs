//! "N min read", as DESIGN.md §5 defines it.
//!
//! Silent reading of non-fiction averages 238 words per minute (Brysbaert, 2019, "How many words do
//! we read per minute?", Journal of Memory and Language 109). Pictures cost time too: 12 seconds for
//! the first, one second less for each next one, never under 3 seconds.

const WORDS_PER_MINUTE: f64 = 238.0;
const FIRST_IMAGE_SECONDS: u32 = 12;
const MIN_IMAGE_SECONDS: u32 = 3;

/// Minutes a reader needs for `word_count` words and `image_count` pictures; rounded up, at least 1.
pub fn reading_minutes(word_count: usize, image_count: usize) -> u32 {
    let image_seconds: u32 = (0..image_count)
        .map(|index| {
            let index = u32::try_from(index).unwrap_or(u32::MAX);
            FIRST_IMAGE_SECONDS
                .saturating_sub(index)
                .max(MIN_IMAGE_SECONDS)
        })
        .sum();
    let minutes = word_count as f64 / WORDS_PER_MINUTE + f64::from(image_seconds) / 60.0;
    // Float error must not push an exact whole number of minutes up by one.
    let rounded = (minutes - 1e-9).ceil();
    (rounded as u32).max(1)
}

/// Words as a reader counts them: runs of letters or digits, with inner apostrophes and hyphens
/// ("Colombia’s", "hour-long") counting once.
pub fn count_words(text: &str) -> usize {
    text.split(|c: char| c.is_whitespace() || c == '—' || c == '–')
        .filter(|token| token.chars().any(char::is_alphanumeric))
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minimum_is_one_minute() {
        assert_eq!(reading_minutes(0, 0), 1);
        assert_eq!(reading_minutes(10, 0), 1);
    }

    #[test]
    fn words_round_up() {
        assert_eq!(reading_minutes(238, 0), 1);
        assert_eq!(reading_minutes(239, 0), 2);
        assert_eq!(reading_minutes(476, 0), 2);
    }

    #[test]
    fn images_add_decreasing_time_with_a_floor() {
        assert_eq!(reading_minutes(0, 6), 1); // 12+11+10+9+8+7 = 57 s
        assert_eq!(reading_minutes(0, 7), 2); // 63 s
        // Ten images take 75 s; each further one 3 s: twenty take 105 s.
        assert_eq!(reading_minutes(0, 20), 2);
        assert_eq!(reading_minutes(0, 25), 2); // 120 s exactly
        assert_eq!(reading_minutes(0, 26), 3);
        // 476 words (2 min) plus one picture (12 s) is just over two minutes.
        assert_eq!(reading_minutes(476, 1), 3);
    }

    #[test]
    fn counts_words_like_a_reader() {
        assert_eq!(count_words("Colombia’s hour-long call — cordial."), 4);
        assert_eq!(count_words("  "), 0);
        assert_eq!(count_words("U.S. 2026 $4.5 billion"), 4);
    }
}
