//! The files users bring from the products they leave, in those products' real layouts
//! (header rows in `tests/data/formats/`, values as messy as the products write them):
//! Google Contacts (both layouts) and Outlook, read through the built-in mappings, checked,
//! imported into the sandbox and exported back through the same mapping with every value.

mod util;

use std::collections::BTreeMap;

use bcetl::read::{open, ReadOptions};
use serde_json::Value;
use util::{mapped_contacts, repo_file, same_contacts, sandbox, Run, TestSandbox, Workdir};

fn header(name: &str) -> Vec<String> {
    let text = std::fs::read_to_string(repo_file(&format!("tests/data/formats/{name}"))).unwrap();
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(text.as_bytes());
    let record = reader.records().next().unwrap().unwrap();
    record.iter().map(str::to_string).collect()
}

/// A file in `header`'s layout: each row given as (column, value) pairs, the rest blank.
fn layout_file(header: &[String], rows: &[Vec<(&str, String)>]) -> Vec<Vec<String>> {
    rows.iter()
        .map(|row| {
            header
                .iter()
                .map(|h| {
                    row.iter()
                        .find(|(c, _)| c == h)
                        .map(|(_, v)| v.clone())
                        .unwrap_or_default()
                })
                .collect()
        })
        .collect()
}

fn csv_text(header: &[String], rows: &[Vec<String>], quote_all: bool, crlf: bool) -> Vec<u8> {
    let mut writer = csv::WriterBuilder::new()
        .quote_style(if quote_all {
            csv::QuoteStyle::Always
        } else {
            csv::QuoteStyle::Necessary
        })
        .terminator(if crlf {
            csv::Terminator::CRLF
        } else {
            csv::Terminator::Any(b'\n')
        })
        .from_writer(Vec::new());
    writer.write_record(header).unwrap();
    for row in rows {
        writer.write_record(row).unwrap();
    }
    writer.into_inner().unwrap()
}

/// Google Contacts' current layout, 32 contacts: primary markers, type words in the label
/// columns, several values in a cell, system groups among the labels, yearless and
/// impossible birthdays, non-Latin names, multi-line addresses; row 33 has a broken email.
fn google_current() -> Vec<u8> {
    let header = header("google-contacts-current-header.csv");
    let names = [
        "Zoë",
        "王小明",
        "Jürgen",
        "Ana María",
        "O'Brien",
        "Åsa",
        "Nguyễn",
        "Ólafur",
    ];
    let labels = [
        "* Mobile", "Work", "Home", "Work Fax", "Main", "Mobile", "Other", "Pager",
    ];
    let mut rows = Vec::new();
    for i in 0..32 {
        let mut row: Vec<(&str, String)> = vec![
            ("First Name", names[i % names.len()].to_string()),
            ("Last Name", format!("Family{i}")),
            ("E-mail 1 - Label", "* Home".into()),
            ("E-mail 1 - Value", format!("g{i}@example.com")),
            ("Phone 1 - Label", labels[i % labels.len()].into()),
            ("Phone 1 - Value", format!("+1 415 555 {:04}", 100 + i)),
            ("Labels", "* myContacts ::: Friends".into()),
        ];
        match i % 8 {
            0 => {
                row.push(("E-mail 1 - Value", String::new()));
                row.retain(|(c, _)| *c != "E-mail 1 - Value");
                row.push((
                    "E-mail 1 - Value",
                    format!("g{i}@example.com ::: g{i}.alt@example.org"),
                ));
                row.push(("Birthday", "--07-04".into()));
            }
            1 => {
                row.push(("Phone 2 - Label", "Home".into()));
                row.push((
                    "Phone 2 - Value",
                    format!("+44 20 7946 {:04} ::: (020) 7946 {:04}", i, i + 1),
                ));
                row.push(("Birthday", "1985-02-30".into()));
            }
            2 => {
                row.push(("Organization Name", "Acme, Inc.".into()));
                row.push(("Organization Title", "CTO".into()));
                row.push(("Organization Department", "R&D".into()));
                row.push(("Name Prefix", "Dr.".into()));
                row.push(("Birthday", "1970-12-30".into()));
            }
            3 => {
                row.push(("Address 1 - Label", "Work".into()));
                row.push((
                    "Address 1 - Formatted",
                    "1 Main St\nSuite 4\nSpringfield, IL 62701".into(),
                ));
                row.push(("Address 1 - Street", "1 Main St\nSuite 4".into()));
                row.push(("Address 1 - City", "Springfield".into()));
                row.push(("Address 1 - Region", "IL".into()));
                row.push(("Address 1 - Postal Code", "62701".into()));
                row.push(("Address 1 - Country", "US".into()));
            }
            4 => {
                row.push(("Notes", "Met at the fair, \"very\" keen;\nfollow up".into()));
                row.push(("Website 1 - Label", "Profile".into()));
                row.push(("Website 1 - Value", "https://example.com/~zoe".into()));
                row.push((
                    "Labels",
                    "* myContacts ::: * starred ::: VIP ::: Golf".into(),
                ));
            }
            6 => {
                row.retain(|(c, _)| *c != "E-mail 1 - Label");
                row.push(("E-mail 1 - Label", "Work".into()));
            }
            5 => {
                row.push(("Nickname", "Bobby".into()));
                row.push(("Event 1 - Label", "Anniversary".into()));
                row.push(("Event 1 - Value", "2001-06-09".into()));
                row.push(("Custom Field 1 - Label", "Legacy ID".into()));
                row.push(("Custom Field 1 - Value", format!("L-{i}")));
            }
            _ => {}
        }
        rows.push(row);
    }
    rows.push(vec![
        ("First Name", "Broken".into()),
        ("Last Name", "Row".into()),
        ("E-mail 1 - Value", "not-an-email".into()),
    ]);
    let mut bytes = b"\xef\xbb\xbf".to_vec();
    bytes.extend(csv_text(
        &header,
        &layout_file(&header, &rows),
        false,
        false,
    ));
    bytes
}

fn bcetl(sb: &TestSandbox, dir: &Workdir, args: &[&str]) -> Run {
    sb.run(dir, args)
}

/// A file's rows by their first e-mail column's first address: column → cell.
fn contacts_cells(path: &std::path::Path) -> BTreeMap<String, BTreeMap<String, String>> {
    let table = open(path, &ReadOptions::default()).unwrap();
    let headers = table.headers.clone();
    let email = headers
        .iter()
        .position(|h| h == "E-mail 1 - Value" || h == "E-mail Address")
        .unwrap();
    table
        .rows
        .map(|row| {
            let row = row.unwrap();
            let key = row
                .cell(email)
                .split([':', ';'])
                .next()
                .unwrap()
                .trim()
                .to_string();
            let cells = headers
                .iter()
                .cloned()
                .zip(row.cells().map(str::to_string))
                .collect();
            (key, cells)
        })
        .collect()
}

/// Imports `file` into a new sandbox through `preset`, exports it back through the same
/// mapping to `back.csv`, and checks that every one of `created` contacts came back with the
/// same values (the file has one broken row, so the import exits 1).
fn imported_and_exported_back(dir: &Workdir, file: &str, preset: &str, created: usize) {
    let sb = sandbox();
    let run = bcetl(
        &sb,
        dir,
        &["import", file, "--mapping", preset, "--rate", "1000"],
    );
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains(&format!("{created} created")),
        "{}",
        run.stdout
    );
    let run = bcetl(&sb, dir, &["export", "back.csv", "--mapping", preset, "-q"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let sent = mapped_contacts(&dir.path(file), preset);
    let back = mapped_contacts(&dir.path("back.csv"), preset);
    assert_eq!(sent.len(), created);
    same_contacts(&sent, &back);
}

/// `bcetl validate FILE --mapping PRESET`, its report in `r.csv`, its bodies in
/// `bodies.jsonl`.
fn validate_with_report(dir: &Workdir, file: &str, preset: &str) -> Run {
    dir.bcetl(&[
        "validate",
        file,
        "--mapping",
        preset,
        "--report",
        "r.csv",
        "--emit",
        "bodies.jsonl",
    ])
}

#[test]
fn google_contacts_are_read_whole_checked_imported_and_exported_back() {
    let dir = Workdir::new();
    dir.write("google.csv", google_current());
    let run = validate_with_report(&dir, "google.csv", "google-contacts");
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains("32 valid") && run.stdout.contains("1 invalid"),
        "{}",
        run.stdout
    );
    let report = dir.read("r.csv");
    assert!(
        report.contains("34,E-mail 1 - Value"),
        "only the broken email is an error: {report}"
    );
    assert!(
        report.contains("--07-04") && report.contains("left blank"),
        "{report}"
    );

    // Field by field, in the bodies an import sends.
    let bodies = dir.read_jsonl("bodies.jsonl");
    assert_eq!(bodies.len(), 32);
    let body = |i: usize| &bodies[i];
    for b in &bodies {
        for phone in b["phones"].as_array().unwrap() {
            let number = phone["phone"].as_str().unwrap();
            assert!(
                number.chars().filter(char::is_ascii_digit).count() >= 5,
                "{b}"
            );
            assert!(["M", "W", "H", "F", "P", "O"].contains(&phone["type"].as_str().unwrap()));
        }
        let tags: Vec<&str> = b["tags"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["name"].as_str().unwrap())
            .collect();
        assert!(
            tags.contains(&"Friends") && !tags.iter().any(|t| t.starts_with('*')),
            "{tags:?}"
        );
    }
    assert_eq!(body(0)["phones"][0]["type"], "M", "* Mobile is a mobile");
    assert_eq!(body(3)["phones"][0]["type"], "F", "Work Fax is a fax");
    assert_eq!(
        body(0)["emails"].as_array().unwrap().len(),
        2,
        "two emails in one cell"
    );
    assert!(
        body(0).get("date_of_birth").is_none(),
        "a yearless birthday is left out"
    );
    assert_eq!(body(1)["phones"].as_array().unwrap().len(), 3);
    assert_eq!(body(1)["phones"][1]["type"], "H");
    assert_eq!(body(2)["business"]["first_name"], "Acme, Inc.");
    assert_eq!(body(2)["title"], "CTO");
    assert_eq!(body(2)["division"], "R&D");
    assert_eq!(body(2)["salutation"], "Dr.");
    assert_eq!(body(2)["date_of_birth"], "1970-12-30");
    assert_eq!(body(3)["addresses"][0]["address"], "1 Main St\nSuite 4");
    assert_eq!(body(3)["addresses"][0]["is_office"], 1, "labelled Work");
    assert!(
        body(0)["emails"][0].get("is_office").is_none(),
        "* Home is not office"
    );
    assert_eq!(body(6)["emails"][0]["is_office"], 1, "labelled Work");
    assert_eq!(body(3)["addresses"][0]["state"], "IL");
    assert_eq!(body(4)["website"], "https://example.com/~zoe");
    assert_eq!(body(5)["nickname"], "Bobby");
    let custom: Vec<&str> = body(5)["custom_fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert!(
        custom.contains(&"Event 1 - Value") && custom.contains(&"Custom Field 1 - Value"),
        "{custom:?}"
    );
    assert!(!custom.contains(&"Address 1 - Formatted") && !custom.contains(&"Photo"));

    // Into the sandbox and back through the same mapping: every value, types included.
    imported_and_exported_back(&dir, "google.csv", "google-contacts", 32);
    // Labels come back as Google writes them, one per BigContacts type (the first the
    // mapping names for it), less the primary marker.
    let exported = contacts_cells(&dir.path("back.csv"));
    let label = |email: &str| exported[email]["Phone 1 - Label"].clone();
    assert_eq!(label("g0@example.com"), "Mobile", "* Mobile");
    assert_eq!(label("g1@example.com"), "Work");
    assert_eq!(
        label("g4@example.com"),
        "Work",
        "Main is a work number in BigContacts"
    );
    assert_eq!(label("g3@example.com"), "Home Fax", "a fax");
}

/// Outlook's 88 columns as desktop Outlook writes them: Windows-1252, CRLF, every field
/// quoted; Title the salutation, Job Title the position, 0/0/00 for no date, Unspecified
/// for no gender, `;` between several e-mail addresses and between categories. Row 32 has
/// a broken email; row 31 a day-first date Outlook would never write.
fn outlook() -> Vec<u8> {
    let header = header("outlook-header.csv");
    let mut rows = Vec::new();
    let first = ["José", "Renée", "Björn", "Chloé", "Zoë", "François"];
    for i in 0..30 {
        let mut row: Vec<(&str, String)> = vec![
            ("First Name", first[i % first.len()].to_string()),
            ("Last Name", format!("Müller{i}")),
            ("Title", ["Mr.", "Dr.", "Ms.", ""][i % 4].into()),
            ("Job Title", "Sales Manager".into()),
            ("Gender", ["Unspecified", "Male", "Female"][i % 3].into()),
            (
                "Birthday",
                if i % 3 == 0 {
                    "0/0/00".to_string()
                } else {
                    format!("{}/{}/19{}", 1 + i % 12, 1 + i % 28, 60 + i)
                },
            ),
            ("Anniversary", "0/0/00".into()),
            ("E-mail Address", format!("o{i}@example.com")),
            ("Mobile Phone", format!("(415) 555-{:04}", 2000 + i)),
            (
                "Business Phone",
                format!("+1 (415) 555-{:04} x{}", 3000 + i, i),
            ),
            ("Company", "Contoso Ltd.".into()),
            ("Department", "Sales".into()),
            ("Categories", "VIP;Golf".into()),
            ("Sensitivity", "Normal".into()),
            ("Priority", "Normal".into()),
            ("Private", "False".into()),
        ];
        match i % 5 {
            0 => {
                row.retain(|(c, _)| *c != "E-mail Address");
                row.push((
                    "E-mail Address",
                    format!("o{i}@example.com;o{i}.home@example.net"),
                ));
                row.push(("Spouse", "Marie".into()));
                row.push(("Children", "Léa;Hugo".into()));
            }
            1 => {
                row.push(("Business Street", "Hauptstraße 5\nHinterhaus".into()));
                row.push(("Business City", "München".into()));
                row.push(("Business Postal Code", "80331".into()));
                row.push(("Business Country", "Germany".into()));
                row.push((
                    "Business Address",
                    "Hauptstraße 5\nHinterhaus\n80331 München".into(),
                ));
            }
            2 => {
                row.push(("Home Street", "12 Rue de la Paix".into()));
                row.push(("Home City", "Paris".into()));
                row.push(("Home Phone", "01 23 45 67 89".into()));
                row.push(("Web Page", "www.example.fr".into()));
                row.push(("Notes", "Prefers e-mail; \"no calls\"".into()));
            }
            _ => {}
        }
        rows.push(row);
    }
    rows.push(vec![
        ("First Name", "Day".into()),
        ("Last Name", "First".into()),
        ("Birthday", "13/1/1987".into()),
        ("E-mail Address", "dayfirst@example.com".into()),
    ]);
    rows.push(vec![
        ("First Name", "Broken".into()),
        ("Last Name", "Mail".into()),
        ("E-mail Address", "broken@".into()),
    ]);
    let text = csv_text(&header, &layout_file(&header, &rows), true, true);
    let (bytes, _, _) = encoding_rs::WINDOWS_1252.encode(std::str::from_utf8(&text).unwrap());
    bytes.into_owned()
}

#[test]
fn outlook_contacts_are_read_whole_checked_imported_and_exported_back() {
    let dir = Workdir::new();
    dir.write("outlook.csv", outlook());
    let run = validate_with_report(&dir, "outlook.csv", "outlook");
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains("31 valid") && run.stdout.contains("1 invalid"),
        "{}",
        run.stdout
    );
    let report = dir.read("r.csv");
    assert!(
        report.contains("33,E-mail Address"),
        "only the broken email is an error: {report}"
    );
    assert!(
        report.contains("13/1/1987"),
        "the impossible date is shown: {report}"
    );
    assert!(
        !report.contains("0/0/00"),
        "Outlook's no-date is no value: {report}"
    );
    assert!(
        !report.contains("Unspecified"),
        "nor is its no-gender: {report}"
    );

    let bodies = dir.read_jsonl("bodies.jsonl");
    let b = &bodies[0];
    assert_eq!(b["first_name"], "José", "Windows-1252 read as such");
    assert_eq!(b["salutation"], "Mr.", "Title is the salutation");
    assert_eq!(b["title"], "Sales Manager", "Job Title is the position");
    assert_eq!(b["division"], "Sales");
    assert!(b.get("gender").is_none() && b.get("date_of_birth").is_none());
    assert_eq!(
        b["emails"].as_array().unwrap().len(),
        2,
        "a;b is two addresses"
    );
    assert_eq!(b["spouse"]["first_name"], "Marie");
    assert_eq!(b["business"]["first_name"], "Contoso Ltd.");
    let tags: Vec<&str> = b["tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(tags, ["VIP", "Golf"]);
    let office: Vec<&Value> = b["phones"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["is_office"] == 1)
        .collect();
    assert_eq!(
        office.len(),
        1,
        "the business phone is an office phone: {b}"
    );
    assert_eq!(bodies[1]["gender"], "m");
    assert_eq!(bodies[1]["date_of_birth"], "1961-02-02");
    assert_eq!(bodies[1]["addresses"][0]["city"], "München");
    assert_eq!(bodies[2]["website"], "www.example.fr");
    let custom: Vec<&str> = b["custom_fields"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert!(!custom.contains(&"Children"), "{custom:?}");
    let children: Vec<(&str, &str)> = b["family"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["first_name"].as_str().unwrap(),
                m["relation"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        children,
        [("Léa", "Child"), ("Hugo", "Child")],
        "Children is the family"
    );
    assert!(
        !custom.contains(&"Sensitivity") && !custom.contains(&"Anniversary"),
        "{custom:?}"
    );

    imported_and_exported_back(&dir, "outlook.csv", "outlook", 31);
    let cells = contacts_cells(&dir.path("back.csv"));
    let row = &cells["o1@example.com"];
    assert_eq!(row["Gender"], "Male");
    assert_eq!(row["Birthday"], "2/2/1961", "in Outlook's own date layout");
    assert_eq!(row["Private"], "False");
}

/// The older Google layout: Given/Family Name, Group Membership, `Phone N - Type`.
#[test]
fn google_contacts_in_the_older_layout_are_read_whole() {
    let header = header("google-contacts-legacy-header.csv");
    let rows = layout_file(
        &header,
        &[
            vec![
                ("Name", "Ada Lovelace".into()),
                ("Given Name", "Ada".into()),
                ("Family Name", "Lovelace".into()),
                ("Gender", "female".into()),
                ("Group Membership", "* My Contacts ::: Math".into()),
                ("E-mail 1 - Type", "* Home".into()),
                ("E-mail 1 - Value", "ada@example.com".into()),
                ("Phone 1 - Type", "Mobile".into()),
                ("Phone 1 - Value", "+44 20 7946 0000".into()),
                ("Phone 2 - Type", "Work Fax".into()),
                ("Phone 2 - Value", "+44 20 7946 0001".into()),
                ("Organization 1 - Name", "Analytical Engines".into()),
                ("IM 1 - Service", "Skype".into()),
                ("IM 1 - Value", "ada.lovelace".into()),
                ("IM 2 - Service", "Jabber".into()),
                ("IM 2 - Value", "ada@jabber.example".into()),
                ("Organization 1 - Title", "Programmer".into()),
            ],
            vec![
                ("Given Name", "Charles".into()),
                ("Family Name", "Babbage".into()),
                ("Gender", "Unspecified".into()),
                ("E-mail 1 - Value", "charles@example.com".into()),
                ("Phone 1 - Type", "Home".into()),
                ("Phone 1 - Value", "Home".into()),
            ],
        ],
    );
    let dir = Workdir::new();
    dir.write("legacy.csv", csv_text(&header, &rows, false, false));
    let run = dir.bcetl(&[
        "validate",
        "legacy.csv",
        "--mapping",
        "google-contacts-legacy",
        "--report",
        "r.csv",
        "--emit",
        "bodies.jsonl",
    ]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    let report = dir.read("r.csv");
    assert!(
        report.contains("not a phone number but a phone's type"),
        "a type word in a phone cell: {report}"
    );
    let bodies = dir.read_jsonl("bodies.jsonl");
    let b = &bodies[0];
    assert_eq!(b["first_name"], "Ada");
    assert_eq!(b["gender"], "f");
    assert_eq!(b["title"], "Programmer");
    assert_eq!(b["business"]["first_name"], "Analytical Engines");
    assert_eq!(b["phones"][1]["type"], "F");
    assert_eq!(b["tags"][0]["name"], "Math");
    assert_eq!(b["im_services"][0]["im_services_type"], "Skype");
    assert_eq!(b["im_services"][0]["name"], "ada.lovelace");
    assert_eq!(b["im_services"].as_array().unwrap().len(), 1);
    assert!(
        report.contains(",Jabber,service,warning,")
            && report.contains("is not one of AIM, AOL, Gtalk, Skype, Yahoo"),
        "a service BigContacts has not is a warning: {report}"
    );
}

#[test]
fn init_recognises_each_product_and_check_warns_of_values_the_rules_refuse() {
    let dir = Workdir::new();
    dir.write("google.csv", google_current());
    dir.write("outlook.csv", outlook());
    for (file, product, preset) in [
        ("google.csv", "Google Contacts", "google-contacts"),
        ("outlook.csv", "Outlook", "outlook"),
    ] {
        let out = format!("{preset}.toml");
        let run = dir.bcetl(&["mapping", "init", file, "-o", &out]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        let toml = dir.read(&out);
        assert!(
            toml.contains(&format!("Recognised as an export of {product}")),
            "{toml}"
        );
        // Blank in every row: left out, named in a comment.
        let blank = if preset == "outlook" {
            "\"Radio Phone\""
        } else {
            "\"Phonetic First Name\""
        };
        let ignore = toml
            .lines()
            .find(|l| l.starts_with("ignore_columns"))
            .unwrap();
        assert!(ignore.contains(blank), "{ignore}");
        assert!(toml.contains("# Blank in every row sampled, so left out:"));
        // The written mapping maps every row as the built-in one does.
        let mine = mapped_contacts(&dir.path(file), &dir.path(&out).display().to_string());
        let builtin = mapped_contacts(&dir.path(file), preset);
        same_contacts(&builtin, &mine);
        // `check` says OK, and warns of the one broken email in the sample.
        let run = dir.bcetl(&["mapping", "check", &out, file]);
        assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
        assert!(run.stdout.contains(": OK against"), "{}", run.stdout);
        assert!(
            run.stdout.contains("1 row(s) fail email_syntax"),
            "{}",
            run.stdout
        );
    }
}

/// Outlook.com's layout: fewer columns than desktop Outlook's, in another order, UTF-8,
/// countries named `… Country/Region`.
#[test]
fn outlook_com_contacts_are_read_by_the_same_mapping() {
    let header: Vec<String> = "First Name,Middle Name,Last Name,Title,Suffix,Nickname,Given Yomi,Surname Yomi,E-mail Address,E-mail 2 Address,E-mail 3 Address,Home Phone,Home Phone 2,Business Phone,Business Phone 2,Mobile Phone,Car Phone,Other Phone,Primary Phone,Pager,Business Fax,Home Fax,Other Fax,Company Main Phone,Callback,Radio Phone,Telex,TTY/TDD Phone,IMAddress,Job Title,Department,Company,Office Location,Manager's Name,Assistant's Name,Assistant's Phone,Company Yomi,Business Street,Business City,Business State,Business Postal Code,Business Country/Region,Home Street,Home City,Home State,Home Postal Code,Home Country/Region,Other Street,Other City,Other State,Other Postal Code,Other Country/Region,Personal Web Page,Spouse,Schools,Hobby,Location,Web Page,Birthday,Anniversary,Notes"
        .split(',')
        .map(str::to_string)
        .collect();
    let rows = layout_file(
        &header,
        &[vec![
            ("First Name", "Zoë".into()),
            ("Last Name", "Dupont".into()),
            ("E-mail Address", "zoe@example.fr".into()),
            ("Mobile Phone", "+33 6 12 34 56 78".into()),
            ("Job Title", "Avocate".into()),
            ("Home City", "Lyon".into()),
            ("Home Country/Region", "France".into()),
            ("Business Country/Region", "Belgique".into()),
            ("Business City", "Bruxelles".into()),
            ("Birthday", "3/14/1990".into()),
            ("Schools", "Sciences Po".into()),
        ]],
    );
    let dir = Workdir::new();
    dir.write("outlook-com.csv", csv_text(&header, &rows, false, false));
    let run = dir.bcetl(&["mapping", "init", "outlook-com.csv", "-o", "m.toml"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(dir
        .read("m.toml")
        .contains("Recognised as an export of Outlook"));
    let run = dir.bcetl(&[
        "validate",
        "outlook-com.csv",
        "--mapping",
        "outlook",
        "--emit",
        "b.jsonl",
    ]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let b = &dir.read_jsonl("b.jsonl")[0];
    assert_eq!(b["title"], "Avocate");
    assert_eq!(b["date_of_birth"], "1990-03-14");
    let countries: Vec<&str> = b["addresses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["country"].as_str().unwrap())
        .collect();
    assert_eq!(countries, ["France", "Belgique"], "{b}");
    assert_eq!(b["addresses"][1]["is_office"], 1);
    assert_eq!(b["custom_fields"][0]["name"], "Schools");
}
