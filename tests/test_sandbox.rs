//! The sandbox over real HTTP: every endpoint, the documented quirks, filters, pagination
//! edges, permissions and fault flags.

mod util;

use serde_json::{json, Value};
use util::{sandbox, sandbox_with};

const JOHN: &str =
    r#"{ "first_name": "John", "last_name": "Doe", "emails": [{"email": "john@example.com"}] }"#;

fn create(sb: &util::TestSandbox, token: &str, body: Value) -> Value {
    let (status, reply) = sb.call("POST", "/api/contacts.json", token, Some(body));
    assert_eq!(status, 200, "{reply}");
    reply["payload"].clone()
}

#[test]
fn users_listing_has_the_documented_envelope_and_only_this_customer() {
    let sb = sandbox();
    let (status, body) = sb.call("GET", "/api/users.json", &sb.admin(), None);
    assert_eq!(status, 200);
    assert_eq!(body["status"], "success");
    assert_eq!(body["message"], "Users listing");
    assert_eq!(body["page"], 1);
    assert_eq!(body["totalcount"], 3);
    assert_eq!(body["current_user_id"], 1);
    let emails: Vec<&str> = body["payload"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["email"].as_str().unwrap())
        .collect();
    assert_eq!(
        emails,
        [
            "robert.hammond@live.com.ar",
            "carl.olmann@gmail.com",
            "paul.farnan@gmail.com"
        ]
    );
    for key in [
        "id",
        "first_name",
        "last_name",
        "short_name",
        "color",
        "last_login",
    ] {
        assert!(body["payload"][0].get(key).is_some(), "{key}");
    }
}

#[test]
fn authentication_by_header_or_query_and_its_failures() {
    let sb = sandbox();
    let token = sb.admin();
    let by_query = sb
        .http
        .get(sb.url(&format!("/api/users.json?access_token={token}")))
        .send()
        .unwrap();
    assert_eq!(
        by_query.status(),
        200,
        "the documented access_token parameter"
    );
    let none = sb.http.get(sb.url("/api/users.json")).send().unwrap();
    assert_eq!(none.status(), 401);
    let (status, body) = sb.call("GET", "/api/users.json", "not-a-token", None);
    assert_eq!((status, body["status"].as_str()), (401, Some("error")));
    // Expire every access token (a control endpoint outside /api).
    sb.http
        .post(sb.url("/_sandbox/expire-tokens"))
        .send()
        .unwrap();
    let (status, body) = sb.call("GET", "/api/users.json", &token, None);
    assert_eq!(status, 401);
    assert!(
        body["message"].as_str().unwrap().contains("expired"),
        "{body}"
    );
}

#[test]
fn create_the_documented_example_and_read_it_back_in_json_and_xml() {
    let sb = sandbox();
    let token = sb.admin();
    let made = create(&sb, &token, serde_json::from_str(JOHN).unwrap());
    let id = made["id"].as_i64().unwrap();
    assert_eq!(made["emails"][0]["email"], "john@example.com");
    assert_eq!(
        made["assigned_to"]["id"], 1,
        "no assignee given: the caller"
    );
    // GET /api/contact/{id} with and without the format suffix.
    for path in [
        format!("/api/contact/{id}.json"),
        format!("/api/contact/{id}"),
    ] {
        let (status, body) = sb.call("GET", &path, &token, None);
        assert_eq!(status, 200, "{path}");
        assert_eq!(body["payload"]["first_name"], "John");
        assert_eq!(
            (body["page"].as_i64(), body["totalcount"].as_i64()),
            (Some(1), Some(1))
        );
    }
    let xml = sb
        .http
        .get(sb.url(&format!("/api/contact/{id}.xml")))
        .bearer_auth(&token)
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(xml.starts_with("<?xml"), "{xml}");
    assert!(
        xml.contains("<status><![CDATA[success]]></status>"),
        "{xml}"
    );
    assert!(
        xml.contains("<first_name><![CDATA[John]]></first_name>"),
        "{xml}"
    );
}

#[test]
fn required_fields_are_enforced() {
    let sb = sandbox();
    let token = sb.admin();
    for (body, expect) in [
        (
            json!({"last_name": "Doe", "emails": [{"email": "a@b.io"}]}),
            "first_name",
        ),
        (
            json!({"first_name": "John", "emails": [{"email": "a@b.io"}]}),
            "last_name",
        ),
        (json!({"first_name": "John", "last_name": "Doe"}), "email"),
        (
            json!({"first_name": "John", "last_name": "Doe", "emails": [{"email": ""}]}),
            "email",
        ),
        (
            json!({"first_name": "John", "last_name": "Doe", "emails": [{"email": "a@b.io"}], "gender": "x"}),
            "gender",
        ),
        (
            json!({"first_name": "John", "last_name": "Doe", "emails": [{"email": "a@b.io"}], "date_of_birth": "12/30/1934"}),
            "date_of_birth",
        ),
        (
            json!({"first_name": "John", "last_name": "Doe", "emails": [{"email": "a@b.io"}], "phones": [{"phone": "1", "type": "Z"}]}),
            "phone type",
        ),
    ] {
        let (status, reply) = sb.call("POST", "/api/contacts.json", &token, Some(body));
        assert_eq!(status, 400, "{reply}");
        assert_eq!(reply["status"], "error");
        assert!(
            reply["message"].as_str().unwrap().contains(expect),
            "{expect}: {reply}"
        );
    }
    let (status, _) = sb.call("POST", "/api/contacts.json", &token, None);
    assert_eq!(status, 400, "no body");
    let (_, list) = sb.call("GET", "/api/contacts.json", &token, None);
    assert_eq!(list["payload"], json!([]), "nothing was stored");
}

#[test]
fn input_shape_becomes_the_output_shape() {
    let sb = sandbox();
    let token = sb.admin();
    let made = create(
        &sb,
        &token,
        json!({
            "id": 999999,
            "first_name": "Shirley", "last_name": "McRae", "date_of_birth": "1934-12-30",
            "emails": [{"email": "shirley33@hotmail.com"}, {"email": "webmaster@gmail.com", "is_office": 1}],
            "phones": [{"phone": "(555) 555-5555", "is_office": 0, "type": "H"}, {"phone": "(666) 666-6666", "is_office": 1, "type": "W"}],
            "addresses": [{"address": "4805 Pine Needle Dr", "city": "Duluth", "is_office": true}],
            "im_services": [{"im_services_type": "Skype", "name": "shirley"}],
            "social_media": [{"social_media_type": "LinkedIn", "name": "smcrae"}],
            "custom_fields": [{"name": "blood type", "value": "0+"}],
            "categories": [{"name": "Industry", "value": "Software"}, {"name": "Industry", "value": "Mining"}, {"name": "Nope", "value": "x"}],
            "interests": [{"name": "Waterpolo"}], "tags": [{"name": "vip"}],
            "contact_notes": [{"subject": "Hello", "note": "First call"}],
            "spouse": {"first_name": "Maggie", "last_name": "Simpson"},
            "family": [{"first_name": "Wanda", "relation": "Daughter"}],
            "business": {"first_name": "Acme Design"},
            "assigned_to": {"email": "PAUL.FARNAN@gmail.com"},
            "contact_type": {"name": "Client"}
        }),
    );
    assert_ne!(made["id"], 999999, "an id in the body is ignored");
    assert_eq!(made["date_of_birth"], "1934-12-30T00:00:00+0000");
    assert_eq!(made["emails"].as_array().unwrap().len(), 1);
    assert_eq!(made["office_emails"][0]["email"], "webmaster@gmail.com");
    assert_eq!(made["phones"][0]["type"], "H");
    assert_eq!(made["office_phones"][0]["phone"], "(666) 666-6666");
    assert_eq!(made["office_addresses"][0]["city"], "Duluth");
    assert_eq!(made["im_services"][0]["im_service_type"]["name"], "Skype");
    assert_eq!(
        made["custom_fields"][0]["custom_field"]["name"],
        "blood type"
    );
    let categories: Vec<&str> = made["categories"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["value"].as_str().unwrap())
        .collect();
    assert_eq!(
        categories,
        ["Software"],
        "unknown categories are silently ignored"
    );
    assert_eq!(made["spouse"]["first_name"], "Maggie");
    assert_eq!(made["family"][0]["relation"], "Daughter");
    assert_eq!(
        made["assigned_to"]["id"], 3,
        "assigned by email, ignoring case"
    );
    assert_eq!(made["contact_type"]["name"], "Client");
    // The same custom field and contact type are reused, not created twice.
    let again = create(
        &sb,
        &token,
        json!({"first_name": "A", "last_name": "B", "emails": [{"email": "a@b.io"}],
        "custom_fields": [{"name": "Blood Type", "value": "A+"}], "contact_type": {"name": "client"},
        "assigned_to": {"id": 2, "email": "paul.farnan@gmail.com"}}),
    );
    assert_eq!(
        again["custom_fields"][0]["custom_field"]["id"],
        made["custom_fields"][0]["custom_field"]["id"]
    );
    assert_eq!(again["contact_type"]["id"], made["contact_type"]["id"]);
    assert_eq!(
        again["assigned_to"]["id"], 2,
        "id is looked at before email"
    );
    let third = create(
        &sb,
        &token,
        json!({"first_name": "A", "last_name": "B", "emails": [{"email": "c@d.io"}], "assigned_to": {"email": "nobody@x.io"}}),
    );
    assert_eq!(third["assigned_to"]["id"], 1, "no such user: the caller");
}

#[test]
fn update_semantics_absent_untouched_blank_clears_lists_replaced() {
    let sb = sandbox();
    let token = sb.admin();
    let made = create(
        &sb,
        &token,
        json!({"first_name": "John", "last_name": "Doe", "division": "Design",
        "title": "CEO", "emails": [{"email": "a@x.io"}, {"email": "b@x.io"}]}),
    );
    let path = format!("/api/contact/{}.json", made["id"]);
    let (status, body) = sb.call(
        "PUT",
        &path,
        &token,
        Some(json!({"division": "", "emails": [{"email": "example@example.com"}]})),
    );
    assert_eq!(status, 200, "{body}");
    let after = &body["payload"];
    assert!(
        after.get("division").is_none(),
        "a blank value clears the field: {after}"
    );
    assert_eq!(after["title"], "CEO", "absent fields are untouched");
    assert_eq!(
        after["emails"].as_array().unwrap().len(),
        1,
        "the list is replaced wholesale"
    );
    assert_eq!(after["emails"][0]["email"], "example@example.com");
    let (status, body) = sb.call("PUT", &path, &token, Some(json!({"first_name": ""})));
    assert_eq!(status, 400, "a required field cannot be cleared: {body}");
    let (_, body) = sb.call("GET", &path, &token, None);
    assert_eq!(
        body["payload"]["first_name"], "John",
        "the refused update changed nothing"
    );
    let (status, _) = sb.call(
        "PUT",
        "/api/contact/424242.json",
        &token,
        Some(json!({"title": "x"})),
    );
    assert_eq!(status, 404);
}

#[test]
fn delete_permissions_and_missing_records() {
    let sb = sandbox();
    let made = create(&sb, &sb.admin(), serde_json::from_str(JOHN).unwrap());
    let path = format!("/api/contact/{}.json", made["id"]);
    let (status, body) = sb.call("DELETE", &path, &sb.token("carl.olmann@gmail.com"), None);
    assert_eq!(status, 403);
    assert_eq!(
        body,
        json!({"result": "error", "message": "You cannot delete this contact", "payload": []})
    );
    let (status, body) = sb.call("DELETE", &path, &sb.admin(), None);
    assert_eq!((status, body["status"].as_str()), (200, Some("success")));
    let (status, body) = sb.call("GET", &path, &sb.admin(), None);
    assert_eq!(status, 404);
    assert_eq!(
        body,
        json!({"result": "error", "message": "No such contact", "payload": []}),
        "the documented shape"
    );
}

#[test]
fn private_contacts_are_seen_only_by_their_assignee_and_customers_are_apart() {
    let sb = sandbox();
    let private = create(
        &sb,
        &sb.admin(),
        json!({"first_name": "P", "last_name": "Q", "emails": [{"email": "p@q.io"}],
        "is_private": true, "assigned_to": {"id": 3}}),
    );
    let path = format!("/api/contact/{}.json", private["id"]);
    assert_eq!(sb.call("GET", &path, &sb.admin(), None).0, 404);
    assert_eq!(
        sb.call("GET", &path, &sb.token("paul.farnan@gmail.com"), None)
            .0,
        200
    );
    let (_, list) = sb.call("GET", "/api/contacts.json", &sb.admin(), None);
    assert_eq!(list["payload"], json!([]));
    let (_, list) = sb.call(
        "GET",
        "/api/contacts.json",
        &sb.token("paul.farnan@gmail.com"),
        None,
    );
    assert_eq!(list["totalcount"], 1);
    let public = create(&sb, &sb.admin(), serde_json::from_str(JOHN).unwrap());
    let other = sb.token("owner@other-customer.test");
    assert_eq!(
        sb.call(
            "GET",
            &format!("/api/contact/{}.json", public["id"]),
            &other,
            None
        )
        .0,
        404
    );
    assert_eq!(
        sb.call("GET", "/api/contacts.json", &other, None).1["payload"],
        json!([])
    );
}

#[test]
fn pagination_is_stable_and_its_edges_are_documented_shapes() {
    let sb = sandbox_with(|c| c.seed = 250);
    let token = sb.admin();
    let (_, first) = sb.call("GET", "/api/contacts.json", &token, None);
    let total = first["totalcount"].as_u64().unwrap() as usize;
    assert!(
        total > 200 && total <= 250,
        "private contacts of others are not counted: {total}"
    );
    assert_eq!(
        first["payload"].as_array().unwrap().len(),
        100,
        "results defaults to 100"
    );
    let mut ids = Vec::new();
    for page in 1.. {
        let (status, body) = sb.call(
            "GET",
            &format!("/api/contacts.json?page={page}&results=50"),
            &token,
            None,
        );
        assert_eq!(status, 200);
        let items = body["payload"].as_array().unwrap();
        if items.is_empty() {
            assert!(
                body.get("page").is_none() && body.get("totalcount").is_none(),
                "no payload, no page: {body}"
            );
            break;
        }
        assert_eq!(body["page"], page);
        ids.extend(items.iter().map(|c| c["id"].as_i64().unwrap()));
    }
    let mut sorted = ids.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(ids, sorted, "pages neither overlap nor skip, in id order");
    assert_eq!(ids.len(), total);
    let last_page = total.div_ceil(50);
    let (_, body) = sb.call(
        "GET",
        &format!("/api/contacts.json?page={last_page}&results=50"),
        &token,
        None,
    );
    assert_eq!(
        body["payload"].as_array().unwrap().len(),
        total - (last_page - 1) * 50,
        "a partial last page"
    );
    for bad in ["page=0", "results=0", "results=1001", "page=x"] {
        assert_eq!(
            sb.call("GET", &format!("/api/contacts.json?{bad}"), &token, None)
                .0,
            400,
            "{bad}"
        );
    }
}

#[test]
fn date_filters_take_the_documented_forms() {
    let sb = sandbox_with(|c| c.seed = 100);
    let token = sb.admin();
    let count = |query: &str| -> u64 {
        let (status, body) = sb.call(
            "GET",
            &format!("/api/contacts.json?results=1&{query}"),
            &token,
            None,
        );
        assert_eq!(status, 200, "{query}: {body}");
        body["totalcount"].as_u64().unwrap_or(0)
    };
    let all = count("");
    // Seeded contacts are created on 2025-01-01 from 00:00:00, one every 30 seconds.
    assert_eq!(count("created=2025-01-01"), all);
    assert_eq!(count("created_gt=2025-01-01"), 0);
    assert_eq!(count("created_lt=2025-01-01"), 0);
    assert_eq!(
        count("created_gte=2025-01-01") + count("created_lt=2025-01-01"),
        all
    );
    assert_eq!(
        count("created_gt=20240101"),
        all,
        "the summary's YYYYMMDD example"
    );
    let early = count("created_lte=2025-01-01 00:10:00");
    assert!(early > 0 && early < all, "{early} of {all}");
    assert_eq!(early + count("created_gt=2025-01-01 00:10:00"), all);
    assert_eq!(count("updated_lt=now"), all);
    assert_eq!(count("updated_gte=today"), 0);
    assert_eq!(count("created_lte=2025-01-01T00:10:00%2B0000"), early);
    // Something created now is updated today.
    create(&sb, &token, serde_json::from_str(JOHN).unwrap());
    assert_eq!(count("updated=today"), 1);
    assert_eq!(count("created_gte=yesterday"), 1);
    // Relative moments as PHP's strtotime reads them, from the server's clock.
    assert_eq!(count("created_gte=-1%20day"), 1);
    assert_eq!(count("updated_gte=2%20hours%20ago"), 1);
    assert_eq!(count("created_lt=%2B1%20week"), all + 1);
    assert_eq!(count("created_gt=tomorrow"), 0);
    assert_eq!(count("updated_lt=-1%20year"), all);
    assert_eq!(
        sb.call("GET", "/api/contacts.json?updated_gt=someday", &token, None)
            .0,
        400
    );
}

#[test]
fn search_covers_emails_company_and_names_of_spouse_and_family() {
    let sb = sandbox();
    let token = sb.admin();
    create(
        &sb,
        &token,
        json!({"first_name": "Shirley", "last_name": "McRae", "emails": [{"email": "shirley33@hotmail.com"}],
        "business": {"first_name": "Acme Design"}, "spouse": {"first_name": "Maggie", "last_name": "Simpson"},
        "family": [{"first_name": "Wanda", "last_name": "Jones"}]}),
    );
    create(&sb, &token, serde_json::from_str(JOHN).unwrap());
    let hits = |q: &str| {
        sb.call("GET", &format!("/api/contacts.json?q={q}"), &token, None)
            .1["payload"]
            .as_array()
            .unwrap()
            .len()
    };
    for q in [
        "hotmail", "acme", "maggie", "simpson", "wanda", "jones", "mcrae", "SHIRLEY",
    ] {
        assert_eq!(hits(q), 1, "{q}");
    }
    assert_eq!(hits("example.com"), 1);
    assert_eq!(hits("zebra"), 0);
}

#[test]
fn activities_by_form_fields_and_json() {
    let sb = sandbox();
    let token = sb.admin();
    let contact = create(&sb, &token, serde_json::from_str(JOHN).unwrap())["id"]
        .as_i64()
        .unwrap();
    let path = format!("/api/contact/{contact}/activity.json");
    // The guide's form-encoded fields.
    let resp = sb.http.post(sb.url(&path)).bearer_auth(&token)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body("bigcontacts_contact_activity_form%5Btitle%5D=Schedule+interview&bigcontacts_contact_activity_form%5Bactivity_type%5D=Phone+call&bigcontacts_contact_activity_form%5Bdescription%5D=Called")
        .send().unwrap();
    assert_eq!(resp.status(), 200);
    let made: Value = resp.json().unwrap();
    assert_eq!(made["message"], "The activity was successfully created!");
    assert_eq!(made["payload"]["activity_type"]["activity"], "Phone call");
    // The summary's JSON body.
    let (status, second) = sb.call("POST", &path, &token, Some(json!({"title": "Follow-up call", "activity_type": "Phone call", "description": "Discussed renewal timeline"})));
    assert_eq!(status, 200, "{second}");
    assert_eq!(
        second["payload"]["activity_type"]["id"],
        made["payload"]["activity_type"]["id"]
    );
    let (_, list) = sb.call("GET", &path, &token, None);
    assert_eq!(
        (list["message"].as_str(), list["totalcount"].as_u64()),
        (Some("Contact activity listing"), Some(2))
    );
    let one = format!(
        "/api/contact/{contact}/activity/{}",
        second["payload"]["id"]
    );
    let xml = sb
        .http
        .get(sb.url(&format!("{one}.xml")))
        .bearer_auth(&token)
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(
        xml.contains("<title><![CDATA[Follow-up call]]></title>"),
        "{xml}"
    );
    let (status, updated) = sb.call(
        "PUT",
        &format!("{one}.json"),
        &token,
        Some(json!({"title": "Renewal call"})),
    );
    assert_eq!(
        (status, updated["payload"]["title"].as_str()),
        (200, Some("Renewal call"))
    );
    assert_eq!(
        updated["payload"]["description"],
        "Discussed renewal timeline"
    );
    assert_eq!(
        sb.call(
            "POST",
            &path,
            &token,
            Some(json!({"description": "no title"}))
        )
        .0,
        400
    );
    assert_eq!(
        sb.call(
            "DELETE",
            &format!("{one}.json"),
            &sb.token("carl.olmann@gmail.com"),
            None
        )
        .0,
        403
    );
    assert_eq!(
        sb.call("DELETE", &format!("{one}.json"), &token, None).0,
        200
    );
    assert_eq!(sb.call("GET", &format!("{one}.json"), &token, None).0, 404);
    assert_eq!(
        sb.call("GET", "/api/contact/424242/activity.json", &token, None)
            .0,
        404
    );
}

#[test]
fn tasks_follow_the_summary_rules() {
    let sb = sandbox();
    let token = sb.admin();
    let client = create(
        &sb,
        &token,
        json!({"first_name": "C", "last_name": "L", "emails": [{"email": "client@example.com"}]}),
    );
    let example = json!({ "title": "Follow up with client", "description": "Discuss next steps", "priority": "h",
        "due_date": "2024-01-25", "assigned_to": ["user@example.com", "paul.farnan@gmail.com"], "contacts": "client@example.com" });
    let (status, made) = sb.call("POST", "/api/tasks.json", &token, Some(example));
    assert_eq!(status, 200, "{made}");
    let task = &made["payload"];
    assert_eq!(task["priority"], "h");
    assert_eq!(task["completed"], false);
    assert_eq!(task["assigned_to"]["id"], 3, "the first valid user");
    assert_eq!(task["contacts"][0]["id"], client["id"]);
    let (status, meeting) = sb.call("POST", "/api/tasks.json", &token, Some(json!({"title": "Lunch", "start_date": "2024-02-01", "contacts": client["id"], "event": "meeting_new"})));
    assert_eq!(status, 200, "{meeting}");
    assert_eq!(meeting["payload"]["priority"], "n", "the default priority");
    let listed = |event: &str| {
        sb.call(
            "GET",
            &format!("/api/tasks.json?event={event}"),
            &token,
            None,
        )
        .1["payload"]
            .as_array()
            .unwrap()
            .len()
    };
    assert_eq!(
        (
            listed("task_new"),
            listed("meeting_new"),
            listed("note_new")
        ),
        (1, 1, 0)
    );
    for (bad, why) in [
        (
            json!({"title": "x", "contacts": "client@example.com"}),
            "date",
        ),
        (
            json!({"title": "x", "due_date": "01/25/2024", "contacts": "client@example.com"}),
            "YYYY-MM-DD",
        ),
        (json!({"title": "x", "due_date": "2024-01-25"}), "contact"),
        (
            json!({"title": "x", "due_date": "2024-01-25", "contacts": "nobody@nowhere.io"}),
            "No such contact",
        ),
        (
            json!({"title": "x", "due_date": "2024-01-25", "contacts": ["client@example.com", 1]}),
            "exactly one",
        ),
        (
            json!({"title": "x", "due_date": "2024-01-25", "contacts": {"id": client["id"]}, "priority": "z"}),
            "priority",
        ),
    ] {
        let (status, body) = sb.call("POST", "/api/tasks.json", &token, Some(bad));
        assert_eq!(status, 400, "{body}");
        assert!(
            body["message"].as_str().unwrap().contains(why),
            "{why}: {body}"
        );
    }
    let path = format!("/api/task/{}.json", task["id"]);
    let (status, updated) = sb.call("PUT", &path, &token, Some(json!({"completed": true})));
    assert_eq!(
        (status, updated["payload"]["completed"].as_bool()),
        (200, Some(true))
    );
    assert_eq!(
        updated["payload"]["title"], "Follow up with client",
        "only given fields change"
    );
    assert_eq!(
        sb.call("DELETE", &path, &sb.token("carl.olmann@gmail.com"), None)
            .0,
        403
    );
    assert_eq!(sb.call("DELETE", &path, &token, None).0, 200);
    assert_eq!(sb.call("GET", &path, &token, None).0, 404);
    assert_eq!(
        sb.call("GET", "/api/tasks.json?event=party", &token, None)
            .0,
        400
    );
}

#[test]
fn oauth_website_flow_refresh_and_client_credentials() {
    let sb = sandbox();
    let auth = format!(
        "/oauth/v2/auth?client_id={}&redirect_uri={}&response_type=code&state=xyz",
        bcetl::sandbox::CLIENT_ID,
        bcetl::sandbox::REDIRECT_URI
    );
    let resp = sb.http.get(sb.url(&auth)).send().unwrap();
    assert_eq!(resp.status(), 302);
    let location = url::Url::parse(resp.headers()["location"].to_str().unwrap()).unwrap();
    assert!(location.as_str().starts_with(bcetl::sandbox::REDIRECT_URI));
    let param = |name: &str| {
        location
            .query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    };
    assert_eq!(param("state").as_deref(), Some("xyz"));
    let code = param("code").unwrap();
    let exchange = |fields: &[(&str, &str)]| -> (u16, Value) {
        let resp = sb
            .http
            .post(sb.url("/oauth/v2/token"))
            .form(fields)
            .send()
            .unwrap();
        (resp.status().as_u16(), resp.json().unwrap())
    };
    let creds = [
        ("client_id", bcetl::sandbox::CLIENT_ID),
        ("client_secret", bcetl::sandbox::CLIENT_SECRET),
    ];
    let with = |extra: &[(&'static str, &str)]| -> Vec<(&'static str, String)> {
        creds
            .iter()
            .map(|(k, v)| (*k, v.to_string()))
            .chain(extra.iter().map(|(k, v)| (*k, v.to_string())))
            .collect()
    };
    let fields = with(&[
        ("grant_type", "authorization_code"),
        ("code", &code),
        ("redirect_uri", bcetl::sandbox::REDIRECT_URI),
    ]);
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, tokens) = exchange(&fields);
    assert_eq!(status, 200, "{tokens}");
    assert_eq!(tokens["token_type"], "bearer");
    assert!(tokens["expires_in"].as_i64().unwrap() > 0);
    let access = tokens["access_token"].as_str().unwrap();
    assert_eq!(sb.call("GET", "/api/users.json", access, None).0, 200);
    assert_eq!(exchange(&fields).0, 400, "a code is good once");
    let refresh = tokens["refresh_token"].as_str().unwrap().to_string();
    let fields = with(&[("grant_type", "refresh_token"), ("refresh_token", &refresh)]);
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, renewed) = exchange(&fields);
    assert_eq!(status, 200, "{renewed}");
    assert_ne!(renewed["access_token"], tokens["access_token"]);
    assert_eq!(
        exchange(&fields).0,
        400,
        "a refresh token is exchanged once"
    );
    let (status, machine) = exchange(&[("grant_type", "client_credentials"), creds[0], creds[1]]);
    assert_eq!(status, 200, "{machine}");
    assert!(machine.get("refresh_token").is_none());
    assert_eq!(
        sb.call(
            "GET",
            "/api/users.json",
            machine["access_token"].as_str().unwrap(),
            None
        )
        .0,
        200
    );
    let (status, body) = exchange(&[
        ("grant_type", "client_credentials"),
        creds[0],
        ("client_secret", "wrong"),
    ]);
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_client"))
    );
    let bad_redirect = auth.replace("8719", "9999");
    assert_eq!(
        sb.http.get(sb.url(&bad_redirect)).send().unwrap().status(),
        400,
        "redirect URIs are whitelisted"
    );
}

#[test]
fn data_survives_a_restart_and_seeding_is_deterministic() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("a.sqlite");
    let start = |db: &std::path::Path, seed: usize| {
        bcetl::sandbox::Sandbox::start(bcetl::sandbox::SandboxConfig {
            seed,
            ..bcetl::sandbox::SandboxConfig::new(db.to_path_buf())
        })
        .unwrap()
    };
    let first = start(&db, 20);
    assert_eq!(first.seeded, 20);
    let http = reqwest::blocking::Client::new();
    let list = |sb: &bcetl::sandbox::Sandbox| -> Value {
        http.get(format!("{}/api/contacts.json?results=1000", sb.url))
            .bearer_auth(sb.admin_token())
            .send()
            .unwrap()
            .json()
            .unwrap()
    };
    let before = list(&first);
    first.stop().unwrap();
    let again = start(&db, 20);
    assert_eq!(again.seeded, 0, "already seeded");
    assert_eq!(list(&again)["payload"], before["payload"]);
    let other = start(&dir.path().join("b.sqlite"), 20);
    assert_eq!(
        list(&other)["payload"],
        before["payload"],
        "another database seeded alike"
    );
}

#[test]
fn rate_limit_answers_429_with_retry_after_per_token() {
    let sb = sandbox_with(|c| {
        c.faults.rate = Some(1);
        c.faults.burst = Some(3);
    });
    let statuses: Vec<u16> = (0..5)
        .map(|_| sb.call("GET", "/api/users.json", &sb.admin(), None).0)
        .collect();
    assert_eq!(statuses, [200, 200, 200, 429, 429]);
    let resp = sb
        .http
        .get(sb.url("/api/users.json"))
        .bearer_auth(sb.admin())
        .send()
        .unwrap();
    assert_eq!(resp.status(), 429);
    let retry: u64 = resp.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=2).contains(&retry), "{retry}");
    assert_eq!(
        sb.call(
            "GET",
            "/api/users.json",
            &sb.token("paul.farnan@gmail.com"),
            None
        )
        .0,
        200,
        "per token"
    );
    assert_eq!(sb.stats()["rate_limited"], 3);
}

#[test]
fn injected_failures_are_not_applied() {
    let sb = sandbox_with(|c| c.faults.fail_rate = 1.0);
    for _ in 0..6 {
        let (status, body) = sb.call(
            "POST",
            "/api/contacts.json",
            &sb.admin(),
            Some(serde_json::from_str(JOHN).unwrap()),
        );
        assert!([500, 502, 503].contains(&status), "{status}");
        assert_eq!(body["status"], "error");
    }
    let stats = sb.stats();
    assert_eq!(stats["failures_injected"], 6);
    let conn = rusqlite::Connection::open(&sb.db).unwrap();
    let stored: i64 = conn
        .query_row("SELECT COUNT(*) FROM contacts", [], |r| r.get(0))
        .unwrap();
    assert_eq!(stored, 0);
}

#[test]
fn dropped_connections_sometimes_after_the_write() {
    let sb = sandbox_with(|c| {
        c.faults.drop_rate = 1.0;
        c.faults.seed = 3;
    });
    let attempts = 20;
    for i in 0..attempts {
        let body = json!({"first_name": "D", "last_name": "R", "emails": [{"email": format!("d{i}@r.io")}]});
        let result = sb
            .http
            .post(sb.url("/api/contacts.json"))
            .bearer_auth(sb.admin())
            .json(&body)
            .send();
        let err = result.expect_err("no answer");
        assert!(!err.is_status(), "{err}");
    }
    let stats = sb.stats();
    let after = stats["dropped_after_write"].as_u64().unwrap();
    let before = stats["dropped_before"].as_u64().unwrap();
    assert_eq!(after + before, attempts);
    assert!(after > 0 && before > 0, "{stats}");
    let conn = rusqlite::Connection::open(&sb.db).unwrap();
    let stored: i64 = conn
        .query_row("SELECT COUNT(*) FROM contacts", [], |r| r.get(0))
        .unwrap();
    assert_eq!(
        stored as u64, after,
        "exactly the drops after the write were applied"
    );
}

#[test]
fn latency_is_added_and_concurrency_is_counted() {
    let sb = sandbox_with(|c| c.faults.latency = std::time::Duration::from_millis(200));
    let started = std::time::Instant::now();
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| assert_eq!(sb.call("GET", "/api/users.json", &sb.admin(), None).0, 200));
        }
    });
    assert!(started.elapsed() >= std::time::Duration::from_millis(200));
    let stats = sb.stats();
    assert!(stats["peak_concurrency"].as_u64().unwrap() >= 2, "{stats}");
    assert_eq!(stats["by_status"]["200"], 4);
    assert_eq!(stats["by_endpoint"]["GET /api/users"], 4);
}

#[test]
fn the_guides_examples_work_with_curl() {
    let sb = sandbox_with(|c| c.seed = 3);
    let token = sb.admin();
    let curl = |args: &[&str]| -> String {
        let out = std::process::Command::new("curl")
            .args(["-s", "-S"])
            .args(args)
            .output()
            .expect("curl is installed");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let listing = curl(&[&sb.url(&format!("/api/contacts.json?access_token={token}"))]);
    assert!(listing.contains("\"status\":\"success\""), "{listing}");
    let page = curl(&[
        "-H",
        &format!("Authorization: Bearer {token}"),
        &sb.url("/api/contacts.json?page=2&results=2"),
    ]);
    assert!(page.contains("\"page\":2"), "{page}");
    let created = curl(&[
        "-H",
        &format!("Authorization: Bearer {token}"),
        "-H",
        "Content-Type: application/json",
        "-d",
        JOHN,
        &sb.url("/api/contacts.json"),
    ]);
    let created: Value = serde_json::from_str(&created).unwrap();
    let id = created["payload"]["id"].as_i64().unwrap();
    let one = curl(&[
        "-H",
        &format!("Authorization: Bearer {token}"),
        &sb.url(&format!("/api/contact/{id}")),
    ]);
    assert!(one.contains("john@example.com"), "{one}");
    let updated = curl(&[
        "-X",
        "PUT",
        "-H",
        &format!("Authorization: Bearer {token}"),
        "-d",
        r#"{"division": ""}"#,
        &sb.url(&format!("/api/contact/{id}.json")),
    ]);
    assert!(updated.contains("successfully updated"), "{updated}");
    let activity = curl(&[
        "-H",
        &format!("Authorization: Bearer {token}"),
        "-H",
        "Content-Type: application/x-www-form-urlencoded",
        "--data-urlencode",
        "bigcontacts_contact_activity_form[title]=Yet another record",
        "--data-urlencode",
        "bigcontacts_contact_activity_form[activity_type]=Phone call",
        "--data-urlencode",
        "bigcontacts_contact_activity_form[description]=sample description",
        &sb.url(&format!("/api/contact/{id}/activity.json")),
    ]);
    assert!(
        activity.contains("The activity was successfully created!"),
        "{activity}"
    );
    let filtered = curl(&[
        "-H",
        &format!("Authorization: Bearer {token}"),
        &sb.url("/api/contacts.json?updated_gt=20240101"),
    ]);
    assert!(filtered.contains("\"totalcount\":4"), "{filtered}");
    let deleted = curl(&[
        "-X",
        "DELETE",
        "-H",
        &format!("Authorization: Bearer {token}"),
        &sb.url(&format!("/api/contact/{id}.xml")),
    ]);
    assert!(
        deleted.contains("<status><![CDATA[success]]></status>"),
        "{deleted}"
    );
}

#[test]
fn serve_prints_its_url_and_tokens_and_stops_on_ctrl_c() {
    use std::io::{BufRead, BufReader};
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("serve.sqlite");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_bcetl"))
        .args([
            "sandbox",
            "serve",
            "--port",
            "0",
            "--db",
            db.to_str().unwrap(),
            "--seed",
            "5",
        ])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let banner: Vec<String> = lines.by_ref().take(8).map(|l| l.unwrap()).collect();
    let text = banner.join("\n");
    let url = text
        .split_whitespace()
        .find(|w| w.starts_with("http://127.0.0.1:"))
        .expect("the URL")
        .to_string();
    assert!(text.contains("seeded 5 contacts"), "{text}");
    let token = banner
        .iter()
        .find(|l| l.contains("robert.hammond"))
        .unwrap()
        .split_whitespace()
        .last()
        .unwrap()
        .to_string();
    let users: Value = reqwest::blocking::Client::new()
        .get(format!("{url}/api/users.json"))
        .bearer_auth(&token)
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(users["totalcount"], 3);
    // Ctrl-C.
    let status = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let rest: Vec<String> = lines.map(|l| l.unwrap()).collect();
    let exit = child.wait().unwrap();
    assert!(exit.success(), "{exit:?}");
    assert_eq!(
        rest.last().map(String::as_str),
        Some("sandbox stopped"),
        "{rest:?}"
    );
    assert!(
        reqwest::blocking::get(format!("{url}/api/users.json")).is_err(),
        "no longer listening"
    );
}

#[test]
fn the_users_listing_pages_like_every_listing() {
    let sb = sandbox();
    let admin = sb.admin();
    let (status, all) = sb.call("GET", "/api/users.json", &admin, None);
    assert_eq!(status, 200);
    let emails = |body: &Value| -> Vec<String> {
        body["payload"]
            .as_array()
            .map(|users| {
                users
                    .iter()
                    .map(|u| u["email"].as_str().unwrap_or_default().to_string())
                    .collect()
            })
            .unwrap_or_default()
    };
    let all = emails(&all);
    assert_eq!(all.len(), 3, "the guide's three users");
    let mut paged = Vec::new();
    for page in 1..=3 {
        let path = format!("/api/users.json?results=2&page={page}");
        let (status, body) = sb.call("GET", &path, &admin, None);
        assert_eq!(status, 200, "{body}");
        if page < 3 {
            assert_eq!(body["totalcount"], 3, "{body}");
            assert_eq!(body["page"], page, "{body}");
        } else {
            assert_eq!(body["payload"], json!([]), "past the end: {body}");
            assert!(body.get("totalcount").is_none(), "{body}");
        }
        paged.extend(emails(&body));
    }
    assert_eq!(paged, all, "pages neither overlap nor skip");
    let (status, _) = sb.call("GET", "/api/users.json?results=0", &admin, None);
    assert_eq!(status, 400);
}

#[test]
fn a_refused_activity_leaves_no_activity_type_behind() {
    let sb = sandbox();
    let admin = sb.admin();
    let (_, created) = sb.call(
        "POST",
        "/api/contacts.json",
        &admin,
        Some(json!({"first_name": "A", "last_name": "B", "emails": [{"email": "ab@example.com"}]})),
    );
    let id = created["payload"]["id"].as_i64().unwrap();
    let path = format!("/api/contact/{id}/activity.json");
    let (status, _) = sb.call(
        "POST",
        &path,
        &admin,
        Some(json!({"title": "", "activity_type": "Unheard-of type"})),
    );
    assert_eq!(status, 400);
    // Read in the sandbox's own database: the type would have been created before the
    // title was checked, outside any transaction.
    let conn = rusqlite::Connection::open(&sb.db).unwrap();
    let types: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM named WHERE kind = 'activity_type' AND name = 'Unheard-of type'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(types, 0, "the refused activity created its type");
    let (status, body) = sb.call(
        "POST",
        &path,
        &admin,
        Some(json!({"title": "Call", "activity_type": "Unheard-of type"})),
    );
    assert_eq!(status, 200, "{body}");
    let types: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM named WHERE kind = 'activity_type' AND name = 'Unheard-of type'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(types, 1, "an accepted activity creates it");
}

#[test]
fn lists_are_arrays_and_contacts_slash_id_reads_like_contact_slash_id() {
    let sb = sandbox();
    let token = sb.admin();
    let made = create(&sb, &token, serde_json::from_str(JOHN).unwrap());
    let id = made["id"].as_i64().unwrap();
    // The guide shows these on every contact: empty lists are [], never null or absent.
    for key in ["groups", "categories", "dropbox"] {
        assert_eq!(made[key], json!([]), "{key}: {made}");
    }
    let (status, one) = sb.call("GET", &format!("/api/contact/{id}.json"), &token, None);
    assert_eq!(status, 200);
    let (status, other) = sb.call("GET", &format!("/api/contacts/{id}.json"), &token, None);
    assert_eq!(status, 200, "{other}");
    assert_eq!(one["payload"], other["payload"]);
    // A null list in a body clears it to [].
    let (status, updated) = sb.call(
        "PUT",
        &format!("/api/contacts/{id}.json"),
        &token,
        Some(json!({"groups": null, "categories": null})),
    );
    assert_eq!(status, 200, "{updated}");
    let (_, read) = sb.call("GET", &format!("/api/contact/{id}.json"), &token, None);
    for key in ["groups", "categories", "dropbox"] {
        assert_eq!(read["payload"][key], json!([]), "{key}");
    }
}
