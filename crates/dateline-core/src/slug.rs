//! URL slugs: lowercase ASCII words joined by hyphens, stable and readable in any mail client.

/// Turns a headline or name into a slug. Apostrophes vanish ("Colombia’s" → "colombias") rather
/// than splitting the word, and common Latin letters with accents fold to ASCII.
pub fn slugify(text: &str) -> String {
    let mut slug = String::with_capacity(text.len());
    let mut pending_hyphen = false;
    for c in text.chars() {
        if matches!(c, '\'' | '’' | '‘' | 'ʼ') {
            continue;
        }
        let folded = fold_to_ascii(c);
        let mut wrote = false;
        for f in folded.chars() {
            if f.is_ascii_alphanumeric() {
                if pending_hyphen && !slug.is_empty() {
                    slug.push('-');
                }
                pending_hyphen = false;
                slug.push(f.to_ascii_lowercase());
                wrote = true;
            }
        }
        if !wrote {
            pending_hyphen = true;
        }
    }
    truncate_at_word(slug, 96)
}

fn truncate_at_word(slug: String, max: usize) -> String {
    if slug.len() <= max {
        return slug;
    }
    let cut = slug[..max].rfind('-').unwrap_or(max);
    slug[..cut].to_owned()
}

fn fold_to_ascii(c: char) -> String {
    let folded = match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'À' | 'Á' | 'Â' | 'Ã' | 'Ä' | 'Å' => {
            "a"
        }
        'æ' | 'Æ' => "ae",
        'ç' | 'Ç' | 'č' | 'Č' | 'ć' => "c",
        'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ę' | 'È' | 'É' | 'Ê' | 'Ë' => "e",
        'ì' | 'í' | 'î' | 'ï' | 'Ì' | 'Í' | 'Î' | 'Ï' => "i",
        'ñ' | 'Ñ' | 'ń' => "n",
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'Ò' | 'Ó' | 'Ô' | 'Õ' | 'Ö' | 'Ø' => "o",
        'œ' | 'Œ' => "oe",
        'ß' => "ss",
        'š' | 'Š' | 'ś' => "s",
        'ù' | 'ú' | 'û' | 'ü' | 'Ù' | 'Ú' | 'Û' | 'Ü' => "u",
        'ý' | 'ÿ' | 'Ý' => "y",
        'ž' | 'Ž' | 'ź' | 'ż' => "z",
        'ł' | 'Ł' => "l",
        '&' => " and ",
        _ => return c.to_string(),
    };
    folded.to_owned()
}

/// A slug typed by a person is acceptable when slugifying it changes nothing.
pub fn is_valid_slug(slug: &str) -> bool {
    !slug.is_empty() && slugify(slug) == slug
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_headline() {
        assert_eq!(
            slugify("Trump Invites Colombia’s Gustavo Petro to White House After Confrontation"),
            "trump-invites-colombias-gustavo-petro-to-white-house-after-confrontation"
        );
    }

    #[test]
    fn accents_punctuation_and_edges() {
        assert_eq!(slugify("  Bogotá: ¿Qué pasa?  "), "bogota-que-pasa");
        assert_eq!(slugify("Arts & Culture"), "arts-and-culture");
        assert_eq!(slugify("U.S. sanctions"), "u-s-sanctions");
        assert_eq!(slugify("——"), "");
    }

    #[test]
    fn long_slugs_cut_at_a_word() {
        let slug = slugify(&"word ".repeat(40));
        assert!(slug.len() <= 96);
        assert!(!slug.ends_with('-'));
    }

    #[test]
    fn validity() {
        assert!(is_valid_slug("politics"));
        assert!(!is_valid_slug("Politics"));
        assert!(!is_valid_slug("a--b"));
        assert!(!is_valid_slug(""));
    }
}
