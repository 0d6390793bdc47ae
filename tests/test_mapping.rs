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
        "date_of_birth = { column = \"Date de naissance\"",
        "[business]\nfirst_name = \"Société\"",
        "# \"Couleur préférée\" = \"Couleur préférée\"",
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
        run.stdout.contains("# \"Col1\" = \"Col1\""),
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
