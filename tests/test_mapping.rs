//! `bcetl mapping init` and `bcetl mapping check`.

mod util;

use util::{repo_file, Workdir};

#[test]
fn init_writes_a_mapping_that_checks_and_validates() {
    let wd = Workdir::new();
    wd.write("in.csv", "Prénom,Nom,Courriel,Portable,Code postal,Ville,Date de naissance,Société,Couleur préférée\nAda,Lovelace,ada@example.com,0612345678,75001,Paris,12/10/1985,Acme,bleu\n");
    let run = wd.bcetl(&["mapping", "init", "in.csv", "-o", "m.toml"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let toml = wd.read("m.toml");
    for expected in [
        "first_name = \"Prénom\"",
        "last_name = \"Nom\"",
        "column = \"Courriel\"",
        "column = \"Portable\"\ntype = \"M\"",
        "postal_code = \"Code postal\"",
        "city = \"Ville\"",
        // French headers: a date no day above 12 decides is read day first.
        "date_of_birth = { column = \"Date de naissance\", date = [\"%d/%m/%Y\"] }",
        "both %m/%d/%Y and %d/%m/%Y fit every value",
        "[business]\nfirst_name = \"Société\"",
        "[custom_fields]\n\"Couleur préférée\" = \"Couleur préférée\"",
    ] {
        assert!(toml.contains(expected), "missing {expected:?} in:\n{toml}");
    }
    let run = wd.bcetl(&["mapping", "check", "m.toml", "in.csv"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let run = wd.bcetl(&["validate", "in.csv", "-m", "m.toml"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
}

#[test]
fn init_leaves_an_existing_mapping_alone_unless_forced() {
    let wd = Workdir::new();
    wd.write("in.csv", "First,Last,Email\nAda,Lovelace,ada@example.com\n");
    wd.write("m.toml", "# hand-edited for weeks\n");
    let run = wd.bcetl(&["mapping", "init", "in.csv", "-o", "m.toml"]);
    run.fails_with(2, "m.toml: already exists; give --force to replace it");
    assert_eq!(wd.read("m.toml"), "# hand-edited for weeks\n");
    let run = wd.bcetl(&["mapping", "init", "in.csv", "-o", "in.csv", "--force"]);
    assert_eq!(run.code, 2, "not even with --force over the input");
    assert!(wd.read("in.csv").starts_with("First,Last"));
    let run = wd.bcetl(&["mapping", "init", "in.csv", "-o", "m.toml", "--force"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(wd.read("m.toml").contains("first_name = \"First\""));
}

#[test]
fn init_marks_what_it_could_not_place() {
    let wd = Workdir::new();
    wd.write("in.csv", "Col1,Col2\na,b\n");
    let run = wd.bcetl(&["mapping", "init", "in.csv"]);
    assert_eq!(run.code, 0);
    assert!(
        run.stdout.contains("# first_name = \"?\"   # REQUIRED"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("no column looked like an email"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("[custom_fields]\n\"Col1\" = \"Col1\"")
            && run
                .stdout
                .contains("sent as custom fields named after their"),
        "{}",
        run.stdout
    );
}

#[test]
fn check_explains_every_problem_at_once() {
    let wd = Workdir::new();
    wd.write("in.csv", "First Name,Last Name,Email,Phone\na,b,c@d.io,1\n");
    wd.write(
        "m.toml",
        r#"
[fields]
first_nme = "First Name"
last_name = { column = "Last Nmae", case = "shouting" }
date_of_birth = { column = "First Name", date = "%Q" }
relation = "First Name"
emails = "Email"

[[emails]]
column = "Email"
[[emails]]
column = "Email"

[[phones]]
column = "Phone"
type = "Cell"

[custom_fields]
"Blood Type" = "Email"
"blood type" = "Email"

[[im_services]]
type = "ICQ"
column = "Email"
"#,
    );
    let run = wd.bcetl(&["mapping", "check", "m.toml", "in.csv"]);
    assert_eq!(run.code, 2);
    for expected in [
        "[fields] first_nme: unknown target field \"first_nme\"; did you mean \"first_name\"?",
        "[fields] last_name: column \"Last Nmae\" is not in the file; did you mean \"Last Name\"?",
        "[fields] last_name: case \"shouting\"",
        "[fields] date_of_birth: date format \"%Q\" is not a valid strftime format",
        "[fields] relation: \"relation\" belongs to a spouse, business or family member",
        "[fields] emails: emails is a section of its own",
        "[[emails]]: duplicate target: column \"Email\" is mapped twice",
        "[[phones]] #1: type \"Cell\" is not one of W, H, M, O, F, P",
        "duplicate target: custom field",
        "[[im_services]] #1: type \"ICQ\" is not one of AIM, AOL, Gtalk, Skype, Yahoo",
    ] {
        assert!(
            run.stderr.contains(expected),
            "missing {expected:?} in:\n{}",
            run.stderr
        );
    }
    assert!(run.stderr.contains("10 problem(s)"), "{}", run.stderr);
}

#[test]
fn check_without_a_file_and_on_every_bundled_mapping() {
    let wd = Workdir::new();
    for mapping in ["reference", "crm-export", "kunden-windows", "leads"] {
        let run = wd.bcetl(&[
            "mapping",
            "check",
            &repo_file(&format!("mappings/{mapping}.toml")),
        ]);
        assert_eq!(run.code, 0, "{mapping}: {}", run.stderr);
        assert!(run.stdout.contains(": OK"), "{}", run.stdout);
    }
    let run = wd.bcetl(&[
        "mapping",
        "check",
        &repo_file("mappings/reference.toml"),
        &repo_file("samples/crm-export.csv"),
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
}

#[test]
fn family_groups_need_their_number() {
    let wd = Workdir::new();
    wd.write(
        "m.toml",
        "[family]\ncount = 2\nfirst_name = \"Child Name\"\n",
    );
    let run = wd.bcetl(&["mapping", "check", "m.toml"]);
    run.fails_with(2, "write the member's number as {n}");
}

#[test]
fn help_explains_with_examples() {
    let wd = Workdir::new();
    for args in [
        vec!["--help"],
        vec!["validate", "--help"],
        vec!["mapping", "init", "--help"],
        vec!["mapping", "check", "--help"],
    ] {
        let run = wd.bcetl(&args);
        assert_eq!(run.code, 0);
        assert!(run.stdout.contains("Example"), "{args:?}: {}", run.stdout);
    }
    let run = wd.bcetl(&["validate", "--help"]);
    assert!(run.stdout.contains("Exit status: 0"), "{}", run.stdout);
}

/// A CRM export of the shape real ones have (29 columns: dates in three layouts, spouse
/// and child groups, owners, segments, tags, yes/no words, a column of emails named
/// "Contact"), with bad cells put in on purpose; returns the file and the rows made bad,
/// numbered as a spreadsheet counts them.
fn messy_export(rows: usize) -> (String, std::collections::BTreeSet<usize>) {
    let header = "First Name,Last Name,Contact,Work Email,Mobile,Home Phone,Street,City,State,Zip,Country,Birthday,Gender,Segment,Owner,Tags,Spouse First,Spouse Last,Spouse Birthday,Child 1 Name,Child 1 Relation,Child 2 Name,Child 2 Relation,Unsubscribed,Company,Job Title,Notes,Legacy ID,Signup Date";
    let mut text = format!("{header}\n");
    let mut bad = std::collections::BTreeSet::new();
    let firsts = [
        "Ada", "Grace", "Alan", "Linus", "Margaret", "Dennis", "Barbara", "Ken",
    ];
    let lasts = [
        "Lovelace", "Hopper", "Turing", "Torvalds", "Hamilton", "Ritchie", "Liskov", "Thompson",
    ];
    for i in 0..rows {
        let row = i + 2;
        let (d, m, y) = (i % 28 + 1, i % 12 + 1, 1940 + i % 60);
        let mut birthday = match i % 100 {
            0..=60 => format!("{m:02}/{d:02}/{y}"),
            61..=82 => format!("{y}-{m:02}-{d:02}"),
            _ => format!("{d:02}.{m:02}.{y}"),
        };
        let mut email = format!(
            "{}.{}{i}@example.com",
            firsts[i % 8].to_lowercase(),
            lasts[i % 8].to_lowercase()
        );
        let mut last = lasts[(i / 8) % 8].to_string();
        let mut gender = ["m", "f", "Male", "Female"][i % 4].to_string();
        if i % 37 == 5 {
            email = format!("broken{i}@nowhere");
            bad.insert(row);
        }
        if i % 53 == 7 {
            birthday = "02/30/1985".into();
            bad.insert(row);
        }
        if i % 71 == 9 {
            last.clear();
            bad.insert(row);
        }
        if i % 89 == 11 {
            gender = "?".into();
            bad.insert(row);
        }
        let (child2, relation2) = if i % 3 == 0 { ("Sam", "son") } else { ("", "") };
        text.push_str(&format!(
            "{},{last},{email},work{i}@acme.example,+1 404 555 {:04},(404) 555-{:04},{i} Main St,Atlanta,GA,{:05},USA,{birthday},{gender},{},{},{},{},{last},{:02}/{:02}/{},Kim,daughter,{child2},{relation2},{},Acme,Engineer,\"note, with a comma\",LEG-{i},2024-{:02}-{:02}\n",
            firsts[i % 8],
            i % 10_000,
            (i * 7) % 10_000,
            i % 100_000,
            ["Gold", "Silver", "Bronze"][i % 3],
            ["rep1@crm.example", "rep2@crm.example"][i % 2],
            ["vip; golf", "newsletter", "vip"][i % 3],
            ["Pat", "Chris", ""][i % 3],
            m,
            (i * 5) % 28 + 1,
            1945 + i % 50,
            ["yes", "no", "No", "Y"][i % 4],
            m,
            d,
        ));
    }
    (text, bad)
}

#[test]
fn init_then_validate_finds_only_the_errors_the_data_holds() {
    let wd = Workdir::new();
    let (text, bad) = messy_export(1_000);
    wd.write("export.csv", &text);
    let run = wd.bcetl(&["mapping", "init", "export.csv", "-o", "m.toml"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let toml = wd.read("m.toml");
    for expected in [
        // Three layouts, most frequent first, with what was seen.
        "# 1,000 values: 60% %m/%d/%Y, 22% %Y-%m-%d, 17% %d.%m.%Y, 19 not dates",
        "date_of_birth = { column = \"Birthday\", date = [\"%m/%d/%Y\", \"%Y-%m-%d\", \"%d.%m.%Y\"] }",
        "[[emails]]\ncolumn = \"Contact\"",
        "assigned_to = \"Owner\"",
        "# abcd = { column = \"Segment\", map = {",
        "email_opt_out = \"Unsubscribed\"",
        "[spouse]\nfirst_name = \"Spouse First\"\nlast_name = \"Spouse Last\"",
        "[family]\ncount = 2",
        "first_name = \"Child {n} Name\"",
        "relation = \"Child {n} Relation\"",
        "[tags]\ncolumn = \"Tags\"\nsplit = \";\"",
        "\"Legacy ID\" = \"Legacy ID\"",
    ] {
        assert!(toml.contains(expected), "missing {expected:?} in:\n{toml}");
    }
    let run = wd.bcetl(&["mapping", "check", "m.toml", "export.csv"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let run = wd.bcetl(&[
        "validate",
        "export.csv",
        "-m",
        "m.toml",
        "--report",
        "r.csv",
    ]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    let mut reader = csv::Reader::from_path(wd.path("r.csv")).unwrap();
    let headers = reader.headers().unwrap().clone();
    let at = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let (row_at, severity_at) = (at("row"), at("severity"));
    let invalid: std::collections::BTreeSet<usize> = reader
        .records()
        .map(Result::unwrap)
        .filter(|r| &r[severity_at] == "error")
        .map(|r| r[row_at].parse().unwrap())
        .collect();
    assert_eq!(
        invalid, bad,
        "the rows the generator made bad, and no other"
    );
}

#[test]
fn init_reads_a_sample_not_the_whole_file() {
    // Rows past the sample hold a date layout the sample does not: a read of the whole file
    // would propose it too.
    let wd = Workdir::new();
    let mut text = String::from("First,Last,Email,Birthday\n");
    for i in 0..7_000 {
        let day = i % 28 + 1;
        let birthday = if i < 6_000 {
            format!("12/{day:02}/1985")
        } else {
            format!("{day:02}.12.1985")
        };
        text.push_str(&format!("F{i},L{i},p{i}@example.com,{birthday}\n"));
    }
    wd.write("big.csv", &text);
    let run = wd.bcetl(&["mapping", "init", "big.csv"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains("its first 5,000 rows"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("date_of_birth = { column = \"Birthday\", date = [\"%m/%d/%Y\"] }"),
        "{}",
        run.stdout
    );
}

/// The rows a validate run finds invalid, from its CSV report.
fn invalid_rows(wd: &Workdir, args: &[&str]) -> std::collections::BTreeSet<usize> {
    let mut all = args.to_vec();
    all.extend(["--report", "r.csv"]);
    let run = wd.bcetl(&all);
    assert!(
        run.code == 0 || run.code == 1,
        "{}{}",
        run.stdout,
        run.stderr
    );
    let mut reader = csv::Reader::from_path(wd.path("r.csv")).unwrap();
    let headers = reader.headers().unwrap().clone();
    let at = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let (row_at, severity_at) = (at("row"), at("severity"));
    reader
        .records()
        .map(Result::unwrap)
        .filter(|r| &r[severity_at] == "error")
        .map(|r| r[row_at].parse().unwrap())
        .collect()
}

#[test]
fn on_every_sample_init_finds_the_errors_the_curated_mapping_finds() {
    let wd = Workdir::new();
    for (sample, mapping, read) in [
        ("crm-export.csv", "crm-export.toml", &[][..]),
        ("kunden-windows.csv", "kunden-windows.toml", &[][..]),
        (
            "leads.xlsx",
            "leads.toml",
            &["--sheet", "Leads", "--header-row", "3"][..],
        ),
        ("call-log.csv", "call-log.toml", &[][..]),
        ("task-list.csv", "task-list.toml", &[][..]),
    ] {
        let input = repo_file(&format!("samples/{sample}"));
        let mut init = vec!["mapping", "init", input.as_str(), "-o", "m.toml", "--force"];
        init.extend(read);
        let run = wd.bcetl(&init);
        assert_eq!(run.code, 0, "{sample}: {}", run.stderr);
        let curated = repo_file(&format!("mappings/{mapping}"));
        let guessed = invalid_rows(&wd, &["validate", &input, "-m", "m.toml"]);
        let by_hand = invalid_rows(&wd, &["validate", &input, "-m", &curated]);
        assert!(!by_hand.is_empty(), "{sample} has bad rows on purpose");
        assert_eq!(
            guessed,
            by_hand,
            "{sample}: the same invalid rows as {mapping}\n{}",
            wd.read("m.toml")
        );
    }
}

mod language {
    //! The constructs product exports need, forward and in reverse.
    use bcetl::finding::Severity;
    use bcetl::mapping::{parse_file, Mapping};
    use bcetl::read::Row;

    fn compile(toml: &str, headers: &[&str]) -> Mapping {
        let file = parse_file(toml).unwrap();
        let headers: Vec<String> = headers.iter().map(|h| h.to_string()).collect();
        Mapping::compile(&file, Some(&headers)).unwrap_or_else(|p| panic!("{p}"))
    }

    fn row(cells: &[&str]) -> Row {
        Row::new(2, cells.iter().map(|c| c.to_string()).collect())
    }

    #[test]
    fn a_phone_type_from_a_column_several_values_a_cell_and_back() {
        let m = compile(
            r#"
missing_columns = "blank"
[fields]
first_name = "First"
[[emails]]
column = "Mail"
split = " ::: "
[[phones]]
column = "Phone 1 - Value"
split = " ::: "
type = { column = "Phone 1 - Label", map = { Mobile = "M", Work = "W", Main = "W", "Work Fax" = "F" }, default = "O" }
[[phones]]
column = "Phone 2 - Value"
type = { column = "Phone 2 - Label", map = { Mobile = "M" }, default = "O" }
"#,
            &["First", "Mail", "Phone 1 - Label", "Phone 1 - Value"],
        );
        // Phone 2's columns are not in the file: blank, and written by an export.
        assert_eq!(m.columns.len(), 6);
        let mapped = m.apply(&row(&[
            "Ada",
            "a@x.io ::: B@Y.io",
            "* Main",
            "+1 555 0100 ::: +1 555 0101",
        ]));
        assert!(mapped.findings.is_empty(), "{:?}", mapped.findings);
        let c = &mapped.contact;
        assert_eq!(c.emails.len(), 2);
        assert_eq!(c.emails[1].email, "b@y.io");
        assert_eq!(c.phones.len(), 2);
        assert!(c
            .phones
            .iter()
            .all(|p| p.phone_type.as_deref() == Some("W")));
        // Back: the label the map names first for W, the numbers joined again.
        let cells = m.reverse(c);
        assert_eq!(cells[2], "Work");
        assert_eq!(cells[3], "+1 555 0100 ::: +1 555 0101");
        assert_eq!(cells[1], "a@x.io ::: b@y.io");
        // An unknown label is the default type; a blank label too.
        let other = m.apply(&row(&["Ada", "", "Satellite", "+1 555 0199"]));
        assert_eq!(other.contact.phones[0].phone_type.as_deref(), Some("O"));
        // A bad value in a split cell is a finding on its own.
        let bad = m.apply(&row(&["Ada", "a@x.io ::: nope", "", "Mobile"]));
        let rules: Vec<&str> = bad.findings.iter().map(|f| f.rule).collect();
        assert_eq!(rules, ["email_syntax", "phone"], "{:?}", bad.findings);
        assert!(bad.findings[1]
            .message
            .contains("not a phone number but a phone's type"));
    }

    #[test]
    fn blank_placeholders_warnings_instead_of_rejections_and_date_order_doubts() {
        let m = compile(
            r#"
[fields]
first_name = "First"
gender = { column = "Gender", map = { Unspecified = "" } }
date_of_birth = { column = "Birthday", date = ["%m/%d/%Y", "%d/%m/%Y"], on_invalid = "blank" }
"#,
            &["First", "Gender", "Birthday"],
        );
        let ok = m.apply(&row(&["Ada", "Unspecified", "12/10/1985"]));
        assert!(ok.findings.is_empty(), "{:?}", ok.findings);
        assert!(ok.contact.scalars.iter().all(|(f, _)| f.name() != "gender"));

        let yearless = m.apply(&row(&["Ada", "", "--07-04"]));
        assert_eq!(yearless.findings.len(), 1);
        assert_eq!(yearless.findings[0].severity, Severity::Warning);
        assert!(yearless.findings[0].message.contains("left blank"));
        assert!(yearless
            .contact
            .scalars
            .iter()
            .all(|(f, _)| f.name() != "date_of_birth"));

        // 13/1/1987 fits only the second, day-first format: read, with a warning.
        let doubt = m.apply(&row(&["Ada", "", "13/1/1987"]));
        assert_eq!(doubt.findings.len(), 1, "{:?}", doubt.findings);
        assert_eq!(doubt.findings[0].severity, Severity::Warning);
        assert_eq!(doubt.findings[0].rule, "date_order");
        assert!(doubt
            .contact
            .scalars
            .iter()
            .any(|(f, v)| f.name() == "date_of_birth" && v.to_cell() == "1987-01-13"));

        let file =
            parse_file("[fields]\nfirst_name = { column = \"First\", on_invalid = \"ignore\" }\n")
                .unwrap();
        let problems = Mapping::compile(&file, Some(&["First".to_string()])).unwrap_err();
        assert!(problems
            .to_string()
            .contains("on_invalid \"ignore\": expected \"reject\" or \"blank\""));
    }
}

#[test]
fn check_lists_every_unknown_key_at_once() {
    let wd = Workdir::new();
    wd.write(
        "m.toml",
        r#"
unmaped_columns = "custom_fields"
[source]
delimeter = ";"
[fields]
first_name = { colum = "First" }
last_name = "Last"
[[phones]]
column = "Mobile"
tpye = "M"
[[addresses]]
city = { column = "City", trimm = false }
"#,
    );
    let run = wd.bcetl(&["mapping", "check", "m.toml"]);
    assert_eq!(run.code, 2, "{}{}", run.stdout, run.stderr);
    for expected in [
        "5 unknown key(s)",
        "the file: unknown key \"unmaped_columns\"; did you mean \"unmapped_columns\"?",
        "[source]: unknown key \"delimeter\"; did you mean \"delimiter\"?",
        "[fields] first_name: unknown key \"colum\"; did you mean \"column\"?",
        "[[phones]] #1: unknown key \"tpye\"; did you mean \"type\"?",
        "[[addresses]] #1 city: unknown key \"trimm\"; did you mean \"trim\"?",
    ] {
        assert!(
            run.stderr.contains(expected),
            "{expected} in {}",
            run.stderr
        );
    }
}
