//! Sentence boundaries in news prose, where most full stops after "Mr", "Jan", "U.S." or a middle
//! initial do not end anything.

/// Abbreviations that never end a sentence: a name, a number or a day follows them.
const NEVER_FINAL: [&str; 46] = [
    "mr", "mrs", "ms", "dr", "prof", "gov", "sen", "rep", "gen", "lt", "col", "capt", "sgt", "cpl",
    "adm", "maj", "rev", "hon", "pres", "supt", "insp", "det", "st", "mt", "ft", "no", "nos", "vs",
    "e.g", "i.e", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov",
    "dec", "approx", "dept", "univ", "fig",
];

/// Abbreviations that end a sentence only when a typical sentence opening follows ("… in the U.S.
/// The talks …"); "U.S. President", "Inc. shares" or "7 a.m. Friday" go on.
const MAYBE_FINAL: [&str; 10] = [
    "etc", "inc", "corp", "co", "ltd", "jr", "sr", "bros", "a.m", "p.m",
];

const SENTENCE_OPENERS: [&str; 34] = [
    "the", "a", "an", "he", "she", "it", "they", "we", "i", "you", "this", "that", "these",
    "those", "there", "his", "her", "its", "their", "our", "in", "on", "at", "but", "and", "so",
    "yet", "if", "when", "while", "after", "as", "for", "no",
];

/// Characters that may close a sentence after its full stop: quotes and brackets.
fn closers(c: char) -> bool {
    matches!(c, '"' | '”' | '’' | '\'' | ')' | ']' | '»')
}

/// Splits a paragraph into sentences, keeping each sentence's own punctuation.
pub fn split_sentences(text: &str) -> Vec<String> {
    let words: Vec<&str> = text.split_whitespace().collect();
    let mut sentences = Vec::new();
    let mut current: Vec<&str> = Vec::new();
    for (index, word) in words.iter().enumerate() {
        current.push(word);
        if ends_sentence(word, words.get(index + 1).copied()) {
            sentences.push(current.join(" "));
            current.clear();
        }
    }
    if !current.is_empty() {
        sentences.push(current.join(" "));
    }
    sentences
}

fn ends_sentence(word: &str, next: Option<&str>) -> bool {
    let core = word.trim_end_matches(closers);
    if !core.ends_with(['.', '!', '?', '…']) {
        return false;
    }
    let Some(next) = next else { return true };
    // A sentence goes on after an exclamation inside a quote ("… ‘Go!’ he said").
    let next_opens = next
        .trim_start_matches(|c: char| closers(c) || matches!(c, '“' | '‘' | '(' | '«'))
        .chars()
        .next()
        .is_some_and(|c| c.is_uppercase() || c.is_ascii_digit());
    if !next_opens {
        return false;
    }
    if !core.ends_with('.') {
        return true;
    }
    let stem = core
        .trim_end_matches('.')
        .trim_start_matches(|c: char| !c.is_alphanumeric());
    let lower = stem.to_lowercase();
    if NEVER_FINAL.contains(&lower.as_str()) {
        return false;
    }
    // A middle initial: "Donald J. Trump".
    if stem.chars().count() == 1 && stem.chars().all(char::is_uppercase) {
        return false;
    }
    let initialism = stem.len() >= 3 && stem.split('.').all(|part| part.chars().count() == 1);
    if initialism || MAYBE_FINAL.contains(&lower.as_str()) {
        let next_word = next
            .trim_start_matches(|c: char| !c.is_alphanumeric())
            .trim_end_matches(|c: char| !c.is_alphanumeric())
            .to_lowercase();
        return SENTENCE_OPENERS.contains(&next_word.as_str());
    }
    true
}

/// Cuts a spoken sentence longer than `limit` characters at semicolons, then commas, then
/// spaces, so no piece exceeds what the voice takes at once.
pub(crate) fn split_long(sentence: &str, limit: usize) -> Vec<String> {
    if sentence.len() <= limit {
        return vec![sentence.to_string()];
    }
    for separator in ["; ", ", ", " — ", " "] {
        let clauses: Vec<&str> = sentence.split_inclusive(separator).collect();
        if clauses.len() < 2 {
            continue;
        }
        let mut pieces: Vec<String> = Vec::new();
        let mut current = String::new();
        for clause in clauses {
            if !current.is_empty() && current.len() + clause.len() > limit {
                pieces.push(current.trim().to_string());
                current.clear();
            }
            current.push_str(clause);
        }
        if !current.trim().is_empty() {
            pieces.push(current.trim().to_string());
        }
        // A clause still too long is cut again at the next, weaker separator.
        return pieces
            .into_iter()
            .flat_map(|piece| {
                if piece.len() > limit && piece != sentence {
                    split_long(&piece, limit)
                } else {
                    vec![piece]
                }
            })
            .collect();
    }
    vec![sentence.to_string()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn abbreviations_and_initials_do_not_end_sentences() {
        let text = "President Donald J. Trump on Jan. 7 invited Mr. Petro. U.S. officials agreed. \
                    He flew to the U.S. The talks went on. “It sounds good to me.” Mr. Petro \
                    responded! Shares of Apple Inc. rose 2.5 percent at 9 a.m. Friday.";
        assert_eq!(
            split_sentences(text),
            vec![
                "President Donald J. Trump on Jan. 7 invited Mr. Petro.",
                "U.S. officials agreed.",
                "He flew to the U.S.",
                "The talks went on.",
                "“It sounds good to me.”",
                "Mr. Petro responded!",
                "Shares of Apple Inc. rose 2.5 percent at 9 a.m. Friday.",
            ]
        );
    }

    #[test]
    fn a_question_mark_inside_a_quote_before_lowercase_goes_on() {
        assert_eq!(
            split_sentences("“Why now?” he asked. Nobody knew."),
            vec!["“Why now?” he asked.", "Nobody knew."]
        );
    }

    #[test]
    fn long_sentences_are_cut_at_the_strongest_break_that_fits() {
        let sentence = "one two three; four five six, seven eight nine, ten";
        assert_eq!(
            split_long(sentence, 20),
            vec![
                "one two three;",
                "four five six,",
                "seven eight nine,",
                "ten"
            ]
        );
        assert_eq!(split_long("short one", 20), vec!["short one"]);
        let unbroken = "word ".repeat(10);
        assert!(
            split_long(unbroken.trim(), 12)
                .iter()
                .all(|piece| piece.len() <= 12)
        );
    }
}
