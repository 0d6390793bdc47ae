"""The importer a user would write instead of bcetl, for comparing client CPU.

It reads the bench's CSV (benches/import_throughput.rs generates it), builds the same contact
body as the bench's mapping, and posts one row at a time with a keep-alive `requests` session,
writing each new id to a CSV. No journal, no retries, no rate limit: the least a script does.

    BIGCONTACTS_TOKEN=... python3 benches/python/naive_importer.py in.csv http://127.0.0.1:8719 ids.csv

It prints its own CPU seconds (user + system) per 10,000 rows.
"""

import csv
import datetime
import os
import resource
import sys

import requests


def contact(row):
    birthday = datetime.datetime.strptime(row["Birthday"], "%m/%d/%Y").date().isoformat()
    return {
        "first_name": row["First"],
        "last_name": row["Last"],
        "title": row["Title"],
        "date_of_birth": birthday,
        "emails": [{"email": row["Email"]}],
        "phones": [{"phone": row["Phone"], "type": "M"}],
        "addresses": [{"address": row["Street"], "city": row["City"], "postal_code": row["Zip"]}],
        "tags": [{"name": t.strip()} for t in row["Tags"].split(";") if t.strip()],
        "custom_fields": [{"name": "Legacy ID", "value": row["Legacy"]}],
    }


def main():
    source, base, out = sys.argv[1:4]
    session = requests.Session()
    session.headers["Authorization"] = "Bearer " + os.environ["BIGCONTACTS_TOKEN"]
    rows = 0
    with open(source, newline="") as f, open(out, "w", newline="") as ids:
        written = csv.writer(ids)
        for row in csv.DictReader(f):
            answer = session.post(base + "/api/contacts.json", json=contact(row), timeout=60)
            answer.raise_for_status()
            body = answer.json()
            if body.get("status") != "success":
                raise SystemExit(f"row {rows + 2}: {body.get('message')}")
            written.writerow([rows + 2, body["payload"]["id"]])
            rows += 1
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu = usage.ru_utime + usage.ru_stime
    print(f"{rows} rows, {cpu:.2f} CPU s, {cpu * 10000 / rows:.2f} CPU s per 10,000 rows")


if __name__ == "__main__":
    main()
