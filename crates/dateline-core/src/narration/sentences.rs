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

/// Words a clause can be cut before without breaking a phrase apart: conjunctions, relative
/// pronouns and prepositions that open the next part of the sentence.
const BREAK_BEFORE: [&str; 24] = [
    "and", "but", "or", "after", "before", "when", "while", "which", "who", "whose", "that",
    "because", "as", "with", "for", "to", "in", "by", "from", "since", "until", "than", "whether",
    "if",
];

/// Cuts a spoken sentence longer than `limit` characters at semicolons, commas or dashes
/// (packing clauses together while they fit), and a clause still too long in two near its middle,
/// before a conjunction or preposition where there is one.
pub(crate) fn split_long(sentence: &str, limit: usize) -> Vec<String> {
    if sentence.len() <= limit {
        return vec![sentence.to_string()];
    }
    let mut pieces: Vec<String> = Vec::new();
    let mut current = String::new();
    for clause in clauses(sentence) {
        if !current.is_empty() && current.len() + clause.len() > limit {
            pieces.push(current.trim().to_string());
            current.clear();
        }
        current.push_str(clause);
    }
    if !current.trim().is_empty() {
        pieces.push(current.trim().to_string());
    }
    pieces
        .into_iter()
        .flat_map(|piece| halve(&piece, limit))
        .collect()
}

/// The sentence in clauses, each keeping its punctuation and the space after it.
fn clauses(sentence: &str) -> Vec<&str> {
    let mut clauses = Vec::new();
    let mut start = 0;
    for (at, _) in sentence.match_indices([';', ',', '—']) {
        let end = sentence[at..]
            .char_indices()
            .nth(1)
            .map_or(sentence.len(), |(next, _)| at + next);
        if sentence[end..].starts_with(' ') {
            clauses.push(&sentence[start..end + 1]);
            start = end + 1;
        }
    }
    clauses.push(&sentence[start..]);
    clauses
}

fn halve(piece: &str, limit: usize) -> Vec<String> {
    if piece.len() <= limit {
        return vec![piece.to_string()];
    }
    let middle = piece.len() / 2;
    let spaces: Vec<usize> = piece.match_indices(' ').map(|(at, _)| at).collect();
    let distance = |at: &usize| at.abs_diff(middle);
    let before_break_word = spaces
        .iter()
        .filter(|at| {
            let next = piece[**at + 1..].split(' ').next().unwrap_or("");
            BREAK_BEFORE.contains(&next.to_lowercase().as_str())
        })
        // Only near the middle: a cut that leaves a scrap of three words sounds worse.
        .filter(|at| distance(at) <= piece.len() / 4)
        .min_by_key(|at| distance(at));
    let Some(&cut) = before_break_word.or_else(|| spaces.iter().min_by_key(|at| distance(at)))
    else {
        return vec![piece.to_string()];
    };
    let (head, tail) = piece.split_at(cut);
    let mut halves = halve(head.trim(), limit);
    halves.extend(halve(tail.trim(), limit));
    halves
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
    fn long_sentences_are_cut_at_clauses_then_before_a_conjunction_near_the_middle() {
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
        let no_commas = "The phone call and planned White House meeting present an early test of \
                         whether diplomacy can defuse tensions generated by incendiary language and \
                         punitive measures.";
        assert_eq!(
            split_long(no_commas, 160),
            vec![
                "The phone call and planned White House meeting present an early test of",
                "whether diplomacy can defuse tensions generated by incendiary language and punitive measures.",
            ]
        );
        let unbroken = "word ".repeat(40);
        let pieces = split_long(unbroken.trim(), 50);
        assert!(pieces.iter().all(|piece| piece.len() <= 50), "{pieces:?}");
        assert_eq!(pieces.join(" "), unbroken.trim());
    }
}
