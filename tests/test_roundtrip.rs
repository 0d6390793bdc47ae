//! The mapping runs both ways: row → contact → row is stable for every mapping in
//! `mappings/`, for any cells (property test).
//!
//! "Stable" means that after one trip through the API's shape a row no longer changes: the
//! contact mapped from the written-back row equals the first contact, and writing it back
//! again gives the same cells. (The first trip may normalize: trimmed spaces, `Gold` read as
//! `A` and written back as `Gold`, a date rewritten in the mapping's first format.)

use bcetl::mapping::{load_file, Mapping};
use bcetl::read::Row;
use proptest::prelude::*;

fn mappings() -> Vec<(String, Mapping)> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("mappings");
    let mut found: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    found.sort();
    assert!(
        found.len() >= 4,
        "the mappings folder holds the reference and the samples' mappings"
    );
    found
        .into_iter()
        .map(|path| {
            let file = load_file(&path).unwrap();
            let mapping =
                Mapping::compile(&file, None).unwrap_or_else(|p| panic!("{}: {p}", path.display()));
            (path.display().to_string(), mapping)
        })
        .collect()
}

/// Cells as messy exports have them: blanks, words, emails, dates in several layouts,
/// Excel serial numbers, yes/no words, codes, lists.
fn cell() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        "[ ]{0,2}[A-Za-z0-9][A-Za-z0-9 .'-]{0,10}[ ]{0,2}",
        "[a-z0-9.]{1,8}@[a-z]{1,6}\\.(com|de|io)",
        "[a-zA-Z]{1,6}@[a-z]{1,5}",
        (1u32..13, 1u32..32, 1900u32..2030).prop_map(|(m, d, y)| format!("{m:02}/{d:02}/{y}")),
        (1u32..32, 1u32..13, 1900u32..2030).prop_map(|(d, m, y)| format!("{d:02}.{m:02}.{y}")),
        (1900u32..2030, 1u32..13, 1u32..29).prop_map(|(y, m, d)| format!("{y}-{m:02}-{d:02}")),
        (1u32..60000).prop_map(|n| n.to_string()),
        prop::sample::select(vec!["yes", "No", "1", "0", "x", "maybe", "TRUE"])
            .prop_map(str::to_string),
        prop::sample::select(vec!["Gold", "silver", "A", "Platinum", "m", "Female", "f"])
            .prop_map(str::to_string),
        "[a-z]{1,5}(; ?[a-z]{1,5}){0,3}",
        "[0-9]{10}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn row_to_contact_to_row_is_stable(seed_cells in prop::collection::vec(cell(), 120)) {
        for (name, mapping) in mappings() {
            let width = mapping.columns.len();
            prop_assert!(width <= seed_cells.len(), "{name} has more columns than the test makes");
            let row = Row::new(2, seed_cells[..width].to_vec());
            if mapping.entity != bcetl::mapping::Entity::Contact {
                // An activity or a task: its record and its contact's key.
                let first = mapping.apply(&row);
                let key = first.contact_key().unwrap_or_default().to_string();
                let record = first.fields().cloned().unwrap_or_default();
                let written = mapping.reverse_record(&record, &key);
                let second = mapping.apply(&Row::new(2, written.clone()));
                prop_assert_eq!(first.fields(), second.fields(), "{}: record changed after a round trip of {:?}", name, row.to_vec());
                prop_assert_eq!(first.contact_key(), second.contact_key(), "{}: key changed", name);
                let again = second.fields().cloned().unwrap_or_default();
                prop_assert_eq!(&mapping.reverse_record(&again, &key), &written, "{}: cells changed on a second trip", name);
                continue;
            }
            let first = mapping.apply(&row).contact;
            let written = mapping.reverse(&first);
            let second = mapping.apply(&Row::new(2, written.clone())).contact;
            prop_assert_eq!(&first, &second, "{}: contact changed after a round trip of {:?}", name, row.to_vec());
            prop_assert_eq!(&mapping.reverse(&second), &written, "{}: cells changed on a second trip", name);
        }
    }
}

#[test]
fn a_full_row_comes_back_to_the_same_cells() {
    let (_, mapping) = mappings()
        .into_iter()
        .find(|(n, _)| n.ends_with("crm-export.toml"))
        .unwrap();
    let cells: Vec<String> = mapping
        .columns
        .iter()
        .map(|c| {
            match c.as_str() {
                "First Name" => "Shirley",
                "Last Name" => "McRae",
                "E-mail" => "shirley33@hotmail.com",
                "Work Email" => "mcrae@acme-design.com",
                "Mobile" => "(773) 356-2939",
                "DOB" => "12/30/1934",
                "Gender" => "f",
                "Tier" => "Gold",
                "Unsubscribed" => "yes",
                "Tags" => "vip;golf",
                "Spouse First Name" => "Maggie",
                "Child 2 Name" => "Wanda",
                "Child 2 Relation" => "Daughter",
                "Blood Type" => "0+",
                "Zip" => "02134",
                _ => "",
            }
            .to_string()
        })
        .collect();
    let row = Row::new(2, cells.clone());
    let mapped = mapping.apply(&row);
    assert!(mapped.findings.is_empty(), "{:?}", mapped.findings);
    assert_eq!(
        mapped.contact.family.len(),
        1,
        "a blank family group is not a member"
    );
    let back = mapping.reverse(&mapped.contact);
    let moved: Vec<_> = mapping
        .columns
        .iter()
        .zip(cells.iter().zip(&back))
        .filter(|(_, (a, b))| a != b)
        .collect();
    // Child 2 moves to the first family slot; everything else is where it was.
    assert_eq!(moved.len(), 4, "{moved:?}");
    assert!(
        moved.iter().all(|(col, _)| col.starts_with("Child")),
        "{moved:?}"
    );
}

#[test]
fn an_api_response_reverses_through_the_input_shape() {
    // The guide's sample contact, as the server returns it (office_* lists, nested custom
    // field definitions, dates with offsets).
    let response = serde_json::json!({
        "id": 435, "first_name": "Shirley", "last_name": "McRae", "gender": "f",
        "date_of_birth": "1934-12-30T00:00:00-0300", "abcd": "A", "email_opt_out": false,
        "emails": [{"id": 1007, "email": "shirley33@hotmail.com"}],
        "office_emails": [{"id": 1009, "email": "webmaster@gmail.com"}],
        "phones": [{"id": 1754, "type": "M", "phone": "(773) 356-2939"}],
        "custom_fields": [{"id": 2, "custom_field": {"id": 3, "name": "Blood Type", "sort_order": 0}, "value": "0+"}],
        "spouse": {"id": 309, "first_name": "Maggie", "emails": "spouse@email.com"},
        "family": [{"id": 464}, {"id": 505, "first_name": "Wanda", "relation": "Daughter", "interests": "Buying clothes"}],
        "dropbox": []
    });
    let contact: bcetl::schema::Contact = serde_json::from_value(response).unwrap();
    assert!(
        contact.extra.contains_key("dropbox"),
        "unknown fields are kept"
    );
    let (_, mapping) = mappings()
        .into_iter()
        .find(|(n, _)| n.ends_with("crm-export.toml"))
        .unwrap();
    let cells = mapping.reverse(&contact.to_input());
    let cell = |name: &str| cells[mapping.columns.iter().position(|c| c == name).unwrap()].as_str();
    assert_eq!(
        cell("DOB"),
        "12/30/1934",
        "the calendar day survives the -0300 offset"
    );
    assert_eq!(cell("Work Email"), "webmaster@gmail.com");
    assert_eq!(cell("Tier"), "Gold");
    assert_eq!(cell("Unsubscribed"), "no");
    assert_eq!(cell("Blood Type"), "0+");
    assert_eq!(cell("Spouse First Name"), "Maggie");
    assert_eq!(
        cell("Child 1 Name"),
        "Wanda",
        "the empty family member {{id: 464}} takes no slot"
    );
    assert_eq!(cell("Child 1 Relation"), "Daughter");
    assert_eq!(cell("Child 2 Name"), "");
}
