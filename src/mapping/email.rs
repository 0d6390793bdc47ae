//! Whether a cell holds an email address the API will take.

const PLAIN: u8 = 0;

/// Which bytes [`check_email`] must look at: `@`, `.`, white space and control characters,
/// and the bytes of characters that are not ASCII.
const EMAIL_BYTE: [u8; 256] = {
    let mut table = [PLAIN; 256];
    let mut b = 0;
    while b < 256 {
        if b <= 0x20 || b == 0x7f || b >= 0x80 || b == b'@' as usize || b == b'.' as usize {
            table[b] = 1;
        }
        b += 1;
    }
    table
};

/// Why an address is not an email address, if it is not.
///
/// One pass over the bytes notes everything the checks below need (this runs on every email
/// cell); the checks then go in the order a person would fix things.
pub fn check_email(email: &str) -> Result<(), &'static str> {
    if email.len() > 254 {
        return Err("longer than 254 characters");
    }
    let bytes = email.as_bytes();
    let (mut ats, mut at) = (0, 0);
    let mut last_dot = None;
    // Where the first ".." ends and where the last one starts, to tell which side of the @
    // holds one.
    let (mut first_double_dot_end, mut last_double_dot_start) = (None, None);
    let mut non_ascii = false;
    for (i, &b) in bytes.iter().enumerate() {
        // Letters, digits and most punctuation need nothing: one table look-up skips them.
        if EMAIL_BYTE[usize::from(b)] == PLAIN {
            continue;
        }
        match b {
            b'@' => {
                ats += 1;
                at = i;
            }
            b'.' => {
                if i > 0 && bytes[i - 1] == b'.' {
                    first_double_dot_end.get_or_insert(i);
                    last_double_dot_start = Some(i - 1);
                }
                last_dot = Some(i);
            }
            0x80.. => non_ascii = true,
            // ASCII white space and control characters.
            _ => return Err("it contains white space"),
        }
    }
    if non_ascii && email.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("it contains white space");
    }
    if ats == 0 {
        return Err("no @");
    }
    if at == 0 {
        return Err("nothing before the @");
    }
    if ats > 1 {
        return Err("more than one @");
    }
    if at > 64 {
        return Err("the part before the @ is longer than 64 characters");
    }
    let domain_has_dot = last_dot.is_some_and(|d| d > at);
    if !domain_has_dot
        || bytes.get(at + 1) == Some(&b'.')
        || bytes.last() == Some(&b'.')
        || last_double_dot_start.is_some_and(|d| d > at)
    {
        return Err("the domain after the @ is not a domain name");
    }
    if bytes[0] == b'.' || bytes[at - 1] == b'.' || first_double_dot_end.is_some_and(|d| d < at) {
        return Err("misplaced dots before the @");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_and_what_is_wrong_with_the_others() {
        assert!(check_email("ada@example.com").is_ok());
        for bad in [
            "ada", "ada@", "@x.io", "a b@x.io", "a@@x.io", "a@x", "a@x..io", ".a@x.io",
        ] {
            assert!(check_email(bad).is_err(), "{bad}");
        }
    }

    /// The plain version the fast path must agree with.
    fn reference_check_email(email: &str) -> Result<(), &'static str> {
        if email.len() > 254 {
            return Err("longer than 254 characters");
        }
        if email.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err("it contains white space");
        }
        let ats = email.matches('@').count();
        if ats == 0 {
            return Err("no @");
        }
        let (local, domain) = email.rsplit_once('@').unwrap();
        if local.is_empty() {
            return Err("nothing before the @");
        }
        if ats > 1 {
            return Err("more than one @");
        }
        if local.len() > 64 {
            return Err("the part before the @ is longer than 64 characters");
        }
        if !domain.contains('.')
            || domain.starts_with('.')
            || domain.ends_with('.')
            || domain.contains("..")
        {
            return Err("the domain after the @ is not a domain name");
        }
        if local.starts_with('.') || local.ends_with('.') || local.contains("..") {
            return Err("misplaced dots before the @");
        }
        Ok(())
    }

    proptest::proptest! {
        #[test]
        fn fast_email_check_agrees_with_the_plain_one(
            email in "[a.@ A-Z\\x00\\x7f\u{a0}é]{0,12}|[a-z.]{0,70}@[a-z.]{0,8}"
        ) {
            proptest::prop_assert_eq!(check_email(&email), reference_check_email(&email));
        }
    }
}
