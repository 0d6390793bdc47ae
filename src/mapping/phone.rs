//! Phone numbers in the layout a mapping asks for.

use super::text::trim;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PhoneLayout {
    Keep,
    Digits,
    Us,
}

/// A phone number in the requested layout; numbers that do not fit it are kept as written.
pub fn format_phone(text: &str, layout: PhoneLayout) -> String {
    let text = trim(text);
    match layout {
        PhoneLayout::Keep => text.to_string(),
        PhoneLayout::Digits => {
            let mut out = String::with_capacity(text.len());
            if text.starts_with('+') {
                out.push('+');
            }
            out.extend(text.chars().filter(char::is_ascii_digit));
            out
        }
        PhoneLayout::Us => us_phone(text).unwrap_or_else(|| text.to_string()),
    }
}

/// `(404) 657-4938` from ten digits, or eleven with the country code 1, and no letters
/// ("ext"); `None` when the number is not such a number.
fn us_phone(text: &str) -> Option<String> {
    let mut digits = [0u8; 11];
    let mut count = 0;
    for &b in text.as_bytes() {
        if b.is_ascii_digit() {
            *digits.get_mut(count)? = b;
            count += 1;
        } else if b.is_ascii_alphabetic() {
            return None;
        }
    }
    let national = match count {
        11 if digits[0] == b'1' => &digits[1..11],
        10 => &digits[..10],
        _ => return None,
    };
    let mut out = *b"(000) 000-0000";
    out[1..4].copy_from_slice(&national[..3]);
    out[6..9].copy_from_slice(&national[3..6]);
    out[10..].copy_from_slice(&national[6..]);
    Some(String::from_utf8(out.to_vec()).expect("ASCII digits"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn us_layout_and_digits_and_numbers_that_fit_neither() {
        assert_eq!(
            format_phone("404.657.4938", PhoneLayout::Us),
            "(404) 657-4938"
        );
        assert_eq!(
            format_phone("+1 404 657 4938", PhoneLayout::Us),
            "(404) 657-4938"
        );
        assert_eq!(
            format_phone("+44 20 7946 0958", PhoneLayout::Us),
            "+44 20 7946 0958"
        );
        assert_eq!(
            format_phone("+44 20 7946 0958", PhoneLayout::Digits),
            "+442079460958"
        );
    }
}
