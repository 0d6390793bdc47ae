//! vCard in and out: cards as iPhone (3.0, grouped properties with Apple labels), Android
//! (2.1, quoted-printable UTF-8), Outlook (2.1, quoted-printable Windows-1252) and a 4.0
//! card write them, read through the built-in `vcard` mapping, imported, exported as
//! `.vcf` and read back equal.

mod util;

use util::{mapped_contacts, sandbox, Run, TestSandbox, Workdir};

/// Cards built from RFC 2426/6350, the vCard 2.1 spec, and what the products write.
fn address_book() -> String {
    [
        // iPhone / macOS Contacts: 3.0, folded lines, grouped TEL with an Apple label,
        // an escaped line break in the street, a photo.
        "BEGIN:VCARD\r\nVERSION:3.0\r\nPRODID:-//Apple Inc.//iPhone OS 17.4//EN\r\n",
        "N:Appleseed;Johnny;Q.;Mr.;Jr.\r\nFN:Mr. Johnny Q. Appleseed Jr.\r\n",
        "ORG:Apple Inc.;Engineering\r\nTITLE:Engineer\r\n",
        "EMAIL;type=INTERNET;type=HOME;type=pref:johnny@example.com\r\n",
        "EMAIL;type=INTERNET;type=WORK:j.appleseed@apple.example\r\n",
        "TEL;type=CELL;type=VOICE;type=pref:+1 (408) 555-0101\r\n",
        "item1.TEL:+1 408 555 0102\r\nitem1.X-ABLabel:_$!<Mobile>!$_\r\n",
        "item2.TEL:+1 408 555 0103\r\nitem2.X-ABLabel:Office\r\n",
        "TEL;type=WORK;type=FAX:+1 408 555 0104\r\n",
        "item3.ADR;type=HOME;type=pref:;;1 Infinite Loop\\nBuilding 2;Cupertino;CA;95014;United\r\n",
        "  States\r\nitem3.X-ABADR:us\r\n",
        "BDAY;value=date:1985-03-02\r\nNOTE:Met at WWDC\\, 2023.\\nLikes apples.\r\n",
        "CATEGORIES:Friends,VIP\r\nURL:https://example.com/johnny\r\n",
        "X-SOCIALPROFILE;type=twitter:https://twitter.com/johnny\r\n",
        "PHOTO;ENCODING=b;TYPE=JPEG:/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAgGBgcGBQgHBwcJCQgKDBQNDAsLDBkSEx\r\n",
        " 8UHRofHh0aHBwgJC4nICIsIxwcKDcpLDAxNDQ0Hyc5PTgyPC4zNDL/\r\n",
        "END:VCARD\r\n",
        // Android: 2.1, quoted-printable UTF-8, bare types, a soft line break.
        "BEGIN:VCARD\r\nVERSION:2.1\r\n",
        "N;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:Garc=C3=ADa;Jos=C3=A9;;;\r\n",
        "FN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:Jos=C3=A9 Garc=C3=ADa\r\n",
        "TEL;CELL:+34 612 345 678\r\nTEL;HOME:+34 91 123 4567\r\n",
        "EMAIL;HOME:jose@example.es\r\n",
        "NOTE;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:Vive en Sevilla, cerca de la catedral;=\r\n",
        "=C2=A1muy amable!\r\n",
        "END:VCARD\r\n",
        // Outlook: 2.1, Windows-1252 quoted-printable.
        "BEGIN:VCARD\r\nVERSION:2.1\r\n",
        "N;LANGUAGE=de;CHARSET=Windows-1252;ENCODING=QUOTED-PRINTABLE:M=FCller;J=FCrgen\r\n",
        "FN;CHARSET=Windows-1252;ENCODING=QUOTED-PRINTABLE:J=FCrgen M=FCller\r\n",
        "ORG:Contoso GmbH;Vertrieb\r\nTITLE:Leiter\r\n",
        "TEL;WORK;VOICE:+49 89 1234 5678\r\nTEL;WORK;FAX:+49 89 1234 5679\r\n",
        "ADR;WORK;CHARSET=Windows-1252;ENCODING=QUOTED-PRINTABLE:;;Hauptstra=DFe 5;M=FCnchen;;80331;Deutschland\r\n",
        "EMAIL;PREF;INTERNET:juergen.mueller@contoso.example\r\n",
        "X-MS-OL-DEFAULT-POSTAL-ADDRESS:2\r\n",
        "REV:20240301T101010Z\r\n",
        "END:VCARD\r\n",
        // vCard 4.0: a tel: URI, a yearless birthday, a gender.
        "BEGIN:VCARD\r\nVERSION:4.0\r\nFN:Ada Lovelace\r\nN:Lovelace;Ada;;;\r\n",
        "TEL;VALUE=uri;TYPE=\"cell,voice\":tel:+44-20-7946-0000\r\n",
        "EMAIL:ada@example.org\r\nBDAY:--1210\r\nGENDER:F\r\n",
        "END:VCARD\r\n",
    ]
    .concat()
}

fn bcetl(sb: &TestSandbox, dir: &Workdir, args: &[&str]) -> Run {
    sb.run(dir, args)
}

#[test]
fn cards_from_each_product_are_read_field_by_field() {
    let dir = Workdir::new();
    dir.write("book.vcf", address_book());
    let run = dir.bcetl(&[
        "validate",
        "book.vcf",
        "--mapping",
        "vcard",
        "--report",
        "r.csv",
        "--emit",
        "b.jsonl",
    ]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("4 rows, 4 valid"), "{}", run.stdout);
    let b = dir.read_jsonl("b.jsonl");
    // iPhone
    assert_eq!(b[0]["first_name"], "Johnny");
    assert_eq!(b[0]["middle_name"], "Q.");
    assert_eq!(b[0]["salutation"], "Mr.");
    assert_eq!(b[0]["title"], "Engineer");
    assert_eq!(b[0]["division"], "Engineering");
    assert_eq!(b[0]["business"]["first_name"], "Apple Inc.");
    assert_eq!(b[0]["date_of_birth"], "1985-03-02");
    assert_eq!(b[0]["comments"], "Met at WWDC, 2023.\nLikes apples.");
    assert_eq!(b[0]["website"], "https://example.com/johnny");
    let phones: Vec<(String, String)> = b[0]["phones"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["phone"].as_str().unwrap().to_string(),
                p["type"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        phones,
        [
            ("+1 (408) 555-0101".to_string(), "M".to_string()),
            ("+1 408 555 0102".into(), "M".into()),
            ("+1 408 555 0103".into(), "W".into()), // Apple label "Office"
            ("+1 408 555 0104".into(), "F".into()),
        ]
    );
    assert_eq!(
        b[0]["addresses"][0]["address"],
        "1 Infinite Loop\nBuilding 2"
    );
    assert_eq!(
        b[0]["addresses"][0]["country"], "United States",
        "a folded line"
    );
    let tags: Vec<&str> = b[0]["tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(tags, ["Friends", "VIP"]);
    let custom: Vec<&str> = b[0]["custom_fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert!(
        custom.contains(&"X-SOCIALPROFILE") && custom.contains(&"Name Suffix"),
        "{custom:?}"
    );
    assert!(!custom.iter().any(|c| c.contains("PHOTO")), "{custom:?}");
    // Android
    assert_eq!(b[1]["first_name"], "José");
    assert_eq!(b[1]["last_name"], "García");
    assert_eq!(
        b[1]["comments"],
        "Vive en Sevilla, cerca de la catedral;¡muy amable!"
    );
    assert_eq!(b[1]["phones"][0]["type"], "M");
    assert_eq!(b[1]["phones"][1]["type"], "H");
    // Outlook
    assert_eq!(b[2]["first_name"], "Jürgen");
    assert_eq!(b[2]["last_name"], "Müller");
    assert_eq!(b[2]["phones"][0]["type"], "W");
    assert_eq!(b[2]["phones"][1]["type"], "F");
    assert_eq!(b[2]["addresses"][0]["address"], "Hauptstraße 5");
    assert_eq!(b[2]["addresses"][0]["city"], "München");
    assert_eq!(
        b[2]["emails"][0]["email"],
        "juergen.mueller@contoso.example"
    );
    assert_eq!(b[2]["addresses"][0]["is_office"], 1, "ADR;WORK");
    assert_eq!(b[0]["emails"][1]["is_office"], 1, "EMAIL;type=WORK");
    assert!(b[0]["emails"][0].get("is_office").is_none());
    // 4.0
    assert_eq!(b[3]["phones"][0]["phone"], "+44-20-7946-0000");
    assert_eq!(b[3]["phones"][0]["type"], "M");
    assert_eq!(b[3]["gender"], "f");
    assert!(
        b[3].get("date_of_birth").is_none(),
        "a yearless birthday is left out"
    );
    assert!(
        dir.read("r.csv").contains("--1210"),
        "with a warning on its cell"
    );
}

#[test]
fn cards_imported_and_exported_as_vcf_read_back_equal() {
    let dir = Workdir::new();
    dir.write("book.vcf", address_book());
    let sb = sandbox();
    let run = bcetl(
        &sb,
        &dir,
        &["import", "book.vcf", "--mapping", "vcard", "--rate", "1000"],
    );
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("4 created"), "{}", run.stdout);
    let run = bcetl(&sb, &dir, &["export", "back.vcf", "-q"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let text = dir.read("back.vcf");
    assert_eq!(
        text.matches("BEGIN:VCARD\r\nVERSION:3.0\r\n").count(),
        4,
        "{text}"
    );
    assert!(text.contains("TEL;TYPE=CELL:+34 612 345 678"), "{text}");
    let sent = mapped_contacts(&dir.path("book.vcf"), "vcard");
    let back = mapped_contacts(&dir.path("back.vcf"), "vcard");
    assert_eq!(sent.len(), 4);
    for (key, contact) in &sent {
        assert_eq!(
            format!("{contact:#?}"),
            format!(
                "{:#?}",
                back.get(key).unwrap_or_else(|| panic!("{key} came back"))
            ),
            "{key}"
        );
    }
    // And the export of the export is the same file.
    let run = bcetl(&sb, &dir, &["export", "again.vcf", "-q"]);
    assert_eq!(run.code, 0);
    assert_eq!(dir.read("again.vcf"), text);
}

#[test]
fn a_broken_card_names_its_number_and_line() {
    let dir = Workdir::new();
    let mut book = address_book();
    book.push_str("BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Never Ends\r\n");
    dir.write("broken.vcf", book);
    let run = dir.bcetl(&["validate", "broken.vcf", "--mapping", "vcard"]);
    assert_eq!(run.code, 2, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stderr.contains("broken.vcf: card 5 (from line"),
        "{}",
        run.stderr
    );
    dir.write("empty.vcf", "\r\n");
    let run = dir.bcetl(&["validate", "empty.vcf", "--mapping", "vcard"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("empty.vcf"), "{}", run.stderr);
}

#[test]
fn init_recognises_a_vcf_and_writes_the_vcard_mapping() {
    let dir = Workdir::new();
    dir.write("book.vcf", address_book());
    let run = dir.bcetl(&["mapping", "init", "book.vcf", "-o", "m.toml"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let toml = dir.read("m.toml");
    assert!(toml.contains("Recognised as an export of vCard"), "{toml}");
    let run = dir.bcetl(&["validate", "book.vcf", "--mapping", "m.toml"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
}
