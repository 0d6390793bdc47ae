//! vCard output (`.vcf`, vCard 3.0, the version every phone imports): a row of the vCard
//! column set ([`crate::read::vcard`]) as one card, so that what an export writes the
//! reader gives back cell for cell.
//!
//! Columns outside that set become properties: named like one (`IMPP`, `ROLE`,
//! `X-SOCIALPROFILE`) as themselves, anything else (a custom field such as `Blood Type`)
//! as `X-BIGCONTACTS-CUSTOM;X-NAME=Blood Type`, which the reader names its column after.

use std::borrow::Cow;

use vcard::param::VcardParam;
use vcard::prop::VcardProp;
use vcard::value::adr::VcardAdr;
use vcard::value::n::VcardN;
use vcard::value::org::VcardOrg;
use vcard::value::text::VcardTextList;
use vcard::value::VcardValue;
use vcard::vcard::Vcard;
use vcard::version::VcardVersion;

use crate::read::vcard::{ADDRESS_PARTS, CUSTOM_PROPERTY, FIXED_COLUMNS};

/// One card from a row's cells (blank cells write nothing).
pub fn card(columns: &[String], cells: &[&str]) -> String {
    let get = |name: &str| -> &str {
        columns
            .iter()
            .position(|c| c == name)
            .and_then(|i| cells.get(i))
            .map_or("", |c| c.trim())
    };
    let mut props = Vec::new();
    let text = |name: &str, value: &str| {
        VcardProp::text(Cow::Owned(name.to_string()), Vec::new(), value.to_string())
    };
    let list = |value: &str| -> Vec<Cow<'static, str>> {
        if value.is_empty() {
            Vec::new()
        } else {
            vec![Cow::Owned(value.to_string())]
        }
    };
    // FN is required: the name, else the company, else the first email.
    let names = [
        get("Name Prefix"),
        get("Given Name"),
        get("Additional Names"),
        get("Family Name"),
        get("Name Suffix"),
    ];
    let formatted = match get("Formatted Name") {
        "" => {
            let joined: Vec<&str> = names.iter().copied().filter(|n| !n.is_empty()).collect();
            match joined.join(" ") {
                j if !j.is_empty() => j,
                _ if !get("Organization").is_empty() => get("Organization").to_string(),
                _ => get("Email 1").to_string(),
            }
        }
        given => given.to_string(),
    };
    props.push(text("FN", &formatted));
    props.push(VcardProp {
        group: None,
        name: "N".into(),
        params: Vec::new(),
        value: VcardValue::N(VcardN {
            family: list(names[3]),
            given: list(names[1]),
            additional: list(names[2]),
            prefixes: list(names[0]),
            suffixes: list(names[4]),
        }),
    });
    for (column, property) in [
        ("Nickname", "NICKNAME"),
        ("Title", "TITLE"),
        ("Birthday", "BDAY"),
        ("Anniversary", "X-ANNIVERSARY"),
        ("Gender", "X-GENDER"),
        ("Note", "NOTE"),
        ("BigContacts ID", "X-BIGCONTACTS-ID"),
    ] {
        if !get(column).is_empty() {
            props.push(text(property, get(column)));
        }
    }
    if !get("Organization").is_empty() || !get("Department").is_empty() {
        let mut units = list(get("Organization"));
        if units.is_empty() {
            units.push(Cow::Borrowed(""));
        }
        units.extend(list(get("Department")));
        props.push(VcardProp {
            group: None,
            name: "ORG".into(),
            params: Vec::new(),
            value: VcardValue::Org(VcardOrg(units)),
        });
    }
    if !get("Categories").is_empty() {
        let values = get("Categories")
            .split(',')
            .map(|c| Cow::Owned(c.trim().to_string()))
            .collect();
        props.push(VcardProp {
            group: None,
            name: "CATEGORIES".into(),
            params: Vec::new(),
            value: VcardValue::TextList(VcardTextList(values)),
        });
    }
    let typed = |kind: &str, extra: Option<&str>| -> Vec<VcardParam<'static>> {
        let mut types: Vec<Cow<'static, str>> = extra
            .map(|e| Cow::Owned(e.to_string()))
            .into_iter()
            .collect();
        if !kind.is_empty() {
            types.push(Cow::Owned(kind.to_ascii_uppercase()));
        }
        if types.is_empty() {
            Vec::new()
        } else {
            vec![VcardParam::Type(types)]
        }
    };
    for (n, column) in columns.iter().enumerate() {
        let cell = cells.get(n).map_or("", |c| c.trim());
        if cell.is_empty() {
            continue;
        }
        let number = |prefix: &str| {
            column
                .strip_prefix(prefix)
                .and_then(|rest| rest.split(' ').next())
                .and_then(|n| n.parse::<usize>().ok())
        };
        if let Some(k) = number("Email ").filter(|k| *column == format!("Email {k}")) {
            let kind = get(&format!("Email {k} Type"));
            props.push(VcardProp::text(
                "EMAIL",
                typed(kind, Some("INTERNET")),
                cell.to_string(),
            ));
        } else if let Some(k) = number("Phone ").filter(|k| *column == format!("Phone {k}")) {
            let kind = get(&format!("Phone {k} Type"));
            props.push(VcardProp::text("TEL", typed(kind, None), cell.to_string()));
        } else if number("URL ").is_some_and(|k| *column == format!("URL {k}")) {
            props.push(text("URL", cell));
        } else if is_other(column) {
            for value in cell.split(" ::: ") {
                props.push(text(column, value));
            }
        } else if !is_known(column) {
            props.push(VcardProp::text(
                CUSTOM_PROPERTY,
                vec![VcardParam::Unknown {
                    name: Cow::Borrowed("X-NAME"),
                    values: vec![Cow::Owned(column.clone())],
                }],
                cell.to_string(),
            ));
        }
    }
    // Addresses, by their numbers.
    for k in 1.. {
        let part = |p: &str| get(&format!("Address {k} {p}")).to_string();
        if !columns
            .iter()
            .any(|c| c.starts_with(&format!("Address {k} ")))
        {
            break;
        }
        let parts: Vec<String> = ADDRESS_PARTS.iter().map(|p| part(p)).collect();
        if parts.iter().all(String::is_empty) {
            continue;
        }
        let one = |i: usize| list(&parts[i]);
        props.push(VcardProp {
            group: None,
            name: "ADR".into(),
            params: typed(&part("Type"), None),
            value: VcardValue::Adr(VcardAdr {
                po_box: one(0),
                extended: one(1),
                street: one(2),
                locality: one(3),
                region: one(4),
                postal_code: one(5),
                country: one(6),
                ..VcardAdr::default()
            }),
        });
    }
    Vcard {
        version: VcardVersion::V3_0,
        properties: props,
    }
    .to_string()
}

/// A column of the vCard column set, written by its own rule above.
fn is_known(column: &str) -> bool {
    FIXED_COLUMNS.contains(&column)
        || ["Email ", "Phone ", "Address ", "URL "].iter().any(|p| {
            column
                .strip_prefix(p)
                .is_some_and(|r| r.starts_with(|c: char| c.is_ascii_digit()))
        })
}

/// A column named like a vCard property of its own (`IMPP`, `X-SOCIALPROFILE`).
fn is_other(column: &str) -> bool {
    !is_known(column)
        && !column.is_empty()
        && column
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-')
}
