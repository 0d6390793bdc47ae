//! vCard input (`.vcf`): each card a row, under a fixed, documented set of columns that
//! `mappings/vcard.toml` maps (and that a `.vcf` export writes back).
//!
//! Cards as iPhone/macOS Contacts, Android and Outlook write them: vCard 2.1 (bare type
//! parameters, quoted-printable values in a `CHARSET`), 3.0 and 4.0; folded lines; grouped
//! `item1.` properties whose `X-ABLabel` names the type. The vcard-rs tokeniser unfolds
//! lines and splits names, parameters and components by the format's rules; what each
//! property means is decided here.
//!
//! The columns: `Formatted Name`, the five parts of `N` (`Name Prefix`, `Given Name`,
//! `Additional Names`, `Family Name`, `Name Suffix`), `Nickname`, `Organization`,
//! `Department`, `Title`, `Birthday`, `Anniversary`, `Gender`, `Note`, `Categories`
//! (comma-separated), `BigContacts ID` (`X-BIGCONTACTS-ID`), then numbered groups:
//! `Email N` and `Email N Type`, `Phone N` and `Phone N Type`, `Address N Type`,
//! `Address N PO Box`, `… Extended`, `… Street`, `… City`, `… Region`, `… Postal Code`,
//! `… Country`, and `URL N`, at least as many as the preset maps (3 emails, 5 phones, 2
//! addresses, 1 URL) and more when a card has more. A type is one word: `cell`, `home`,
//! `work`, `fax`, `pager`, `main`, `other` (`work,fax` is `fax`), or an Apple label.
//! Every other property a card has becomes a column named after it (`IMPP`, `ROLE`,
//! `X-SOCIALPROFILE`…), several values joined with ` ::: `; photos, sounds and keys
//! (binary), and `VERSION`, `PRODID`, `REV`, `UID`, are left out.
//!
//! Rows are numbered by card (the first card is row 1); an error names the card and the
//! line it starts on. The file is read whole: address books are small.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{bail, Context, Result};
use vcard::tree::cst::VcardCst;
use vcard::tree::line::VcardLine;

use super::{Row, Table};

/// The single-valued columns, in order.
pub const FIXED_COLUMNS: &[&str] = &[
    "Formatted Name",
    "Name Prefix",
    "Given Name",
    "Additional Names",
    "Family Name",
    "Name Suffix",
    "Nickname",
    "Organization",
    "Department",
    "Title",
    "Birthday",
    "Anniversary",
    "Gender",
    "Note",
    "Categories",
    "BigContacts ID",
];

/// The parts of an address group, in `ADR`'s component order.
pub const ADDRESS_PARTS: &[&str] = &[
    "PO Box",
    "Extended",
    "Street",
    "City",
    "Region",
    "Postal Code",
    "Country",
];

/// The property a `.vcf` export writes a column outside the vCard set as (a custom
/// field), its `X-NAME` parameter naming the column.
pub const CUSTOM_PROPERTY: &str = "X-BIGCONTACTS-CUSTOM";

/// Numbered groups a file always has, so that the columns do not depend on the cards.
const MIN_EMAILS: usize = 3;
const MIN_PHONES: usize = 5;
const MIN_ADDRESSES: usize = 2;
const MIN_URLS: usize = 1;

/// Properties with no column: the envelope, bookkeeping, and binary payloads.
const LEFT_OUT: &[&str] = &[
    "BEGIN",
    "END",
    "VERSION",
    "PRODID",
    "REV",
    "UID",
    "PHOTO",
    "LOGO",
    "SOUND",
    "KEY",
    "X-ABLABEL",
    "X-ABUID",
    "CLIENTPIDMAP",
    "SORT-STRING",
    "X-PHONETIC-FIRST-NAME",
];

/// One card, read.
#[derive(Default)]
struct Card {
    fixed: BTreeMap<&'static str, String>,
    emails: Vec<(String, String)>,
    phones: Vec<(String, String)>,
    /// Type, then the seven parts.
    addresses: Vec<(String, Vec<String>)>,
    urls: Vec<String>,
    /// Other properties by name, values in order.
    other: BTreeMap<String, Vec<String>>,
}

pub fn open(path: &Path) -> Result<Table> {
    let shown = path.display().to_string();
    let bytes = std::fs::read(path).with_context(|| format!("{shown}: cannot read"))?;
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(&bytes);
    let mut cards = Vec::new();
    for (index, card) in VcardCst::parse_many(bytes).enumerate() {
        match card {
            Ok(card) => cards.push(read_card(&card)),
            Err(e) => bail!(
                "{shown}: card {} (from line {}): cannot read it: {e}",
                index + 1,
                begin_line(bytes, index)
            ),
        }
    }
    if cards.is_empty() {
        bail!("{shown}: no card in the file; expected BEGIN:VCARD … END:VCARD");
    }
    let most =
        |f: fn(&Card) -> usize, least: usize| cards.iter().map(f).max().unwrap_or(0).max(least);
    let (emails, phones) = (
        most(|c| c.emails.len(), MIN_EMAILS),
        most(|c| c.phones.len(), MIN_PHONES),
    );
    let addresses = most(|c| c.addresses.len(), MIN_ADDRESSES);
    let urls = most(|c| c.urls.len(), MIN_URLS);
    let mut others: Vec<String> = cards.iter().flat_map(|c| c.other.keys().cloned()).collect();
    others.sort();
    others.dedup();
    let headers = columns(emails, phones, addresses, urls, &others);
    let rows: Vec<Row> = cards
        .into_iter()
        .enumerate()
        .map(|(i, card)| Row::new(i + 1, cells(card, &headers, &others)))
        .collect();
    Ok(Table {
        path: path.to_path_buf(),
        headers,
        header_row: 0,
        description: "vCard: row N is the N-th card".into(),
        rows: Box::new(rows.into_iter().map(Ok)),
    })
}

/// The column names for files whose cards have at most these many of each group.
pub fn columns(
    emails: usize,
    phones: usize,
    addresses: usize,
    urls: usize,
    others: &[String],
) -> Vec<String> {
    let mut out: Vec<String> = FIXED_COLUMNS.iter().map(|c| c.to_string()).collect();
    for n in 1..=emails {
        out.push(format!("Email {n}"));
        out.push(format!("Email {n} Type"));
    }
    for n in 1..=phones {
        out.push(format!("Phone {n}"));
        out.push(format!("Phone {n} Type"));
    }
    for n in 1..=addresses {
        out.push(format!("Address {n} Type"));
        out.extend(ADDRESS_PARTS.iter().map(|p| format!("Address {n} {p}")));
    }
    out.extend((1..=urls).map(|n| format!("URL {n}")));
    out.extend(others.iter().cloned());
    out
}

/// A card's cells, in the order of `headers`.
fn cells(card: Card, headers: &[String], others: &[String]) -> Vec<String> {
    let mut cells = vec![String::new(); headers.len()];
    let mut put = |column: String, value: String| {
        if let Some(i) = headers.iter().position(|h| *h == column) {
            cells[i] = value;
        }
    };
    for (column, value) in card.fixed {
        put(column.to_string(), value);
    }
    for (n, (value, kind)) in card.emails.into_iter().enumerate() {
        put(format!("Email {}", n + 1), value);
        put(format!("Email {} Type", n + 1), kind);
    }
    for (n, (value, kind)) in card.phones.into_iter().enumerate() {
        put(format!("Phone {}", n + 1), value);
        put(format!("Phone {} Type", n + 1), kind);
    }
    for (n, (kind, parts)) in card.addresses.into_iter().enumerate() {
        put(format!("Address {} Type", n + 1), kind);
        for (part, value) in ADDRESS_PARTS.iter().zip(parts) {
            put(format!("Address {} {part}", n + 1), value);
        }
    }
    for (n, url) in card.urls.into_iter().enumerate() {
        put(format!("URL {}", n + 1), url);
    }
    for name in others {
        if let Some(values) = card.other.get(name) {
            put(name.clone(), values.join(" ::: "));
        }
    }
    cells
}

fn read_card(card: &VcardCst) -> Card {
    // Apple's `item1.TEL` + `item1.X-ABLabel:_$!<Mobile>!$_`: the label is the type.
    let labels: BTreeMap<String, String> = card
        .props
        .iter()
        .filter(|l| l.bare_name().eq_ignore_ascii_case("X-ABLABEL"))
        .filter_map(|l| Some((l.group()?.to_ascii_lowercase(), apple_label(&text(l)))))
        .collect();
    let mut out = Card::default();
    for line in &card.props {
        let name = line.bare_name().to_ascii_uppercase();
        if LEFT_OUT.contains(&name.as_str()) {
            continue;
        }
        let label = line
            .group()
            .and_then(|g| labels.get(&g.to_ascii_lowercase()));
        let types = types(line);
        let kind = |phone: bool| match label {
            Some(label) => label.clone(),
            None => one_type(&types, phone),
        };
        let mut fixed = |column: &'static str, value: String| {
            if !value.trim().is_empty() {
                out.fixed.entry(column).or_insert(value);
            }
        };
        match name.as_str() {
            "FN" => fixed("Formatted Name", text(line)),
            "N" => {
                let parts = components(line);
                for (i, column) in [
                    "Family Name",
                    "Given Name",
                    "Additional Names",
                    "Name Prefix",
                    "Name Suffix",
                ]
                .into_iter()
                .enumerate()
                {
                    fixed(column, parts.get(i).cloned().unwrap_or_default());
                }
            }
            "NICKNAME" => fixed("Nickname", text(line)),
            "ORG" => {
                let parts = components(line);
                fixed("Organization", parts.first().cloned().unwrap_or_default());
                fixed(
                    "Department",
                    parts.get(1..).map(|p| p.join("; ")).unwrap_or_default(),
                );
            }
            "TITLE" => fixed("Title", text(line)),
            "BDAY" => fixed("Birthday", text(line)),
            "ANNIVERSARY" | "X-ANNIVERSARY" => fixed("Anniversary", text(line)),
            "GENDER" | "X-GENDER" => fixed(
                "Gender",
                components(line).first().cloned().unwrap_or_default(),
            ),
            "NOTE" => fixed("Note", text(line)),
            "CATEGORIES" => fixed("Categories", components(line).join(",")),
            "X-BIGCONTACTS-ID" => fixed("BigContacts ID", text(line)),
            "X-BIGCONTACTS-CUSTOM" => {
                let column = line
                    .params
                    .iter()
                    .find(|p| p.name.get().eq_ignore_ascii_case("X-NAME"))
                    .and_then(|p| p.values.first())
                    .map(|v| v.get().to_string());
                if let Some(column) = column {
                    out.other.entry(column).or_default().push(text(line));
                }
            }
            "EMAIL" => out.emails.push((text(line), kind(false))),
            "TEL" => out.phones.push((
                text(line).trim_start_matches("tel:").to_string(),
                kind(true),
            )),
            "ADR" => {
                let mut parts = components(line);
                parts.resize(ADDRESS_PARTS.len(), String::new());
                parts.truncate(ADDRESS_PARTS.len());
                if parts.iter().any(|p| !p.trim().is_empty()) {
                    out.addresses.push((kind(false), parts));
                }
            }
            "URL" => out.urls.push(text(line)),
            _ => {
                let value = text(line);
                if !value.trim().is_empty() {
                    out.other.entry(name).or_default().push(value);
                }
            }
        }
    }
    out
}

/// The TYPE values of a line: `TYPE=work,voice`, `TYPE=work;TYPE=voice`, and vCard
/// 2.1's bare `;WORK;VOICE`, lower case.
fn types(line: &VcardLine) -> Vec<String> {
    let mut out = Vec::new();
    for param in &line.params {
        let name = param.name.get();
        if param.values.is_empty() {
            out.push(name.to_ascii_lowercase());
        } else if name.eq_ignore_ascii_case("TYPE") {
            for value in &param.values {
                out.extend(
                    value
                        .get()
                        .split(',')
                        .map(|v| v.trim().trim_matches('"').to_ascii_lowercase()),
                );
            }
        }
    }
    out
}

/// A line's types as one word: what tells a phone's or an address's kind apart.
fn one_type(types: &[String], phone: bool) -> String {
    let has = |t: &str| types.iter().any(|x| x == t);
    let word = if phone && has("fax") {
        "fax"
    } else if phone && has("pager") {
        "pager"
    } else if phone && (has("cell") || has("mobile") || has("iphone")) {
        "cell"
    } else if has("work") {
        "work"
    } else if has("home") {
        "home"
    } else if phone && has("main") {
        "main"
    } else if has("other") {
        "other"
    } else {
        // A type of its own (`TYPE=OFFICE`), kept; the generic ones say nothing.
        const GENERIC: &[&str] = &[
            "pref", "voice", "internet", "x400", "text", "msg", "dom", "intl", "postal", "parcel",
        ];
        return types
            .iter()
            .find(|t| !GENERIC.contains(&t.as_str()) && !t.contains('='))
            .cloned()
            .unwrap_or_default();
    };
    word.to_string()
}

/// `_$!<Mobile>!$_` (Apple's built-in label) as `mobile`; a user's own label as written.
fn apple_label(label: &str) -> String {
    match label
        .strip_prefix("_$!<")
        .and_then(|l| l.strip_suffix(">!$_"))
    {
        Some(builtin) => builtin.to_ascii_lowercase(),
        None => label.trim().to_string(),
    }
}

/// A line's whole value as text.
fn text(line: &VcardLine) -> String {
    let value = line.value.decode();
    decoded(line, value)
}

/// A structured value's components (`;`-separated), each decoded.
fn components(line: &VcardLine) -> Vec<String> {
    (0..line.value.component_count())
        .map(|i| {
            let list = line.value.decode_component_list(i);
            let joined = list
                .iter()
                .map(|c| c.as_ref())
                .collect::<Vec<_>>()
                .join(",");
            decoded(line, Cow::Owned(joined))
        })
        .collect()
}

/// Text with vCard 2.1's encoding taken off: quoted-printable octets, then the line's
/// `CHARSET` (UTF-8 when it names none).
fn decoded(line: &VcardLine, text: Cow<'_, str>) -> String {
    let param = |name: &str| {
        line.params
            .iter()
            .find(|p| p.name.get().eq_ignore_ascii_case(name))
            .and_then(|p| p.values.first())
            .map(|v| v.get().to_string())
    };
    let quoted = param("ENCODING").is_some_and(|e| e.eq_ignore_ascii_case("QUOTED-PRINTABLE"))
        || line
            .params
            .iter()
            .any(|p| p.values.is_empty() && p.name.get().eq_ignore_ascii_case("QUOTED-PRINTABLE"));
    if !quoted {
        return text.into_owned();
    }
    let bytes = quoted_printable::decode(text.as_bytes(), quoted_printable::ParseMode::Robust)
        .unwrap_or_else(|_| text.as_bytes().to_vec());
    let encoding = param("CHARSET")
        .and_then(|c| encoding_rs::Encoding::for_label(c.trim().as_bytes()))
        .unwrap_or(encoding_rs::UTF_8);
    encoding.decode_without_bom_handling(&bytes).0.into_owned()
}

/// The line the `index`-th card (0-based) starts on, for messages.
fn begin_line(bytes: &[u8], index: usize) -> usize {
    let text = String::from_utf8_lossy(bytes);
    text.lines()
        .enumerate()
        .filter(|(_, l)| l.trim().eq_ignore_ascii_case("BEGIN:VCARD"))
        .nth(index)
        .map_or(text.lines().count(), |(n, _)| n + 1)
}
