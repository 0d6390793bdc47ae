//! The words people write in yes/no columns and for single-letter codes.

use super::text::{same_word, trim};

const TRUE_WORDS: &[&str] = &[
    "yes", "y", "true", "t", "1", "x", "on", "oui", "ja", "si", "sí",
];
const FALSE_WORDS: &[&str] = &["no", "n", "false", "f", "0", "off", "non", "nein"];

pub fn parse_bool(text: &str, labels: &[String; 2]) -> Option<bool> {
    let t = trim(text);
    // The word lists are checked with one ASCII test for the cell, not one per word.
    let word = |words: &[&str]| {
        if t.is_ascii() {
            words.iter().any(|w| w.eq_ignore_ascii_case(t))
        } else {
            words.iter().any(|w| same_word(t, w))
        }
    };
    if same_word(t, &labels[0]) || word(TRUE_WORDS) {
        Some(true)
    } else if same_word(t, &labels[1]) || word(FALSE_WORDS) {
        Some(false)
    } else {
        None
    }
}

/// Spelled-out forms people write for single-letter codes.
const CODE_SYNONYMS: &[(&str, &str)] = &[
    ("male", "m"),
    ("man", "m"),
    ("female", "f"),
    ("woman", "f"),
    ("work", "W"),
    ("office", "W"),
    ("home", "H"),
    ("mobile", "M"),
    ("cell", "M"),
    ("cellular", "M"),
    ("other", "O"),
    ("fax", "F"),
    ("pager", "P"),
];

pub fn match_code(text: &str, codes: &'static [&'static str]) -> Option<&'static str> {
    let t = trim(text);
    if let Some(code) = codes.iter().find(|c| c.eq_ignore_ascii_case(t)) {
        return Some(code);
    }
    let (_, synonym) = CODE_SYNONYMS
        .iter()
        .find(|(word, _)| word.eq_ignore_ascii_case(t))?;
    codes.iter().find(|c| *c == synonym).copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enum_synonyms() {
        assert_eq!(match_code("Female", &["m", "f"]), Some("f"));
        assert_eq!(match_code("cell", crate::schema::PHONE_TYPES), Some("M"));
        assert_eq!(match_code("w", crate::schema::PHONE_TYPES), Some("W"));
    }

    #[test]
    fn yes_and_no_in_several_languages_and_the_mapping_s_own_labels() {
        let labels = ["Y".to_string(), "N".to_string()];
        for yes in ["yes", "Y", "TRUE", "x", "oui", "Ja", "sí", "SÍ"] {
            assert_eq!(parse_bool(yes, &labels), Some(true), "{yes}");
        }
        for no in ["no", "N", "false", "0", "nein", " off "] {
            assert_eq!(parse_bool(no, &labels), Some(false), "{no}");
        }
        let custom = ["Abonné".to_string(), "Désabonné".to_string()];
        assert_eq!(parse_bool("abonné", &custom), Some(true));
        assert_eq!(parse_bool("DÉSABONNÉ", &custom), Some(false));
        assert_eq!(parse_bool("maybe", &labels), None);
    }
}
