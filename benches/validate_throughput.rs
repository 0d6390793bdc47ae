//! Validation throughput and memory, beside a bare `csv` parse of the same file.
//!
//! Run: `cargo bench --bench validate_throughput` (optionally with row counts:
//! `cargo bench --bench validate_throughput -- 100000 1000000`, and the rounds per size in
//! `BCETL_BENCH_ROUNDS`; by default 15 at 100,000 rows, 5 from 300,000).
//!
//! For each size it writes a realistic 25-column CSV (a few percent of bad cells, quoted
//! commas, accents), then measures, each in a fresh child process and in turn, round after
//! round: (1) a bare parse with the csv crate, the floor any reader pays; (2) the bcetl reader
//! alone; (3) the full dry run (read, map, validate, in parallel, findings counted). Each
//! child reports its own peak RSS (VmHWM), so the memory figure is the pipeline's and not the
//! generator's. Then the same rows as an XLSX workbook: the dry run once, beside the CSV's.

mod common;

use common::{median, peak_rss_mb};

use std::io::BufWriter;

// The same allocator as the `bcetl` binary, so the figures are the binary's.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

const MAPPING: &str = r#"
[fields]
first_name = { column = "First Name", case = "title" }
last_name = { column = "Last Name", case = "title" }
title = "Job Title"
gender = "Gender"
date_of_birth = { column = "DOB", date = ["%m/%d/%Y"] }
abcd = { column = "Tier", map = { Gold = "A", Silver = "B", Bronze = "C" } }
email_opt_out = "Unsubscribed"
comments = "Notes"
assigned_to = "Owner Email"
[[emails]]
column = "Email"
[[emails]]
column = "Work Email"
is_office = true
[[phones]]
column = "Mobile"
type = "M"
[[phones]]
column = "Home Phone"
type = "H"
phone = "us"
[[addresses]]
address = "Street"
city = "City"
state = "State"
postal_code = "Zip"
country = "Country"
[[im_services]]
type = "Skype"
column = "Skype"
[[social_media]]
type = "LinkedIn"
column = "LinkedIn"
[tags]
column = "Tags"
[custom_fields]
"Blood Type" = "Blood Type"
[spouse]
first_name = "Spouse First Name"
last_name = "Spouse Last Name"
[business]
first_name = "Company"
"#;

const HEADER: [&str; 25] = [
    "First Name",
    "Last Name",
    "Email",
    "Work Email",
    "Mobile",
    "Home Phone",
    "Company",
    "Job Title",
    "Street",
    "City",
    "State",
    "Zip",
    "Country",
    "DOB",
    "Gender",
    "Tier",
    "Tags",
    "Unsubscribed",
    "Skype",
    "LinkedIn",
    "Spouse First Name",
    "Spouse Last Name",
    "Owner Email",
    "Notes",
    "Blood Type",
];

fn generate(path: &Path, rows: usize) {
    let first = [
        "ada", "ALAN", "Grace", "Edsger", "Barbara", "Donald", "José", "Zoë", "Björn", "Aiko",
    ];
    let last = [
        "Lovelace", "TURING", "hopper", "Dijkstra", "Liskov", "Knuth", "Müller", "O'Neil",
        "Nakamura", "Smith",
    ];
    let cities = ["Atlanta", "Berlin", "São Paulo", "Paris", "Tokyo", "Austin"];
    let mut out = csv::Writer::from_writer(BufWriter::with_capacity(
        1 << 20,
        std::fs::File::create(path).unwrap(),
    ));
    out.write_record(HEADER).unwrap();
    for i in 0..rows {
        let f = first[i % first.len()];
        let l = last[(i / 7) % last.len()];
        let bad = i % 37 == 0;
        let email = if bad {
            format!("{f}.{l}{i}@example")
        } else {
            format!("{}.{}{i}@example.com", f.to_lowercase(), l.to_lowercase())
        };
        let dob = if i % 53 == 0 {
            "02/30/1980".to_string()
        } else {
            format!("{:02}/{:02}/{}", 1 + i % 12, 1 + i % 28, 1940 + i % 60)
        };
        let record = [
            f.to_string(),
            l.to_string(),
            email,
            if i % 3 == 0 {
                format!("{i}@work.example.com")
            } else {
                String::new()
            },
            format!("404{:07}", i % 10_000_000),
            format!("(212) 555-{:04}", i % 10_000),
            format!("Acme, Inc. #{}", i % 500),
            "Engineer".into(),
            format!("{} Peachtree Road", i % 9999),
            cities[i % cities.len()].into(),
            "GA".into(),
            format!("{:05}", i % 99_999),
            "USA".into(),
            dob,
            ["f", "m", "Female", "x"][i % 4].into(),
            ["Gold", "Silver", "Bronze", ""][i % 4].into(),
            "vip;golf".into(),
            ["yes", "no", "1", ""][i % 4].into(),
            format!("skype{i}"),
            String::new(),
            "Maggie".into(),
            if i % 2 == 0 {
                "Simpson".into()
            } else {
                String::new()
            },
            "robert.hammond@live.com.ar".into(),
            "Met at the fair, \"keen\"".into(),
            "0+".into(),
        ];
        out.write_record(&record).unwrap();
    }
    out.flush().unwrap();
}

/// The same rows as an XLSX workbook, as rust_xlsxwriter writes one (inline strings; Excel
/// itself would put the text in a shared-strings table): the mobile column as numbers.
fn write_xlsx(csv_path: &Path, xlsx_path: &Path) {
    let mut reader = csv::Reader::from_path(csv_path).unwrap();
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet_with_constant_memory();
    for (c, name) in reader.headers().unwrap().iter().enumerate() {
        sheet.write_string(0, c as u16, name).unwrap();
    }
    let mobile = HEADER.iter().position(|h| *h == "Mobile").unwrap();
    for (r, record) in reader.records().enumerate() {
        for (c, value) in record.unwrap().iter().enumerate() {
            let (row, col) = (r as u32 + 1, c as u16);
            match value.parse::<f64>() {
                Ok(number) if c == mobile => sheet.write_number(row, col, number).unwrap(),
                _ if value.is_empty() => sheet,
                _ => sheet.write_string(row, col, value).unwrap(),
            };
        }
    }
    workbook.save(xlsx_path).unwrap();
}

/// Runs in a child process: one measurement, printed as "rows seconds peak_mb".
fn child(kind: &str, path: &Path, mapping_path: &Path) {
    let started = Instant::now();
    let rows = match kind {
        "csv" => {
            let mut reader = csv::ReaderBuilder::new().from_path(path).unwrap();
            let mut record = csv::ByteRecord::new();
            let mut n = 0usize;
            while reader.read_byte_record(&mut record).unwrap() {
                n += 1;
            }
            n
        }
        "read" => {
            let table = bcetl::read::open(path, &bcetl::read::ReadOptions::default()).unwrap();
            table.rows.inspect(|r| assert!(r.is_ok())).count()
        }
        "validate" => {
            let file = bcetl::mapping::load_file(mapping_path).unwrap();
            let table = bcetl::read::open(path, &bcetl::mapping::source_options(&file)).unwrap();
            let mapping = bcetl::mapping::Mapping::compile(&file, Some(&table.headers)).unwrap();
            let mut findings = 0usize;
            let summary = bcetl::validate::run(
                table,
                &mapping,
                |_, m| {
                    findings += m.findings.len();
                    Ok(())
                },
                |_| {},
            )
            .unwrap();
            assert!(
                findings > 0 && summary.invalid > 0,
                "the generated file has bad cells"
            );
            summary.rows
        }
        other => panic!("unknown measurement {other}"),
    };
    println!(
        "{rows} {} {}",
        started.elapsed().as_secs_f64(),
        peak_rss_mb()
    );
}

fn measure(kind: &str, path: &Path, mapping: &Path) -> (usize, f64, f64) {
    let out = Command::new(std::env::current_exe().unwrap())
        .env("BCETL_BENCH_CHILD", kind)
        .arg(path)
        .arg(mapping)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let mut parts = text.split_whitespace();
    let mut next = || parts.next().unwrap().to_string();
    (
        next().parse().unwrap(),
        next().parse().unwrap(),
        next().parse().unwrap(),
    )
}

/// Rounds per size: the machine's speed drifts by a fifth from minute to minute, so each
/// figure is the median of several rounds, and the ratio is taken within each round. Short
/// runs drift more, so smaller sizes get more rounds (15 at 100,000 rows, 5 from 300,000).
fn rounds(rows: usize) -> usize {
    std::env::var("BCETL_BENCH_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or((1_500_000 / rows.max(1)).clamp(5, 15))
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    if let Ok(kind) = std::env::var("BCETL_BENCH_CHILD") {
        child(&kind, Path::new(&args[0]), Path::new(&args[1]));
        return;
    }
    let sizes: Vec<usize> = if args.is_empty() {
        vec![100_000, 1_000_000]
    } else {
        args.iter().map(|a| a.parse().unwrap()).collect()
    };
    // BCETL_BENCH_KEEP=DIR keeps the generated files there (for callgrind on the same file).
    let (_cleanup, dir) = match std::env::var_os("BCETL_BENCH_KEEP") {
        Some(keep) => {
            let kept = tempfile::Builder::new().prefix("bench-").tempdir_in(keep);
            (None, kept.unwrap().keep())
        }
        None => {
            let temp = tempfile::tempdir().unwrap();
            let path = temp.path().to_path_buf();
            (Some(temp), path)
        }
    };
    let mapping = dir.join("bench.toml");
    std::fs::write(&mapping, MAPPING).unwrap();
    println!(
        "threads: {}; medians of several rounds (csv, reader, validate in turn)",
        rayon::current_num_threads()
    );
    println!("| rows | rounds | file MB | bare csv parse rows/s | bcetl reader rows/s | validate rows/s | validate rows/s, slowest..fastest round | validate / parse | validate peak RSS MB, highest |");
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    let mut workbooks = Vec::new();
    for rows in sizes {
        let path = dir.join(format!("bench-{rows}.csv"));
        generate(&path, rows);
        let mb = std::fs::metadata(&path).unwrap().len() as f64 / 1e6;
        let (mut csv, mut read, mut validate, mut ratios, mut rss) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new(), 0f64);
        let rounds = rounds(rows);
        for _ in 0..rounds {
            let (n_csv, t_csv, _) = measure("csv", &path, &mapping);
            let (n_read, t_read, _) = measure("read", &path, &mapping);
            let (n_val, t_val, rss_val) = measure("validate", &path, &mapping);
            assert_eq!((n_csv, n_read, n_val), (rows, rows, rows));
            csv.push(rows as f64 / t_csv);
            read.push(rows as f64 / t_read);
            validate.push(rows as f64 / t_val);
            ratios.push(t_csv / t_val);
            rss = rss.max(rss_val);
        }
        let slowest = validate.iter().copied().fold(f64::INFINITY, f64::min);
        let fastest = validate.iter().copied().fold(0f64, f64::max);
        println!(
            "| {rows} | {rounds} | {mb:.0} | {:.0} | {:.0} | {:.0} | {slowest:.0}..{fastest:.0} | {:.2} | {rss:.0} |",
            median(csv),
            median(read),
            median(validate),
            median(ratios),
        );
        workbooks.push((rows, path));
    }
    // The same rows as XLSX, which streams too: one round each, after the CSV table.
    println!();
    println!(
        "| rows | XLSX MB | validate rows/s | validate / CSV validate | validate peak RSS MB |"
    );
    println!("|---:|---:|---:|---:|---:|");
    for (rows, csv_path) in workbooks {
        let xlsx = csv_path.with_extension("xlsx");
        write_xlsx(&csv_path, &xlsx);
        let mb = std::fs::metadata(&xlsx).unwrap().len() as f64 / 1e6;
        let (n_csv, t_csv, _) = measure("validate", &csv_path, &mapping);
        let (n_xlsx, t_xlsx, rss_xlsx) = measure("validate", &xlsx, &mapping);
        assert_eq!((n_csv, n_xlsx), (rows, rows));
        println!(
            "| {rows} | {mb:.0} | {:.0} | {:.2} | {rss_xlsx:.0} |",
            rows as f64 / t_xlsx,
            t_csv / t_xlsx
        );
    }
}
