//! A finding: one thing wrong (or worth a look) in one cell or row of the input.
//!
//! Reading, mapping and validation all report in this one vocabulary, so the dry-run report
//! can list them side by side, cell by cell.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The row would not be sent, or the server would refuse it.
    Error,
    /// The row can be sent, but something looks wrong.
    Warning,
}

impl std::fmt::Display for Severity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// The row number as a spreadsheet shows it.
    pub row: usize,
    /// The source column's index, when one cell is at fault.
    #[serde(skip)]
    pub column_index: Option<usize>,
    /// The source column's name, when one cell is at fault.
    pub column: Option<String>,
    /// The target field in the API record, such as `emails[0].email` or `spouse.first_name`.
    pub field: Option<String>,
    /// The offending value as read.
    pub value: String,
    /// A short stable name for the rule, for counting and filtering (`email_syntax`).
    pub rule: &'static str,
    pub message: String,
    pub severity: Severity,
}

impl Finding {
    /// An error at `row`, in `column` (an index into `columns`, the input's headers) when one
    /// cell is at fault; the field, value and message are added with the methods below.
    pub fn error(
        row: usize,
        column: Option<usize>,
        columns: &[String],
        rule: &'static str,
    ) -> Finding {
        Finding {
            row,
            column_index: column,
            column: column.and_then(|c| columns.get(c).cloned()),
            field: None,
            value: String::new(),
            rule,
            message: String::new(),
            severity: Severity::Error,
        }
    }

    /// A warning, placed as [`Finding::error`] places an error.
    pub fn warning(
        row: usize,
        column: Option<usize>,
        columns: &[String],
        rule: &'static str,
    ) -> Finding {
        Finding {
            severity: Severity::Warning,
            ..Finding::error(row, column, columns, rule)
        }
    }

    pub fn field(mut self, field: impl Into<String>) -> Finding {
        self.field = Some(field.into());
        self
    }

    pub fn value(mut self, value: impl Into<String>) -> Finding {
        self.value = value.into();
        self
    }

    pub fn message(mut self, message: impl Into<String>) -> Finding {
        self.message = message.into();
        self
    }
}
