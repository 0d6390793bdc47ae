//! Writes `samples/leads.xlsx`: a workbook with the traps real exports hold.
//!
//! Run: `cargo run --example make_sample_workbook`. The file is committed; this program
//! says exactly what is in it and can make it again.

use rust_xlsxwriter::{ExcelDateTime, Format, Formula, Workbook};

/// First, last, email, cell phone, zip, birthday (year, month, day).
type Lead = (
    &'static str,
    &'static str,
    &'static str,
    f64,
    f64,
    (u16, u8, u8),
);

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut workbook = Workbook::new();
    let notes = workbook.add_worksheet();
    notes.set_name("Read me")?;
    notes.write_string(0, 0, "Leads are on the second sheet.")?;

    let sheet = workbook.add_worksheet();
    sheet.set_name("Leads")?;
    let date = Format::new().set_num_format("mm/dd/yyyy");
    let zip = Format::new().set_num_format("00000");
    // Two title rows above the header, as many exports have.
    sheet.write_string(0, 0, "Trade show leads, exported 2026-11-01")?;
    let headers = [
        "First",
        "Last",
        "Email",
        "Cell",
        "Zip",
        "Birthday",
        "Full name",
        "Score",
    ];
    for (c, h) in headers.iter().enumerate() {
        sheet.write_string(2, c as u16, *h)?;
    }
    let rows: [Lead; 4] = [
        (
            "Ada",
            "Lovelace",
            "ada@example.com",
            4046570000.0,
            2134.0,
            (1985, 12, 10),
        ),
        (
            "Alan",
            "Turing",
            "alan@example",
            7735550123.0,
            10115.0,
            (1912, 6, 23),
        ),
        (
            "Grace",
            "Hopper",
            "grace@example.com",
            2125550199.0,
            501.0,
            (1906, 12, 9),
        ),
        (
            "Edsger",
            "",
            "edsger@example.com",
            3125550100.0,
            60601.0,
            (1930, 5, 11),
        ),
    ];
    for (i, (first, last, email, cell, zip_code, (y, m, d))) in rows.iter().enumerate() {
        let r = 3 + i as u32;
        sheet.write_string(r, 0, *first)?;
        if !last.is_empty() {
            sheet.write_string(r, 1, *last)?;
        }
        sheet.write_string(r, 2, *email)?;
        sheet.write_number(r, 3, *cell)?;
        sheet.write_number_with_format(r, 4, *zip_code, &zip)?;
        sheet.write_datetime_with_format(r, 5, ExcelDateTime::from_ymd(*y, *m, *d)?, &date)?;
        let full = format!("{first} {last}").trim().to_string();
        sheet.write_formula(
            r,
            6,
            Formula::new(format!("=A{0}&\" \"&B{0}", r + 1)).set_result(full),
        )?;
        if i == 2 {
            sheet.write_formula(r, 7, Formula::new("=NA()").set_result("#N/A"))?;
        } else {
            sheet.write_number(r, 7, 10.0 * (i as f64 + 1.0))?;
        }
    }
    workbook.save("samples/leads.xlsx")?;
    Ok(())
}
