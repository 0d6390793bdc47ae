//! A new sandbox's accounts, and `--seed N` realistic contacts, the same every time.

use anyhow::Result;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rusqlite::Connection;
use serde_json::{json, Map, Value};

use super::contacts::{self, Scope};
use super::store::{self, ClientRow, Store};

/// The OAuth client every sandbox has, for `bcetl login` rehearsals.
pub const CLIENT_ID: &str = "sandbox-client";
pub const CLIENT_SECRET: &str = "sandbox-secret";
pub const REDIRECT_URI: &str = "http://127.0.0.1:8719/callback";

/// The seeded users: the guide's sample team (customer 1) and a second customer whose data
/// customer 1 must never see.
pub const USERS: &[(i64, i64, &str, &str, &str, &str, &str)] = &[
    (
        1,
        1,
        "robert.hammond@live.com.ar",
        "Robert",
        "Hammond",
        "91AF7C",
        "admin",
    ),
    (
        2,
        1,
        "carl.olmann@gmail.com",
        "Carl",
        "Olmann",
        "88FA6A",
        "restricted",
    ),
    (
        3,
        1,
        "paul.farnan@gmail.com",
        "Paul",
        "Farnan",
        "AC98BC",
        "admin",
    ),
    (
        4,
        2,
        "owner@other-customer.test",
        "Olga",
        "Other",
        "123456",
        "admin",
    ),
];

/// Creates the accounts, OAuth client and categories of a new database (idempotent).
pub fn accounts(store: &mut Store) -> Result<()> {
    store.transaction(|conn| {
        for (id, customer, email, first, last, color, role) in USERS {
            let last_login = "2013-11-06T19:04:46+0000";
            store::insert_user(
                conn, *id, *customer, email, first, last, color, role, last_login,
            )?;
        }
        let client = ClientRow {
            secret: CLIENT_SECRET.to_string(),
            redirect_uri: REDIRECT_URI.to_string(),
            user_id: 1,
        };
        store::insert_client(conn, CLIENT_ID, &client)?;
        // Categories are predefined: values outside these are ignored by the server.
        let categories = [
            ("Industry", "Software"),
            ("Industry", "Retail"),
            ("Industry", "Health"),
            ("Region", "North"),
            ("Region", "South"),
        ];
        store::seed_categories(conn, 1, &categories)
    })
}

const FIRST: &[&str] = &[
    "Shirley", "Robert", "Maggie", "John", "Wanda", "Ana", "José", "Zoë", "Lee", "Priya", "Kofi",
    "Ingrid", "Mateo", "Yuki", "Omar",
];
const LAST: &[&str] = &[
    "McRae", "Hammond", "Simpson", "Lima", "Chen", "Müller", "O'Neil", "Nakamura", "Okafor",
    "Svensson", "García", "Rossi",
];
const CITIES: &[(&str, &str, &str)] = &[
    ("Atlanta", "GA", "USA"),
    ("Duluth", "GA", "USA"),
    ("Austin", "TX", "USA"),
    ("Berlin", "", "Germany"),
    ("São Paulo", "SP", "Brazil"),
];

/// Adds contacts until customer 1 has `n`, deterministically: contact k is the same in every
/// sandbox seeded this way.
pub fn contacts(store: &mut Store, n: usize) -> Result<usize> {
    let have = store::count_contacts(store.conn(), 1)?;
    if have >= n {
        return Ok(0);
    }
    let users = store::users(store.conn(), 1)?;
    // Batches keep each transaction (and its memory) small when seeding a million.
    for start in (have..n).step_by(10_000) {
        let end = (start + 10_000).min(n);
        store.transaction(|conn| {
            for k in start..end {
                let mut rng = ChaCha8Rng::seed_from_u64(k as u64);
                let owner = &users[k % users.len()];
                // Spread over 2025, one contact every 30 seconds, so date filters have work.
                let created = chrono::DateTime::from_timestamp(1_735_689_600 + 30 * k as i64, 0)
                    .expect("in range")
                    .format("%Y-%m-%dT%H:%M:%S+0000")
                    .to_string();
                let body = contact_body(&mut rng, k, owner.email.as_str());
                let scope = Scope {
                    conn,
                    caller: owner,
                    now: &created,
                };
                let id = store::next_id(conn, "contact")?;
                if let Ok(doc) = contacts::create(&scope, id, &body)? {
                    store::put_contact(conn, 1, &doc)?;
                }
            }
            Ok(())
        })?;
    }
    Ok(n - have)
}

fn contact_body(rng: &mut ChaCha8Rng, k: usize, owner: &str) -> Map<String, Value> {
    let first = *FIRST.choose(rng).expect("names");
    let last = *LAST.choose(rng).expect("names");
    let (city, state, country) = *CITIES.choose(rng).expect("cities");
    let slug = format!("{}.{}", ascii(first), ascii(last)).to_lowercase();
    let mut body = json!({
        "first_name": first,
        "last_name": last,
        "gender": if rng.random::<bool>() { "f" } else { "m" },
        "date_of_birth": format!("{}-{:02}-{:02}", rng.random_range(1940..2005), rng.random_range(1..13), rng.random_range(1..29)),
        "abcd": (["A", "B", "C", "D"][rng.random_range(0..4)]),
        "emails": [
            {"email": format!("{slug}.{k}@example.com")},
            {"email": format!("{slug}.{k}@work.example.com"), "is_office": 1}
        ],
        "phones": [
            {"phone": format!("({}) {}-{:04}", rng.random_range(200..999), rng.random_range(200..999), rng.random_range(0..10000)), "type": "M"},
            {"phone": format!("({}) {}-{:04}", rng.random_range(200..999), rng.random_range(200..999), rng.random_range(0..10000)), "type": "W", "is_office": 1}
        ],
        "addresses": [{"address": format!("{} Peachtree Road", rng.random_range(1..9999)), "city": city, "state": state, "country": country, "postal_code": format!("{:05}", rng.random_range(1000..99999))}],
        "custom_fields": [{"name": "Blood Type", "value": (["0+", "A+", "B-", "AB+"][rng.random_range(0..4)])}, {"name": "Account Number", "value": format!("AC-{k:07}")}],
        "categories": [{"name": "Industry", "value": (["Software", "Retail", "Health"][rng.random_range(0..3)])}],
        "tags": [{"name": "seeded"}],
        "assigned_to": {"email": owner},
        "contact_type": {"name": (["Client", "Prospect", "Partner"][rng.random_range(0..3)])},
        "is_private": rng.random_range(0..20) == 0,
    });
    if rng.random_range(0..10) < 4 {
        body["spouse"] =
            json!({"first_name": *FIRST.choose(rng).expect("names"), "last_name": last});
    }
    if rng.random_range(0..10) < 3 {
        body["family"] = json!([{"first_name": *FIRST.choose(rng).expect("names"), "last_name": last, "relation": "Son"}]);
    }
    body.as_object().cloned().expect("an object")
}

fn ascii(name: &str) -> String {
    name.chars()
        .map(|c| match c {
            'é' => 'e',
            'ë' => 'e',
            'ü' => 'u',
            'ã' => 'a',
            'í' => 'i',
            other => other,
        })
        .filter(char::is_ascii_alphabetic)
        .collect()
}

/// Issues a fresh access token for every seeded user, for the startup banner and tests.
pub fn fresh_tokens(app: &super::app::App, conn: &Connection) -> Result<Vec<super::SeededUser>> {
    let mut out = Vec::new();
    for (id, customer, email, _, _, _, role) in USERS {
        let token = super::oauth::issue(app, conn, *id, CLIENT_ID, false)?;
        out.push(super::SeededUser {
            id: *id,
            customer_id: *customer,
            email: email.to_string(),
            role: role.to_string(),
            token: token["access_token"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
        });
    }
    Ok(out)
}
