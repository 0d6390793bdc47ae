//! The XML rendering of an envelope, as the guide's samples show it: `<result>` around the
//! fields, text in CDATA, lists as repeated `<entry>` elements.

use serde_json::Value;

pub fn render(envelope: &Value) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<result>");
    if let Value::Object(fields) = envelope {
        for (key, value) in fields {
            element(&mut out, key, value);
        }
    }
    out.push_str("</result>\n");
    out
}

fn element(out: &mut String, name: &str, value: &Value) {
    out.push('<');
    out.push_str(name);
    out.push('>');
    match value {
        Value::Null => {}
        Value::Bool(b) => out.push_str(if *b { "1" } else { "0" }),
        Value::Number(n) => out.push_str(&n.to_string()),
        Value::String(s) => {
            // "]]>" cannot appear inside CDATA; split it across two sections.
            out.push_str("<![CDATA[");
            out.push_str(&s.replace("]]>", "]]]]><![CDATA[>"));
            out.push_str("]]>");
        }
        Value::Array(items) => {
            for item in items {
                element(out, "entry", item);
            }
        }
        Value::Object(fields) => {
            for (key, value) in fields {
                element(out, key, value);
            }
        }
    }
    out.push_str("</");
    out.push_str(name);
    out.push('>');
}

#[cfg(test)]
mod tests {
    #[test]
    fn renders_like_the_guide() {
        let xml = super::render(
            &serde_json::json!({"status": "success", "page": 1, "payload": {"id": 3, "title": "a]]>b"}, "list": [1, 2]}),
        );
        assert!(
            xml.contains("<status><![CDATA[success]]></status><page>1</page>"),
            "{xml}"
        );
        assert!(
            xml.contains(
                "<payload><id>3</id><title><![CDATA[a]]]]><![CDATA[>b]]></title></payload>"
            ),
            "{xml}"
        );
        assert!(
            xml.contains("<list><entry>1</entry><entry>2</entry></list>"),
            "{xml}"
        );
    }
}
