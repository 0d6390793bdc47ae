//! `mapping init`: a first mapping from a file's column names and a sample of its rows.
//!
//! Each column is placed by its name when the name says enough ([`headers`]), and by its
//! values otherwise or as well ([`values`]): the layouts of its dates, a small set of codes
//! (gender, marital status, a rank), yes/no words, emails and phones, lists in a cell.
//! Groups of columns become people: `Spouse …` the spouse, `Child 1 Name`, `Child 2 Name`…
//! the family with `{n}`. Every guess made from values prints what was seen beside it, so a
//! person can check it; what is still unplaced is sent as a custom field by its name.

mod headers;
mod records;
mod values;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

use headers::{fold, guess, quote, Guess};
use values::{DayOrder, Values, GENDER_WORDS, MARITAL_WORDS};

/// Rows `mapping init` reads: enough to see a file's layouts, never the whole of a large one.
pub const SAMPLE_ROWS: usize = 5_000;

/// A line of the mapping and the evidence for it.
struct Line {
    text: String,
    comment: Option<String>,
}

impl Line {
    fn plain(text: String) -> Line {
        Line {
            text,
            comment: None,
        }
    }

    fn seen(text: String, comment: String) -> Line {
        Line {
            text,
            comment: Some(comment),
        }
    }
}

/// The sections being built.
#[derive(Default)]
struct Plan {
    fields: Vec<Line>,
    taken: BTreeSet<&'static str>,
    emails: Vec<Line>,
    phones: Vec<Line>,
    address: Vec<(&'static str, String)>,
    tags: Option<Line>,
    interests: Option<Line>,
    spouse: Vec<Line>,
    spouse_taken: BTreeSet<&'static str>,
    business: Option<String>,
    /// (field, template with {n}, evidence), and the members' count.
    family: Vec<(&'static str, String, Option<String>)>,
    family_count: usize,
    suggestions: Vec<String>,
    /// (`im_services` or `social_media`, service, header).
    services: Vec<(&'static str, &'static str, String)>,
    custom: Vec<(String, Option<String>)>,
}

/// A starting mapping for `headers` and the sampled `rows` (cells by column), as TOML with
/// comments.
pub fn infer_mapping(headers: &[String], rows: &[Vec<String>], source_name: &str) -> String {
    // A product's own export (Google Contacts, Outlook) gets the mapping made for it.
    if let Some(mapping) = super::presets::for_export(headers, rows) {
        return mapping;
    }
    // A call log or a task list maps to activities or tasks.
    if let Some(mapping) = records::infer(headers, rows, source_name) {
        return mapping;
    }
    let column = |i: usize| -> Values<'_> {
        Values(
            rows.iter()
                .filter_map(|r| r.get(i))
                .map(|c| c.trim())
                .filter(|c| !c.is_empty())
                .collect(),
        )
    };
    let hint = language_hint(headers);
    let mut plan = Plan::default();
    let family = family_groups(headers);
    let in_family: BTreeSet<usize> = family
        .iter()
        .flat_map(|g| g.columns.iter().copied())
        .collect();
    plan.family_count = family.first().map_or(0, |g| g.count);
    // A day order the values of one date column proved, for the others that cannot say.
    let mut proved: Option<DayOrder> = None;
    let mut order_of = |values: &Values| -> Option<values::DateGuess> {
        let guess = values.dates(proved.unwrap_or(hint))?;
        proved = proved.or(guess.proved);
        Some(guess)
    };
    for group in &family {
        let values = column(group.columns[0]);
        let (spec, evidence) = match group.field {
            "date_of_birth" => match order_of(&values) {
                Some(d) => (
                    date_spec(&group.template, &d.formats),
                    Some(date_comment(&d)),
                ),
                None => (quote(&group.template), None),
            },
            _ => (quote(&group.template), None),
        };
        plan.family.push((group.field, spec, evidence));
    }

    for (i, header) in headers.iter().enumerate() {
        if in_family.contains(&i) {
            continue;
        }
        let key = fold(header);
        let values = column(i);
        if let Some(rest) = spouse_part(&key) {
            if place_spouse(&mut plan, rest, header, &values, &mut order_of) {
                continue;
            }
        }
        match guess(&key) {
            Some(Guess::Field("date_of_birth")) if !plan.taken.contains("date_of_birth") => {
                plan.taken.insert("date_of_birth");
                match order_of(&values) {
                    Some(d) => plan.fields.push(Line::seen(
                        format!("date_of_birth = {}", date_spec(header, &d.formats)),
                        date_comment(&d),
                    )),
                    None => plan
                        .fields
                        .push(Line::plain(format!("date_of_birth = {}", quote(header)))),
                }
            }
            Some(Guess::Field("gender")) if !plan.taken.contains("gender") => {
                plan.taken.insert("gender");
                plan.fields
                    .push(coded("gender", header, &values, &["m", "f"], GENDER_WORDS));
            }
            Some(Guess::Field(field)) if !plan.taken.contains(field) => {
                plan.taken.insert(field);
                plan.fields
                    .push(Line::plain(format!("{field} = {}", quote(header))));
            }
            Some(Guess::Email(_)) if is_owner(&key) && !plan.taken.contains("assigned_to") => {
                plan.taken.insert("assigned_to");
                plan.fields
                    .push(Line::plain(format!("assigned_to = {}", quote(header))));
            }
            Some(Guess::Email(is_office)) if values.len() == 0 || values.emails().is_some() => {
                plan.emails.push(email_line(header, is_office, None))
            }
            Some(Guess::Phone(kind, is_office)) => plan.phones.push(Line::plain(format!(
                "column = {}\ntype = \"{kind}\"{}",
                quote(header),
                if is_office { "\nis_office = true" } else { "" }
            ))),
            Some(Guess::Address(part)) if !plan.address.iter().any(|(p, _)| *p == part) => {
                plan.address.push((part, header.clone()))
            }
            Some(Guess::Tags) if plan.tags.is_none() => {
                let (delimiter, evidence) = values
                    .list_delimiter()
                    .map_or((";", None), |(d, e)| (d, Some(e)));
                plan.tags = Some(Line {
                    text: format!("column = {}\nsplit = {}", quote(header), quote(delimiter)),
                    comment: evidence,
                });
            }
            Some(Guess::Business) if plan.business.is_none() => {
                plan.business = Some(header.clone())
            }
            _ => by_values(&mut plan, &key, header, &values, &mut order_of),
        }
    }
    write(&plan, source_name, rows.len())
}

/// A column the name did not place: what its values fit, else a custom field.
fn by_values(
    plan: &mut Plan,
    key: &str,
    header: &str,
    values: &Values,
    order_of: &mut impl FnMut(&Values) -> Option<values::DateGuess>,
) {
    let has = |parts: &[&str]| parts.iter().any(|p| key.contains(p));
    let free = |plan: &Plan, field: &str| !plan.taken.contains(field);
    if matches!(
        key,
        "contacttype"
            | "type"
            | "kontakttyp"
            | "typedecontact"
            | "tipodecontacto"
            | "tipodecontato"
    ) && free(plan, "contact_type")
    {
        plan.taken.insert("contact_type");
        plan.fields
            .push(Line::plain(format!("contact_type = {}", quote(header))));
        return;
    }
    if let Some((section, service)) = service(key) {
        plan.services.push((section, service, header.to_string()));
        return;
    }
    if values.len() > 0 {
        if let Some(evidence) = values.emails() {
            if is_owner(key) && free(plan, "assigned_to") {
                plan.taken.insert("assigned_to");
                plan.fields.push(Line::seen(
                    format!("assigned_to = {}", quote(header)),
                    format!("{evidence}: the users it is assigned to"),
                ));
            } else {
                plan.emails.push(email_line(
                    header,
                    has(&["work", "office", "business"]),
                    Some(evidence),
                ));
            }
            return;
        }
        if has(&[
            "maritalstatus",
            "marital",
            "familienstand",
            "etatcivil",
            "estadocivil",
        ]) && free(plan, "marital_status")
        {
            if let Some(values::Codes { map, evidence, .. }) =
                values.codes(&["married", "single"], MARITAL_WORDS)
            {
                plan.taken.insert("marital_status");
                plan.fields.push(Line::seen(
                    format!("marital_status = {}", with_map(header, &map)),
                    evidence,
                ));
                return;
            }
        }
        // A yes/no field the header names; a few other words are errors to report.
        let flag = if has(&[
            "unsubscribed",
            "optout",
            "donotemail",
            "nomail",
            "noemail",
            "abgemeldet",
            "desabonne",
            "desinscrito",
        ]) {
            Some("email_opt_out")
        } else if has(&["private", "privat", "prive", "privado", "confidential"]) {
            Some("is_private")
        } else if key == "marketing" || has(&["marketingconsent", "marketingoptin"]) {
            Some("marketing")
        } else if has(&["isbusiness", "iscompany"]) {
            Some("is_business")
        } else {
            None
        };
        if let Some(field) = flag.filter(|f| free(plan, f)) {
            if let Some(evidence) = values.yes_no(0.8) {
                plan.taken.insert(field);
                plan.fields
                    .push(Line::seen(format!("{field} = {}", quote(header)), evidence));
                return;
            }
        }
        let rank_header = has(&[
            "tier", "rank", "segment", "rating", "class", "klasse", "abc", "grade", "level",
            "priority", "stufe",
        ]);
        if let Some(few) = values.few(6).filter(|_| rank_header && free(plan, "abcd")) {
            let is_code = |v: &str| ["a", "b", "c", "d"].contains(&v.to_lowercase().as_str());
            if few.iter().all(|(v, _)| is_code(v)) {
                plan.taken.insert("abcd");
                plan.fields.push(Line::seen(
                    format!("abcd = {}", quote(header)),
                    values.listing(&few),
                ));
                return;
            }
            {
                // Codes in order of frequency, for a person to put in the rank's order.
                let mut codes = ["A", "B", "C", "D"]
                    .into_iter()
                    .filter(|c| !few.iter().any(|(v, _)| v.eq_ignore_ascii_case(c)));
                let map: Vec<String> = few
                    .iter()
                    .filter(|(v, _)| !is_code(v))
                    .map(|(v, _)| format!("{} = \"{}\"", quote(v), codes.next().unwrap_or("?")))
                    .collect();
                plan.suggestions.push(format!(
                    "{}: a rank? BigContacts ranks contacts A to D (abcd). Put the codes in order and move this line under [fields]:\n# abcd = {{ column = {}, map = {{ {} }} }}",
                    values.listing(&few),
                    quote(header),
                    map.join(", ")
                ));
            }
        }
        if let Some(evidence) = values.phones() {
            plan.phones.push(Line::seen(
                format!("column = {}\ntype = \"O\"", quote(header)),
                evidence,
            ));
            return;
        }
        if let Some(d) = order_of(values).filter(|d| d.share >= 0.9) {
            // A date with no place in the contact: kept as a custom field, as written.
            plan.custom.push((
                header.to_string(),
                Some(format!(
                    "{} (dates: sent as they are written)",
                    &d.evidence[2..]
                )),
            ));
            return;
        }
        let interests = has(&["interest", "hobby", "hobbies", "interessen"]);
        let slot = if interests {
            &mut plan.interests
        } else {
            &mut plan.tags
        };
        if slot.is_none()
            && (interests
                || has(&[
                    "tag",
                    "label",
                    "keyword",
                    "schlagwort",
                    "etiquet",
                    "group",
                    "segments",
                ]))
        {
            if let Some((delimiter, evidence)) = values.list_delimiter() {
                *slot = Some(Line::seen(
                    format!("column = {}\nsplit = {}", quote(header), quote(delimiter)),
                    evidence,
                ));
                return;
            }
        }
    }
    plan.custom.push((header.to_string(), None));
}

/// A field of a fixed set of codes, with a map for the file's other spellings.
fn coded(
    field: &str,
    header: &str,
    values: &Values,
    codes: &'static [&'static str],
    spellings: &[(&str, &str)],
) -> Line {
    match values.codes(codes, spellings) {
        Some(values::Codes {
            map,
            unknown,
            evidence,
        }) => {
            let evidence = if unknown.is_empty() {
                evidence
            } else {
                let unknown: Vec<String> = unknown.iter().map(|v| values::shown(v)).collect();
                format!(
                    "{evidence}: {} fit none of {}, and will be reported",
                    unknown.join(", "),
                    codes.join(", ")
                )
            };
            Line::seen(format!("{field} = {}", with_map(header, &map)), evidence)
        }
        None => Line::seen(
            format!("{field} = {}", quote(header)),
            match values.few(12) {
                Some(few) => format!(
                    "{}: some are not {}; add a map",
                    values.listing(&few),
                    codes.join(", ")
                ),
                None => "many different values: check them".into(),
            },
        ),
    }
}

fn with_map(header: &str, map: &[(String, String)]) -> String {
    if map.is_empty() {
        return quote(header);
    }
    let entries: Vec<String> = map
        .iter()
        .map(|(from, to)| format!("{} = {}", quote(from), quote(to)))
        .collect();
    format!(
        "{{ column = {}, map = {{ {} }} }}",
        quote(header),
        entries.join(", ")
    )
}

fn date_spec(column: &str, formats: &[String]) -> String {
    let formats: Vec<String> = formats.iter().map(|f| quote(f)).collect();
    format!(
        "{{ column = {}, date = [{}] }}",
        quote(column),
        formats.join(", ")
    )
}

fn date_comment(d: &values::DateGuess) -> String {
    match &d.undecided {
        Some(note) => format!("{}; {note}", d.evidence),
        None => d.evidence.clone(),
    }
}

fn email_line(header: &str, is_office: bool, evidence: Option<String>) -> Line {
    Line {
        text: format!(
            "column = {}{}",
            quote(header),
            if is_office { "\nis_office = true" } else { "" }
        ),
        comment: evidence,
    }
}

/// A column naming who the contact is assigned to (its values are user emails).
fn is_owner(key: &str) -> bool {
    [
        "owner",
        "assigned",
        "salesrep",
        "accountmanager",
        "betreuer",
        "zustandig",
        "responsable",
        "proprietaire",
        "vendedor",
    ]
    .iter()
    .any(|p| key.contains(p))
}

/// An IM or social media service a header names.
fn service(key: &str) -> Option<(&'static str, &'static str)> {
    Some(match key {
        "skype" | "skypeid" | "skypename" => ("im_services", "Skype"),
        "aim" => ("im_services", "AIM"),
        "gtalk" | "googletalk" => ("im_services", "Gtalk"),
        "yahoo" | "yahoomessenger" => ("im_services", "Yahoo"),
        "linkedin" | "linkedinprofile" | "linkedinurl" => ("social_media", "LinkedIn"),
        "facebook" | "facebookprofile" => ("social_media", "Facebook"),
        "twitter" | "twitterhandle" | "x" => ("social_media", "Twitter"),
        "youtube" => ("social_media", "YouTube"),
        _ => return None,
    })
}

/// The header's words after a spouse prefix (`Spouse First Name` → `firstname`).
fn spouse_part(key: &str) -> Option<&str> {
    [
        "spouse",
        "partner",
        "ehepartner",
        "ehefrau",
        "ehemann",
        "conjoint",
        "conyuge",
        "conjuge",
        "esposa",
        "esposo",
        "wife",
        "husband",
    ]
    .iter()
    .find_map(|p| key.strip_prefix(p))
    .filter(|rest| !rest.is_empty())
}

fn place_spouse(
    plan: &mut Plan,
    rest: &str,
    header: &str,
    values: &Values,
    order_of: &mut impl FnMut(&Values) -> Option<values::DateGuess>,
) -> bool {
    let field: &'static str = match guess(rest) {
        Some(Guess::Field(
            f @ ("first_name" | "last_name" | "middle_name" | "nickname" | "title"),
        )) => f,
        Some(Guess::Field("date_of_birth")) => "date_of_birth",
        Some(Guess::Email(_)) => "email",
        Some(Guess::Phone(..)) => "phone",
        _ if rest == "name" => "first_name",
        _ => return false,
    };
    if !plan.spouse_taken.insert(field) {
        return false;
    }
    let line = match field {
        "date_of_birth" => match order_of(values) {
            Some(d) => Line::seen(
                format!("date_of_birth = {}", date_spec(header, &d.formats)),
                date_comment(&d),
            ),
            None => Line::plain(format!("date_of_birth = {}", quote(header))),
        },
        f => Line::plain(format!("{f} = {}", quote(header))),
    };
    plan.spouse.push(line);
    true
}

/// One field of a repeated family group: `Child {n} Name` for Child 1 Name, Child 2 Name…
struct FamilyField {
    field: &'static str,
    template: String,
    /// The group's columns, member 1 first.
    columns: Vec<usize>,
    count: usize,
}

/// Repeated groups of columns naming family members (`Child 1 Name`, `Child 1 Relation`,
/// `Kind 2 Vorname`…): the fields every member has, with the members' count.
fn family_groups(headers: &[String]) -> Vec<FamilyField> {
    const MEMBERS: &[&str] = &[
        "child",
        "kid",
        "kind",
        "enfant",
        "hijo",
        "hija",
        "filho",
        "filha",
        "family",
        "familymember",
        "dependent",
        "dependant",
        "member",
        "familienmitglied",
    ];
    // (field, template) → (n → column)
    let mut groups: BTreeMap<(&'static str, String), BTreeMap<usize, usize>> = BTreeMap::new();
    for (i, header) in headers.iter().enumerate() {
        let words: Vec<&str> = header.split_whitespace().collect();
        let Some(at) = words.iter().position(|w| w.parse::<usize>().is_ok()) else {
            // `Child1 Name`: the number stuck to the word.
            continue;
        };
        let before = fold(&words[..at].join(" "));
        if !MEMBERS.contains(&before.as_str()) {
            continue;
        }
        let n: usize = words[at].parse().expect("checked");
        let rest = fold(&words[at + 1..].join(" "));
        let field: &'static str = match rest.as_str() {
            "" | "name" | "firstname" | "vorname" | "prenom" | "nombre" | "nome" => "first_name",
            "lastname" | "nachname" | "nom" | "apellido" | "sobrenome" | "surname" => "last_name",
            "relation" | "relationship" | "beziehung" | "verhaltnis" | "lien" | "parentesco"
            | "relacion" | "type" => "relation",
            "dob" | "birthday" | "birthdate" | "dateofbirth" | "geburtsdatum" | "geburtstag"
            | "datedenaissance" | "fechadenacimiento" => "date_of_birth",
            "email" | "mail" | "emailaddress" => "email",
            _ => continue,
        };
        let mut template_words: Vec<&str> = words.clone();
        template_words[at] = "{n}";
        groups
            .entry((field, template_words.join(" ")))
            .or_default()
            .insert(n, i);
    }
    // Members numbered 1..=count in every field kept; a field missing for some is left out
    // (its columns become custom fields).
    let count = groups
        .values()
        .map(|members| (1..).take_while(|n| members.contains_key(n)).count())
        .max()
        .unwrap_or(0);
    let mut out: Vec<FamilyField> = Vec::new();
    for ((field, template), members) in groups {
        let full = (1..=count).all(|n| members.contains_key(&n));
        if count == 0 || !full || out.iter().any(|f| f.field == field) {
            continue;
        }
        out.push(FamilyField {
            field,
            template,
            columns: (1..=count).map(|n| members[&n]).collect(),
            count,
        });
    }
    if !out.iter().any(|f| f.field == "first_name") {
        return Vec::new();
    }
    out
}

/// Day-first when the headers are in a language that writes dates day first.
fn language_hint(headers: &[String]) -> DayOrder {
    const DAY_FIRST_WORDS: &[&str] = &[
        "vorname",
        "nachname",
        "geburtsdatum",
        "strasse",
        "plz",
        "ort",
        "prenom",
        "nom",
        "datedenaissance",
        "ville",
        "nombre",
        "apellido",
        "fechadenacimiento",
        "ciudad",
        "nome",
        "sobrenome",
        "datadenascimento",
        "cidade",
        "telefon",
        "adresse",
        "anrede",
        "land",
    ];
    let day_first = headers
        .iter()
        .filter(|h| DAY_FIRST_WORDS.contains(&fold(h).as_str()))
        .count();
    if day_first >= 2 {
        DayOrder::DayFirst
    } else {
        DayOrder::MonthFirst
    }
}

fn write(plan: &Plan, source_name: &str, sampled: usize) -> String {
    let mut out = String::new();
    let line = |out: &mut String, l: &Line| {
        if let Some(comment) = &l.comment {
            let _ = writeln!(out, "{comment}");
        }
        let _ = writeln!(out, "{}", l.text);
    };
    let _ = writeln!(
        out,
        "# Mapping generated by `bcetl mapping init` from {source_name}, from its column names"
    );
    let _ = writeln!(
        out,
        "# and its first {} rows. Lines guessed from the values say what was seen above them.",
        values::count(sampled)
    );
    let _ = writeln!(
        out,
        "# Columns that could not be placed are sent as custom fields named after their"
    );
    let _ = writeln!(
        out,
        "# headers (the [custom_fields] section at the end): delete those you do not want."
    );
    let _ = writeln!(
        out,
        "# Check every line, then run: bcetl mapping check THIS_FILE {source_name}"
    );
    let _ = writeln!(
        out,
        "# Every construct is explained in mappings/reference.toml.\n"
    );
    let _ = writeln!(out, "entity = \"contact\"\n");
    let _ = writeln!(out, "[fields]");
    for l in &plan.fields {
        line(&mut out, l);
    }
    for required in ["first_name", "last_name"] {
        if !plan.taken.contains(required) {
            let _ = writeln!(
                out,
                "# {required} = \"?\"   # REQUIRED by BigContacts, but no column looked like it"
            );
        }
    }
    for l in &plan.emails {
        let _ = writeln!(out);
        if let Some(comment) = &l.comment {
            let _ = writeln!(out, "{comment}");
        }
        let _ = writeln!(out, "[[emails]]\n{}", l.text);
    }
    if plan.emails.is_empty() {
        let _ = writeln!(out, "\n# [[emails]]\n# column = \"?\"   # REQUIRED by BigContacts, but no column looked like an email");
    }
    for l in &plan.phones {
        let _ = writeln!(out);
        if let Some(comment) = &l.comment {
            let _ = writeln!(out, "{comment}");
        }
        let _ = writeln!(out, "[[phones]]\n{}", l.text);
    }
    if !plan.address.is_empty() {
        let _ = writeln!(out, "\n[[addresses]]");
        for (part, header) in &plan.address {
            let _ = writeln!(out, "{part} = {}", quote(header));
        }
    }
    for (section, service, header) in &plan.services {
        let _ = writeln!(
            out,
            "\n[[{section}]]\ntype = \"{service}\"\ncolumn = {}",
            quote(header)
        );
    }
    for (section, list) in [("tags", &plan.tags), ("interests", &plan.interests)] {
        if let Some(list) = list {
            let _ = writeln!(out);
            if let Some(comment) = &list.comment {
                let _ = writeln!(out, "{comment}");
            }
            let _ = writeln!(out, "[{section}]\n{}", list.text);
        }
    }
    if !plan.spouse.is_empty() {
        let _ = writeln!(out, "\n[spouse]");
        for l in &plan.spouse {
            line(&mut out, l);
        }
    }
    if let Some(header) = &plan.business {
        let _ = writeln!(
            out,
            "\n# The employer, sent as the contact's business.\n[business]\nfirst_name = {}",
            quote(header)
        );
    }
    if !plan.family.is_empty() {
        let _ = writeln!(
            out,
            "\n# Repeated columns, one family member each: {{n}} is the member's number."
        );
        let _ = writeln!(out, "[family]\ncount = {}", plan.family_count);
        for (field, spec, evidence) in &plan.family {
            if let Some(e) = evidence {
                let _ = writeln!(out, "{e}");
            }
            let _ = writeln!(out, "{field} = {spec}");
        }
    }
    for suggestion in &plan.suggestions {
        let _ = writeln!(out, "\n{suggestion}");
    }
    if !plan.custom.is_empty() {
        let _ = writeln!(
            out,
            "\n# Sent as custom fields by their headers; delete a line to leave the column out."
        );
        let _ = writeln!(out, "[custom_fields]");
        for (header, evidence) in &plan.custom {
            if let Some(e) = evidence {
                let _ = writeln!(out, "# {e}");
            }
            let _ = writeln!(out, "{} = {}", quote(header), quote(header));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(super) fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    /// Fails the test, showing the mapping, unless it compiles against `headers`.
    pub(super) fn compiles(toml: &str, headers: &[String]) {
        let file = crate::mapping::parse_file(toml).unwrap_or_else(|e| panic!("{e}\n{toml}"));
        crate::mapping::Mapping::compile(&file, Some(headers))
            .unwrap_or_else(|p| panic!("{p}\n{toml}"));
    }

    #[test]
    fn guesses_common_spellings_in_several_languages() {
        let headers = strings(&[
            "Vorname",
            "Nachname",
            "E-Mail",
            "Handy",
            "PLZ",
            "Ort",
            "Geburtsdatum",
            "Lieblingsfarbe",
        ]);
        let rows = vec![strings(&[
            "Ada",
            "Lovelace",
            "ada@example.com",
            "0171 1234567",
            "10115",
            "Berlin",
            "05.04.1985",
            "blau",
        ])];
        let toml = infer_mapping(&headers, &rows, "kunden.csv");
        assert!(toml.contains("first_name = \"Vorname\""), "{toml}");
        assert!(toml.contains("last_name = \"Nachname\""), "{toml}");
        assert!(toml.contains("[[emails]]\ncolumn = \"E-Mail\""), "{toml}");
        assert!(toml.contains("column = \"Handy\"\ntype = \"M\""), "{toml}");
        assert!(toml.contains("postal_code = \"PLZ\""), "{toml}");
        assert!(
            toml.contains("date_of_birth = { column = \"Geburtsdatum\", date = [\"%d.%m.%Y\"] }"),
            "{toml}"
        );
        assert!(
            toml.contains("\"Lieblingsfarbe\" = \"Lieblingsfarbe\""),
            "{toml}"
        );
        compiles(&toml, &headers);
    }

    #[test]
    fn german_family_groups_and_day_first_dates() {
        let headers = strings(&[
            "Vorname",
            "Nachname",
            "E-Mail",
            "Kind 1 Vorname",
            "Kind 1 Geburtsdatum",
            "Kind 2 Vorname",
            "Kind 2 Geburtsdatum",
            "Geburtsdatum",
        ]);
        let rows = vec![strings(&[
            "Anna",
            "Schmidt",
            "anna@example.de",
            "Lea",
            "03.04.2010",
            "Tim",
            "05.06.2012",
            "01/02/1980",
        ])];
        let toml = infer_mapping(&headers, &rows, "kunden.csv");
        assert!(toml.contains("[family]\ncount = 2"), "{toml}");
        assert!(toml.contains("first_name = \"Kind {n} Vorname\""), "{toml}");
        assert!(
            toml.contains(
                "date_of_birth = { column = \"Kind {n} Geburtsdatum\", date = [\"%d.%m.%Y\"] }"
            ),
            "{toml}"
        );
        // No day above 12: German headers read it day first.
        assert!(
            toml.contains("date_of_birth = { column = \"Geburtsdatum\", date = [\"%d/%m/%Y\"] }"),
            "{toml}"
        );
        compiles(&toml, &headers);
    }

    #[test]
    fn people_owners_ranks_and_values_without_telling_headers() {
        let headers = strings(&[
            "First Name",
            "Last Name",
            "Contact",
            "Owner",
            "Segment",
            "Sex",
            "Birthday",
            "Spouse First",
            "Spouse Last",
            "Child 1 Name",
            "Child 1 Relation",
            "Child 2 Name",
            "Child 2 Relation",
            "Unsubscribed",
            "Interests",
            "Signed Up",
        ]);
        let mut rows = Vec::new();
        for i in 0..40 {
            rows.push(strings(&[
                "Ada",
                "Lovelace",
                &format!("ada{i}@example.com"),
                "rep@crm.example",
                ["Gold", "Silver", "Bronze"][i % 3],
                ["männlich", "weiblich"][i % 2],
                ["12/31/1985", "1985-12-31", "31.12.1985"][i % 3],
                "Bob",
                "Lovelace",
                "Kid",
                "son",
                "",
                "",
                ["yes", "no"][i % 2],
                "golf; chess",
                "2024-01-05",
            ]));
        }
        let toml = infer_mapping(&headers, &rows, "crm.csv");
        assert!(toml.contains("[[emails]]\ncolumn = \"Contact\""), "{toml}");
        assert!(toml.contains("assigned_to = \"Owner\""), "{toml}");
        assert!(
            toml.contains("# abcd = { column = \"Segment\", map = {"),
            "{toml}"
        );
        assert!(toml.contains("gender = { column = \"Sex\", map = { \"männlich\" = \"m\", \"weiblich\" = \"f\" } }"), "{toml}");
        assert!(
            toml.contains("# 40 values: 33% %m/%d/%Y, 33% %d.%m.%Y, 33% %Y-%m-%d")
                || toml.contains("# 40 values: 35%"),
            "{toml}"
        );
        assert!(
            toml.contains("[spouse]\nfirst_name = \"Spouse First\"\nlast_name = \"Spouse Last\""),
            "{toml}"
        );
        assert!(toml.contains("[family]\ncount = 2"), "{toml}");
        assert!(toml.contains("first_name = \"Child {n} Name\""), "{toml}");
        assert!(toml.contains("relation = \"Child {n} Relation\""), "{toml}");
        assert!(toml.contains("email_opt_out = \"Unsubscribed\""), "{toml}");
        assert!(
            toml.contains("[interests]\ncolumn = \"Interests\"\nsplit = \";\""),
            "{toml}"
        );
        assert!(toml.contains("\"Signed Up\" = \"Signed Up\""), "{toml}");
        compiles(&toml, &headers);
    }
}
