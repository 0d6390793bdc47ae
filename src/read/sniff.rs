//! Guessing what a file holds from its first bytes: a workbook or text, and a CSV file's
//! encoding and delimiter.

/// The encoding to decode a CSV file with, and how many BOM bytes to skip.
/// `whole_file` says the sample is the entire file, so a character cut off at its end is not
/// a sampling accident.
pub fn encoding(
    sample: &[u8],
    whole_file: bool,
    label: Option<&str>,
) -> Result<(&'static encoding_rs::Encoding, usize), String> {
    if let Some((enc, bom_len)) = encoding_rs::Encoding::for_bom(sample) {
        return Ok((enc, bom_len));
    }
    if let Some(label) = label {
        let enc = encoding_rs::Encoding::for_label(label.trim().as_bytes()).ok_or_else(|| {
            format!("unknown encoding {label:?}; try utf-8, utf-16 or windows-1252")
        })?;
        return Ok((enc, 0));
    }
    if let Some(enc) = utf16_without_bom(sample) {
        return Ok((enc, 0));
    }
    Ok((
        if looks_like_utf8(sample, whole_file) {
            encoding_rs::UTF_8
        } else {
            encoding_rs::WINDOWS_1252
        },
        0,
    ))
}

/// UTF-16 text written without a byte order mark, told by its shape: text in Latin
/// letters has a zero byte in every other place (the high byte of each character), on the
/// odd places for little-endian, the even ones for big-endian.
pub fn utf16_without_bom(sample: &[u8]) -> Option<&'static encoding_rs::Encoding> {
    let sample = &sample[..sample.len().min(4096)];
    if sample.len() < 4 {
        return None;
    }
    let zeros = |start: usize| {
        sample
            .iter()
            .skip(start)
            .step_by(2)
            .filter(|&&b| b == 0)
            .count()
    };
    let (even, odd) = (zeros(0), zeros(1));
    let half = sample.len() / 2;
    if odd * 10 >= half * 3 && even * 20 <= half {
        Some(encoding_rs::UTF_16LE)
    } else if even * 10 >= half * 3 && odd * 20 <= half {
        Some(encoding_rs::UTF_16BE)
    } else {
        None
    }
}

/// What the first bytes of a file say it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Content {
    /// A zip archive: an XLSX (or ODS) workbook, whatever its name.
    Zip,
    /// An OLE compound file: an XLS workbook.
    Ole,
    /// Text in some encoding: a CSV.
    Text,
    /// Anything else: bytes no spreadsheet reads as text.
    Binary,
}

/// The kind of content in a file's first bytes.
pub fn content(sample: &[u8]) -> Content {
    const OLE: [u8; 8] = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
    if sample.starts_with(b"PK\x03\x04") {
        return Content::Zip;
    }
    if sample.starts_with(&OLE) {
        return Content::Ole;
    }
    if encoding_rs::Encoding::for_bom(sample).is_some() || utf16_without_bom(sample).is_some() {
        return Content::Text;
    }
    // Text has no control characters but tab, line breaks, form feed and (old DOS files)
    // a final Ctrl-Z; binary data has NULs and many others.
    let head = &sample[..sample.len().min(8192)];
    let control = head
        .iter()
        .filter(|&&b| b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0C | 0x1A))
        .count();
    // A stray NUL in a text file is a bad cell (reported on it), not a binary file.
    if control * 100 > head.len() {
        Content::Binary
    } else {
        Content::Text
    }
}

/// True when the sample is UTF-8, allowing a character cut off at its end.
fn looks_like_utf8(sample: &[u8], whole_file: bool) -> bool {
    match std::str::from_utf8(sample) {
        Ok(_) => true,
        Err(e) => !whole_file && e.error_len().is_none() && sample.len() - e.valid_up_to() < 4,
    }
}

/// The delimiter among `,` `;` tab `|` that splits the sample's lines most consistently.
///
/// Each candidate is scored by how many of the first lines it splits into the same number of
/// fields as the header, then by that number; quoted text is ignored. Comma wins ties, being
/// the most common.
pub fn delimiter(sample: &str) -> u8 {
    const CANDIDATES: [u8; 4] = [b',', b';', b'\t', b'|'];
    let lines: Vec<&str> = sample
        .lines()
        .filter(|l| !l.trim().is_empty())
        .take(20)
        .collect();
    let Some(header) = lines.first() else {
        return b',';
    };
    let mut best = (b',', 0usize, 0usize);
    for candidate in CANDIDATES {
        let fields = count_unquoted(header, candidate);
        if fields == 0 {
            continue;
        }
        // The last line of a sample may be cut short; do not let it vote.
        let body = &lines[1..lines.len().saturating_sub(1).max(1)];
        let consistent = body
            .iter()
            .filter(|l| count_unquoted(l, candidate) == fields)
            .count();
        if (consistent, fields) > (best.1, best.2) {
            best = (candidate, consistent, fields);
        }
    }
    best.0
}

fn count_unquoted(line: &str, delimiter: u8) -> usize {
    let mut in_quotes = false;
    let mut count = 0;
    for &b in line.as_bytes() {
        match b {
            b'"' => in_quotes = !in_quotes,
            _ if b == delimiter && !in_quotes => count += 1,
            _ => {}
        }
    }
    count
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_each_delimiter() {
        assert_eq!(delimiter("a,b,c\n1,2,3\n4,5,6\n"), b',');
        assert_eq!(delimiter("a;b;c\n1;2,5;3\n4;5;6\n"), b';');
        assert_eq!(delimiter("a\tb\tc\n1\t2\t3\n"), b'\t');
        assert_eq!(delimiter("a|b|c\n1|2|3\n"), b'|');
        assert_eq!(delimiter("\"Smith, J\";x\n\"Doe, A\";y\n"), b';');
        assert_eq!(delimiter("single\nvalue\n"), b',');
    }

    #[test]
    fn detects_encodings() {
        assert_eq!(
            encoding(b"\xef\xbb\xbfa,b", true, None).unwrap(),
            (encoding_rs::UTF_8, 3)
        );
        assert_eq!(
            encoding(b"\xff\xfea\0", true, None).unwrap(),
            (encoding_rs::UTF_16LE, 2)
        );
        assert_eq!(
            encoding("José".as_bytes(), true, None).unwrap().0,
            encoding_rs::UTF_8
        );
        assert_eq!(
            encoding(b"Jos\xe9", true, None).unwrap().0,
            encoding_rs::WINDOWS_1252
        );
        assert_eq!(
            encoding(b"ab\xc3", false, None).unwrap().0,
            encoding_rs::UTF_8,
            "cut-off character"
        );
        assert_eq!(
            encoding(b"x", true, Some("latin1")).unwrap().0,
            encoding_rs::WINDOWS_1252
        );
        assert!(encoding(b"x", true, Some("klingon")).is_err());
    }
}
