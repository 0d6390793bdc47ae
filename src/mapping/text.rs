//! Text helpers every cell passes through: trimming, case changes, comparing words.
//!
//! Each has an ASCII fast path (names and addresses are mostly ASCII, and these run on
//! every cell) held to the standard library's answer by a property test.

/// `str::trim`, skipping its character-by-character scan when the ends are plain ASCII
/// non-space (the common case, and this runs on every cell).
pub fn trim(text: &str) -> &str {
    let bytes = text.as_bytes();
    match (bytes.first(), bytes.last()) {
        (Some(&first), Some(&last)) if first.is_ascii_graphic() && last.is_ascii_graphic() => text,
        _ => text.trim(),
    }
}

/// Capitalizes words typed in one case ("ROBERT", "robert" → "Robert") and leaves words that
/// already mix cases alone, so "McRae" and "DeShawn" survive.
pub fn title_case(text: &str) -> String {
    if text.is_ascii() {
        title_case_ascii(text)
    } else {
        title_case_general(text)
    }
}

/// [`title_case`] for any text, a character at a time.
fn title_case_general(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for word in text.split_inclusive(|c: char| c.is_whitespace() || c == '-' || c == '\'') {
        let letters = word.chars().filter(|c| c.is_alphabetic());
        let mixed =
            letters.clone().any(char::is_uppercase) && letters.clone().any(char::is_lowercase);
        if mixed {
            out.push_str(word);
            continue;
        }
        let mut chars = word.chars();
        if let Some(first) = chars.next() {
            out.extend(first.to_uppercase());
            out.extend(chars.flat_map(char::to_lowercase));
        }
    }
    out
}

/// [`title_case`] for ASCII text, changed in place word by word: names are mostly ASCII, and
/// the general version's per-character case tables cost several times more.
fn title_case_ascii(text: &str) -> String {
    // `char::is_whitespace` on ASCII: tab, line feed, vertical tab, form feed, return, space.
    let breaks = |b: &u8| matches!(b, b'\t'..=b'\r' | b' ' | b'-' | b'\'');
    let mut out = text.to_string();
    let mut start = 0;
    for word in text.as_bytes().split_inclusive(breaks) {
        let end = start + word.len();
        let upper = word.iter().any(u8::is_ascii_uppercase);
        if !(upper && word.iter().any(u8::is_ascii_lowercase)) {
            out[start..start + 1].make_ascii_uppercase();
            if upper {
                out[start + 1..end].make_ascii_lowercase();
            }
        }
        start = end;
    }
    out
}

/// `str::to_lowercase`, converting ASCII bytes directly and looking up the case tables only
/// for the other characters (most of an email address is ASCII even when a name is not).
pub fn to_lowercase(text: &str) -> String {
    if text.contains('Σ') {
        // Its lowercase depends on where it stands in a word; leave that to the library.
        return text.to_lowercase();
    }
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_ascii() {
            out.push(c.to_ascii_lowercase());
        } else {
            out.extend(c.to_lowercase());
        }
    }
    out
}

/// Compares ignoring case without allocating: ASCII first, full Unicode folding only for
/// text that is not ASCII (the hot path reads millions of cells).
pub fn same_word(a: &str, b: &str) -> bool {
    if a.is_ascii() && b.is_ascii() {
        a.eq_ignore_ascii_case(b)
    } else {
        a.to_lowercase() == b.to_lowercase()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fast_trim_matches_the_standard_one() {
        for text in [
            "",
            " ",
            "a",
            " a",
            "a ",
            "\u{a0}x",
            "x\u{2003}",
            "é",
            " é ",
            "ab\tc",
        ] {
            assert_eq!(trim(text), text.trim(), "{text:?}");
        }
    }

    proptest::proptest! {
        #[test]
        fn fast_case_changes_agree_with_the_library(text in "[aZ \\t\\x0b'\\-.éÉΣß1]{0,12}") {
            proptest::prop_assert_eq!(title_case(&text), title_case_general(&text));
            let ascii: String = text.chars().filter(char::is_ascii).collect();
            proptest::prop_assert_eq!(title_case(&ascii), title_case_general(&ascii));
            proptest::prop_assert_eq!(to_lowercase(&text), text.to_lowercase());
        }
    }
}
