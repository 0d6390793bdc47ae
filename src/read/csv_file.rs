//! CSV input: streamed record by record, whatever the encoding.

use std::collections::VecDeque;
use std::fs::File;
use std::io::{Cursor, Read};
use std::path::Path;
use std::sync::{Arc, Mutex};

use anyhow::{bail, Context, Result};

use super::{
    fit_to_headers, letter_headers, name_headers, sniff, CellProblem, ReadOptions, Row, Table,
};

/// How much of the file is looked at to guess its encoding and delimiter.
const SAMPLE_BYTES: usize = 64 * 1024;

pub fn open(path: &Path, options: &ReadOptions) -> Result<Table> {
    let shown = path.display().to_string();
    let mut file = File::open(path).with_context(|| format!("{shown}: cannot open"))?;
    let mut sample = Vec::with_capacity(SAMPLE_BYTES);
    (&mut file)
        .take(SAMPLE_BYTES as u64)
        .read_to_end(&mut sample)
        .with_context(|| format!("{shown}: cannot read"))?;
    if sample.iter().all(|b| b.is_ascii_whitespace()) {
        bail!("{shown}: the file is empty; expected a header row and data rows");
    }
    let whole_file = sample.len() < SAMPLE_BYTES;
    let (encoding, bom_len) = sniff::encoding(&sample, whole_file, options.encoding.as_deref())
        .map_err(|e| anyhow::anyhow!("{shown}: {e}"))?;
    let (decoded_sample, _, _) = encoding.decode(&sample);
    let delimiter = options
        .delimiter
        .unwrap_or_else(|| sniff::delimiter(&decoded_sample));

    let raw = Cursor::new(sample).chain(file);
    let bytes: Box<dyn Read + Send> = if encoding == encoding_rs::UTF_8 {
        // Read UTF-8 as bytes, so a stray invalid byte is reported on its own cell
        // instead of being silently replaced somewhere in the file.
        let mut raw = raw;
        std::io::copy(&mut (&mut raw).take(bom_len as u64), &mut std::io::sink())?;
        Box::new(raw)
    } else {
        Box::new(
            encoding_rs_io::DecodeReaderBytesBuilder::new()
                .encoding(Some(encoding))
                .bom_sniffing(true)
                .build(raw),
        )
    };
    let newlines = NewlineLog::default();
    let bytes = LoggingReader {
        inner: bytes,
        offset: 0,
        log: newlines.clone(),
    };
    let mut records = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(bytes)
        .into_byte_records();

    let description = format!(
        "{}, delimiter {}",
        encoding.name(),
        match delimiter {
            b'\t' => "tab".to_string(),
            d => format!("'{}'", d as char),
        }
    );
    let header_row = options.header_row.unwrap_or(1);
    let unguard = !options.keep_apostrophes;
    let mut rows_of = RowNumbers {
        newlines,
        lines_before: 0,
        quoted_breaks: 0,
    };
    // Each record with its row number and how many line breaks its cells hold.
    let mut next_record = move || -> Result<Option<(Position, csv::ByteRecord)>> {
        match records.next() {
            None => Ok(None),
            Some(Ok(record)) => Ok(Some((rows_of.number(&record), record))),
            Some(Err(e)) => {
                let line = e.position().map(|p| p.line()).unwrap_or(0);
                Err(anyhow::Error::new(e).context(format!(
                    "{shown}: near line {line}: cannot read the CSV record"
                )))
            }
        }
    };

    let mut header_number = 0;
    let headers = if header_row == 0 {
        None
    } else {
        let header = loop {
            match next_record()? {
                None => bail!(
                    "{}: the file ends before its header row {header_row}",
                    path.display()
                ),
                Some((at, record)) if at.row >= header_row => {
                    break decode_record(record, at, unguard)
                }
                Some(_) => continue,
            }
        };
        header_number = header.number;
        Some(name_headers(path, header.number, header.to_vec())?)
    };

    // Look ahead to the first data row, so a header-only file is an error now.
    let first = loop {
        match next_record()? {
            None if options.allow_no_rows => break None,
            None => bail!(
                "{}: the file has a header row but no data rows",
                path.display()
            ),
            Some((_, record)) if is_blank(&record) => continue,
            Some((at, record)) => break Some(decode_record(record, at, unguard)),
        }
    };
    let headers =
        headers.unwrap_or_else(|| letter_headers(first.as_ref().map_or(0, |r| r.record.len())));
    let width_headers = headers.clone();
    let mut pending = first;
    let rows = std::iter::from_fn(move || loop {
        if let Some(mut row) = pending.take() {
            fit_to_headers(&mut row, &width_headers);
            return Some(Ok(row));
        }
        match next_record() {
            Err(e) => return Some(Err(e)),
            Ok(None) => return None,
            Ok(Some((_, record))) if is_blank(&record) => continue,
            Ok(Some((at, record))) => pending = Some(decode_record(record, at, unguard)),
        }
    });
    Ok(Table {
        path: path.to_path_buf(),
        headers,
        header_row: header_number,
        description,
        rows: Box::new(rows),
    })
}

/// Offsets of the `\n` and `\r` bytes read so far and not yet passed by the parser.
#[derive(Clone, Default)]
struct NewlineLog(Arc<Mutex<VecDeque<(u64, u8)>>>);

/// Notes where each line break is as the csv parser pulls bytes through.
struct LoggingReader<R> {
    inner: R,
    offset: u64,
    log: NewlineLog,
}

impl<R: Read> Read for LoggingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let mut log = self.log.0.lock().expect("newline log lock");
        let read = &buf[..n];
        log.extend(
            memchr::memchr2_iter(b'\n', b'\r', read).map(|i| (self.offset + i as u64, read[i])),
        );
        self.offset += n as u64;
        Ok(n)
    }
}

/// Spreadsheet row numbers for CSV records.
///
/// A spreadsheet shows one row per line, blank lines included, and keeps a quoted line break
/// inside its cell. The csv parser skips blank lines and its line counter does not count
/// them, but its byte offsets are exact. A record's offset is where the previous record ended,
/// so the blank lines skipped before it start right there; its row is one more than every
/// line break before its first byte, less the line breaks quoted inside earlier records.
struct RowNumbers {
    newlines: NewlineLog,
    lines_before: usize,
    quoted_breaks: usize,
}

impl RowNumbers {
    fn number(&mut self, record: &csv::ByteRecord) -> Position {
        let mut cursor = record.position().map_or(0, |p| p.byte());
        let mut log = self.newlines.0.lock().expect("newline log lock");
        while let Some(&(at, byte)) = log.front() {
            if at > cursor {
                break;
            }
            // A line ends at "\n", or at a "\r" no "\n" follows (old Mac files). The byte after
            // a "\r" before this record has been read, so a "\n" there would be logged next.
            let ends_line = byte == b'\n' || log.get(1) != Some(&(at + 1, b'\n'));
            self.lines_before += usize::from(ends_line);
            if at == cursor {
                // A blank line the parser skipped.
                cursor += 1;
            }
            log.pop_front();
        }
        drop(log);
        let row = self.lines_before + 1 - self.quoted_breaks;
        let line_breaks = if memchr::memchr(b'\r', record.as_slice()).is_none() {
            // The record's bytes are its cells back to back: one SIMD count covers them all.
            memchr::memchr_iter(b'\n', record.as_slice()).count()
        } else {
            record.iter().map(line_breaks).sum()
        };
        self.quoted_breaks += line_breaks;
        Position { row, line_breaks }
    }
}

/// Where a record stands: its spreadsheet row, and the line breaks quoted inside its cells.
#[derive(Clone, Copy)]
struct Position {
    row: usize,
    line_breaks: usize,
}

/// Line breaks as a spreadsheet counts them: "\n", "\r\n", and a "\r" alone (old Mac files,
/// and what Excel's "CSV (Macintosh)" still writes).
fn line_breaks(text: &[u8]) -> usize {
    let lone_returns = memchr::memchr_iter(b'\r', text)
        .filter(|&i| text.get(i + 1) != Some(&b'\n'))
        .count();
    memchr::memchr_iter(b'\n', text).count() + lone_returns
}

fn is_blank(record: &csv::ByteRecord) -> bool {
    record.as_slice().iter().all(u8::is_ascii_whitespace)
}

/// The most a cell holds, in bytes: the API documents no limit, and no field of a contact
/// is meant for more (a 5 MB cell is a broken file or an attack).
pub const MAX_CELL_BYTES: usize = 64 * 1024;

/// A control character no one types: C0 controls but tab and the line breaks.
fn is_control(b: u8) -> bool {
    b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r')
}

/// Whether any byte is a control character, eight bytes at a time: a word with no byte
/// below a space (a byte `b < 0x20` makes `b - 0x20` borrow into its high bit while its own
/// high bit is clear) is passed over in one test, and only a word with one (a tab, a quoted
/// line break, or a control) is looked at byte by byte.
fn has_control(bytes: &[u8]) -> bool {
    const SPACES: u64 = 0x2020_2020_2020_2020;
    const HIGH_BITS: u64 = 0x8080_8080_8080_8080;
    let mut words = bytes.chunks_exact(8);
    for word in &mut words {
        let x = u64::from_le_bytes(word.try_into().expect("eight bytes"));
        if x.wrapping_sub(SPACES) & !x & HIGH_BITS != 0 && word.iter().any(|&b| is_control(b)) {
            return true;
        }
    }
    words.remainder().iter().any(|&b| is_control(b))
}

/// Cells holding a control character (a NUL is often UTF-16 or binary data read as text)
/// or more than [`MAX_CELL_BYTES`]: errors on their cells, so the row is never sent.
fn unreadable_cells(record: &csv::ByteRecord) -> Vec<CellProblem> {
    let bytes = record.as_slice();
    let any_control = has_control(bytes);
    if !any_control && bytes.len() <= MAX_CELL_BYTES {
        return Vec::new();
    }
    let mut problems = Vec::new();
    for (column, field) in record.iter().enumerate() {
        if let Some(&b) = field.iter().find(|&&b| is_control(b)) {
            problems.push(CellProblem {
                column: Some(column),
                message: format!(
                    "holds the control character U+{b:04X}, which is not text anyone types: \
                     remove it (NULs throughout mean the file is UTF-16 or not text: see \
                     --encoding)"
                ),
            });
        } else if field.len() > MAX_CELL_BYTES {
            problems.push(CellProblem {
                column: Some(column),
                message: format!(
                    "holds {} bytes; a cell holds at most {MAX_CELL_BYTES} (64 KB)",
                    field.len()
                ),
            });
        }
    }
    problems
}

/// Line breaks in one cell past which a quote was almost surely left open: the parser then
/// reads every following line into that cell, and the rows there would silently vanish.
const RUNAWAY_CELL_LINES: usize = 100;

/// Turns a record's bytes into text, noting each cell that is not valid UTF-8 and each cell
/// that swallowed the lines after it; with `unguard`, takes the formula guard off.
fn decode_record(record: csv::ByteRecord, at: Position, unguard: bool) -> Row {
    let mut problems = Vec::new();
    // Only a record holding that many line breaks in all can have a cell holding them.
    if at.line_breaks >= RUNAWAY_CELL_LINES {
        for (column, field) in record.iter().enumerate() {
            let lines = line_breaks(field);
            if lines >= RUNAWAY_CELL_LINES {
                problems.push(CellProblem {
                    column: Some(column),
                    message: format!(
                        "this cell runs over {} lines: a quote (\") was probably left open, and \
                         the rows after it were read into this cell; fix the quote and read the \
                         file again",
                        lines + 1
                    ),
                });
            }
        }
    }
    problems.extend(unreadable_cells(&record));
    let record = match csv::StringRecord::from_byte_record(record) {
        Ok(text) => text,
        Err(e) => {
            let bytes = e.into_byte_record();
            let mut text = csv::StringRecord::with_capacity(bytes.as_slice().len(), bytes.len());
            for (column, field) in bytes.iter().enumerate() {
                if std::str::from_utf8(field).is_err() {
                    problems.push(CellProblem {
                        column: Some(column),
                        message: "bytes that are not valid UTF-8; if the file came from Excel on \
                                  Windows, read it with --encoding windows-1252"
                            .to_string(),
                    });
                }
                text.push_field(&String::from_utf8_lossy(field));
            }
            text
        }
    };
    // One scan of the record's bytes rules the guard out for almost every row.
    let may_be_guarded = unguard && memchr::memchr(b'\'', record.as_slice().as_bytes()).is_some();
    let record = if may_be_guarded && record.iter().any(crate::guard::is_guarded) {
        record.iter().map(crate::guard::undo).collect()
    } else {
        record
    };
    Row {
        number: at.row,
        record,
        problems,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn table(bytes: &[u8], options: &ReadOptions) -> Result<(Vec<String>, Vec<Row>)> {
        let mut file = tempfile::Builder::new().suffix(".csv").tempfile().unwrap();
        file.write_all(bytes).unwrap();
        let t = open(file.path(), options)?;
        let rows = t.rows.collect::<Result<Vec<_>>>()?;
        Ok((t.headers, rows))
    }

    #[test]
    fn old_mac_line_endings_number_rows_like_any_other() {
        // "CSV (Macintosh)" from Excel ends lines with "\r" alone; a blank line and a quoted
        // break count as they do with "\n" and "\r\n".
        for (eol, name) in [("\r", "CR"), ("\n", "LF"), ("\r\n", "CRLF")] {
            let text = format!("Name,Notes{eol}Ada,x{eol}{eol}Bob,\"two{eol}lines\"{eol}Cy,z{eol}");
            let (_, rows) = table(text.as_bytes(), &ReadOptions::default()).unwrap();
            let numbers: Vec<usize> = rows.iter().map(|r| r.number).collect();
            assert_eq!(numbers, [2, 4, 5], "{name}");
            assert_eq!(rows[1].to_vec()[1], format!("two{eol}lines"), "{name}");
        }
    }

    #[test]
    fn quoted_newlines_stay_in_one_row_and_numbers_count_records() {
        let (h, rows) = table(
            b"Name,Notes\nAda,\"line one\nline two\"\nBob,x\n",
            &ReadOptions::default(),
        )
        .unwrap();
        assert_eq!(h, vec!["Name", "Notes"]);
        assert_eq!(rows[0].to_vec(), vec!["Ada", "line one\nline two"]);
        assert_eq!((rows[0].number, rows[1].number), (2, 3));
    }

    #[test]
    fn utf8_bom_is_not_part_of_the_first_header() {
        let (h, _) = table(
            b"\xef\xbb\xbfEmail,Name\na@b.c,A\n",
            &ReadOptions::default(),
        )
        .unwrap();
        assert_eq!(h[0], "Email");
    }

    #[test]
    fn utf16_with_bom_and_windows_1252_are_decoded() {
        let text = "Name;City\nJosé;Zürich\n";
        let mut utf16 = vec![0xff, 0xfe];
        utf16.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
        let (h, rows) = table(&utf16, &ReadOptions::default()).unwrap();
        assert_eq!(h, vec!["Name", "City"]);
        assert_eq!(rows[0].to_vec(), vec!["José", "Zürich"]);

        let (_, rows) = table(b"Name;City\nJos\xe9;Z\xfcrich\n", &ReadOptions::default()).unwrap();
        assert_eq!(rows[0].to_vec(), vec!["José", "Zürich"]);
    }

    #[test]
    fn invalid_utf8_late_in_the_file_is_a_cell_problem_not_an_error() {
        let mut bytes = b"Name,City\n".to_vec();
        for i in 0..10_000 {
            bytes.extend(format!("P{i},Paris\n").as_bytes());
        }
        bytes.extend(b"Bad,Z\xfcrich\nLast,Rome\n");
        let (_, rows) = table(&bytes, &ReadOptions::default()).unwrap();
        let bad = &rows[10_000];
        assert_eq!(bad.number, 10_002);
        assert_eq!(bad.problems[0].column, Some(1));
        assert_eq!(rows.last().unwrap().to_vec(), vec!["Last", "Rome"]);
    }

    #[test]
    fn ragged_rows_are_noted_and_fitted() {
        let (_, rows) = table(b"a,b,c\n1,2\n1,2,3,4\n1,2,3,\n", &ReadOptions::default()).unwrap();
        assert_eq!(rows[0].to_vec(), vec!["1", "2", ""]);
        assert_eq!(rows[0].problems.len(), 1);
        assert_eq!(rows[1].to_vec(), vec!["1", "2", "3"]);
        assert!(rows[1].problems[0].message.contains("ignored"));
        assert!(
            rows[2].problems.is_empty(),
            "a trailing empty cell is not data"
        );
    }

    #[test]
    fn header_row_option_and_headerless_files() {
        let opts = ReadOptions {
            header_row: Some(3),
            ..Default::default()
        };
        let (h, rows) = table(b"Export of 2026\n\nName,Email\nAda,a@x.io\n", &opts).unwrap();
        assert_eq!(h, vec!["Name", "Email"]);
        assert_eq!(rows[0].number, 4);

        let opts = ReadOptions {
            header_row: Some(0),
            ..Default::default()
        };
        let (h, rows) = table(b"Ada,a@x.io\n", &opts).unwrap();
        assert_eq!(h, vec!["A", "B"]);
        assert_eq!(rows[0].number, 1);
    }

    #[test]
    fn whole_file_problems_are_errors_naming_the_file() {
        let err = |bytes: &[u8]| {
            table(bytes, &ReadOptions::default())
                .unwrap_err()
                .to_string()
        };
        assert!(err(b"").contains("empty"));
        assert!(err(b"Name,Email\n").contains("no data rows"));
        assert!(err(b"Name,Name\n1,2\n").contains("duplicate column"));
        assert!(err(b"Name\n").contains(".csv"));
    }

    #[test]
    fn an_unclosed_quote_is_reported_on_its_cell() {
        let mut bytes = b"Name,Notes\nAda,\"open quote\n".to_vec();
        for i in 0..200 {
            bytes.extend(format!("P{i},x\n").as_bytes());
        }
        let (_, rows) = table(&bytes, &ReadOptions::default()).unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].problems[0].column, Some(1));
        assert!(rows[0].problems[0].message.contains("quote"));
    }

    #[test]
    fn crlf_and_blank_crlf_lines_count_as_rows() {
        let (_, rows) = table(
            b"a,b\r\n1,2\r\n\r\n\"x\r\ny\",3\r\n4,5\r\n",
            &ReadOptions::default(),
        )
        .unwrap();
        let numbers: Vec<usize> = rows.iter().map(|r| r.number).collect();
        assert_eq!(numbers, vec![2, 4, 5]);
    }

    #[test]
    fn control_bytes_are_found_wherever_they_are_and_breaks_and_tabs_are_not() {
        assert!(!has_control(b"plain text, no breaks at all"));
        for at in 0..20 {
            for b in 0u8..0x20 {
                let mut bytes = b"abcdefghijklmnopqrst".to_vec();
                bytes[at] = b;
                let control = !matches!(b, b'\t' | b'\n' | b'\r');
                assert_eq!(has_control(&bytes), control, "{b} at {at}");
            }
        }
        assert!(!has_control(&[
            0x20, 0x7f, 0x80, 0xff, 0xc3, 0xa9, 0x20, 0x21, 0x22
        ]));
    }

    #[test]
    fn blank_rows_are_skipped_but_counted() {
        let (_, rows) = table(b"a,b\n1,2\n,\n\n3,4\n", &ReadOptions::default()).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[1].number, 5);
    }
}
