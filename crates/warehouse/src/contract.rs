//! The column contract of API.md §3.2: which columns a node or edge query must produce, whether a
//! result schema satisfies it, and how a result batch is turned into exactly the declared columns.
//!
//! Owns the mapping from declared property types to Arrow types, the castability rules used at
//! validation, and the cast applied at export. Does not own NULL-key checks or Parquet writing
//! (the export worker does) nor the definition rules on names (the control plane does).

use std::fmt;
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, FixedSizeBinaryArray, StringArray};
use arrow::compute::{CastOptions, cast_with_options};
use arrow::datatypes::{DataType, Field, Schema, TimeUnit};
use arrow::record_batch::RecordBatch;
use arrow::util::display::FormatOptions;
use graph_olap_api::{EdgeDefinition, NodeDefinition, PropertyType, ScalarType};

/// One column a query must produce: its name and the type it is declared as.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ExpectedColumn {
    /// Declared column name (matched case-insensitively, output with this exact spelling).
    pub name: String,
    /// Declared property type.
    pub ty: PropertyType,
}

impl ExpectedColumn {
    /// A column named `name` of type `ty`.
    pub fn new(name: impl Into<String>, ty: PropertyType) -> Self {
        ExpectedColumn {
            name: name.into(),
            ty,
        }
    }

    /// The columns of a node definition: primary key first, then the properties in order.
    pub fn for_node(node: &NodeDefinition) -> Vec<ExpectedColumn> {
        std::iter::once(&node.primary_key)
            .chain(&node.properties)
            .map(|p| ExpectedColumn::new(&p.name, p.ty))
            .collect()
    }

    /// The columns of an edge definition: from key, to key, then the properties in order. The key
    /// columns take the types of the referenced nodes' primary keys, which the caller looks up.
    pub fn for_edge(
        edge: &EdgeDefinition,
        from_key_type: PropertyType,
        to_key_type: PropertyType,
    ) -> Vec<ExpectedColumn> {
        let mut columns = vec![
            ExpectedColumn::new(&edge.from_key, from_key_type),
            ExpectedColumn::new(&edge.to_key, to_key_type),
        ];
        columns.extend(
            edge.properties
                .iter()
                .map(|p| ExpectedColumn::new(&p.name, p.ty)),
        );
        columns
    }
}

/// What is wrong with one column, as a stable code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ColumnProblemCode {
    /// No result column has the declared name.
    Missing,
    /// Several result columns match the declared name case-insensitively and none exactly.
    Ambiguous,
    /// The result column's type cannot be cast to the declared type.
    NotCastable,
}

impl ColumnProblemCode {
    /// Snake-case name, e.g. for a diagnostic's `reason`.
    pub fn as_str(self) -> &'static str {
        match self {
            ColumnProblemCode::Missing => "missing_column",
            ColumnProblemCode::Ambiguous => "ambiguous_column",
            ColumnProblemCode::NotCastable => "type_not_castable",
        }
    }
}

/// One violation of the column contract. `Display` gives a message naming the column and both types.
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnProblem {
    /// What is wrong.
    pub code: ColumnProblemCode,
    /// The declared column name.
    pub column: String,
    /// The declared type.
    pub expected: PropertyType,
    /// The type the query produces, when a column was found.
    pub actual: Option<DataType>,
}

impl fmt::Display for ColumnProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.code, &self.actual) {
            (ColumnProblemCode::Missing, _) => write!(
                f,
                "column '{}' ({}) is not produced by the query",
                self.column, self.expected
            ),
            (ColumnProblemCode::Ambiguous, _) => write!(
                f,
                "column '{}' ({}) matches several result columns that differ only in case",
                self.column, self.expected
            ),
            (ColumnProblemCode::NotCastable, Some(actual)) => write!(
                f,
                "column '{}' has type {} which cannot be cast to the declared type {}",
                self.column, actual, self.expected
            ),
            (ColumnProblemCode::NotCastable, None) => write!(
                f,
                "column '{}' cannot be cast to the declared type {}",
                self.column, self.expected
            ),
        }
    }
}

/// Failure to conform a batch at export.
#[derive(Debug, thiserror::Error)]
pub enum ConformError {
    /// The batch does not satisfy the contract (column missing, ambiguous or of an uncastable type).
    #[error("{0}")]
    Contract(ColumnProblem),
    /// A value could not be cast to the declared type.
    #[error("column '{column}': cannot cast value to {expected}: {message}")]
    Cast {
        /// The declared column name.
        column: String,
        /// The declared type.
        expected: PropertyType,
        /// What the cast reported.
        message: String,
    },
}

/// The Arrow type a declared property type is stored as in snapshots.
pub fn arrow_type(ty: PropertyType) -> DataType {
    match ty {
        PropertyType::Scalar(s) => scalar_arrow_type(s),
        PropertyType::List(s) => {
            DataType::List(Arc::new(Field::new_list_field(scalar_arrow_type(s), true)))
        }
    }
}

fn scalar_arrow_type(s: ScalarType) -> DataType {
    match s {
        ScalarType::String | ScalarType::Uuid => DataType::Utf8,
        ScalarType::Int64 => DataType::Int64,
        ScalarType::Int32 => DataType::Int32,
        ScalarType::Int16 => DataType::Int16,
        ScalarType::Int8 => DataType::Int8,
        ScalarType::Double => DataType::Float64,
        ScalarType::Float => DataType::Float32,
        ScalarType::Bool => DataType::Boolean,
        ScalarType::Date => DataType::Date32,
        ScalarType::Timestamp => DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
        ScalarType::Blob => DataType::Binary,
    }
}

/// Checks a result schema against the declared columns: every declared column must be present
/// (by name, case-insensitively; an exact-case match wins) with a type castable to the declared
/// one. Order does not matter and extra columns are ignored. Returns every problem, not the first.
pub fn check_columns(schema: &Schema, expected: &[ExpectedColumn]) -> Vec<ColumnProblem> {
    expected
        .iter()
        .filter_map(|col| match find_column(schema, &col.name) {
            Err(code) => Some(ColumnProblem {
                code,
                column: col.name.clone(),
                expected: col.ty,
                actual: None,
            }),
            Ok(index) => {
                let actual = schema.field(index).data_type();
                (!castable(actual, col.ty)).then(|| ColumnProblem {
                    code: ColumnProblemCode::NotCastable,
                    column: col.name.clone(),
                    expected: col.ty,
                    actual: Some(actual.clone()),
                })
            }
        })
        .collect()
}

/// The index of the result column matching `name`: exact spelling first, else the only
/// case-insensitive match.
fn find_column(schema: &Schema, name: &str) -> Result<usize, ColumnProblemCode> {
    if let Some(i) = schema.fields().iter().position(|f| f.name() == name) {
        return Ok(i);
    }
    let mut matches = schema
        .fields()
        .iter()
        .enumerate()
        .filter(|(_, f)| f.name().eq_ignore_ascii_case(name))
        .map(|(i, _)| i);
    match (matches.next(), matches.next()) {
        (Some(i), None) => Ok(i),
        (Some(_), Some(_)) => Err(ColumnProblemCode::Ambiguous),
        (None, _) => Err(ColumnProblemCode::Missing),
    }
}

/// Whether values of Arrow type `from` can be cast to the declared type. Deliberately stricter
/// than SQL: text may become anything scalar (checked value by value at export), numbers become
/// numbers or text, temporal values become dates, timestamps or text; floats never silently
/// become booleans, bytes never become numbers.
pub fn castable(from: &DataType, to: PropertyType) -> bool {
    match to {
        PropertyType::Scalar(s) => scalar_castable(from, s),
        PropertyType::List(s) => match from {
            DataType::Null => true,
            DataType::List(f)
            | DataType::LargeList(f)
            | DataType::ListView(f)
            | DataType::LargeListView(f)
            | DataType::FixedSizeList(f, _) => scalar_castable(f.data_type(), s),
            DataType::Dictionary(_, value) => castable(value, to),
            _ => false,
        },
    }
}

fn scalar_castable(from: &DataType, to: ScalarType) -> bool {
    use DataType as D;
    let from = match from {
        D::Dictionary(_, value) => value.as_ref(),
        other => other,
    };
    let is_text = matches!(from, D::Utf8 | D::LargeUtf8 | D::Utf8View);
    let is_int = from.is_integer();
    let is_numeric = from.is_numeric();
    let is_temporal = matches!(from, D::Date32 | D::Date64 | D::Timestamp(_, _));
    if matches!(from, D::Null) || is_text {
        return true;
    }
    match to {
        ScalarType::String => {
            is_numeric || is_temporal || matches!(from, D::Boolean | D::FixedSizeBinary(16))
        }
        ScalarType::Int64 | ScalarType::Int32 | ScalarType::Int16 | ScalarType::Int8 => {
            is_int
                || matches!(
                    from,
                    D::Decimal32(_, _)
                        | D::Decimal64(_, _)
                        | D::Decimal128(_, _)
                        | D::Decimal256(_, _)
                        | D::Boolean
                )
        }
        ScalarType::Double | ScalarType::Float => is_numeric,
        ScalarType::Bool => matches!(from, D::Boolean) || is_int,
        ScalarType::Date | ScalarType::Timestamp => is_temporal,
        ScalarType::Blob => matches!(
            from,
            D::Binary | D::LargeBinary | D::BinaryView | D::FixedSizeBinary(_)
        ),
        ScalarType::Uuid => matches!(from, D::FixedSizeBinary(16)),
    }
}

/// Turns a query result batch into exactly the declared columns: selected in the given order,
/// renamed to the declared spelling, and cast to [`arrow_type`] of each declared type. Any
/// value that does not cast is an error naming the column (the export then fails `INVALID_DATA`).
pub fn conform_batch(
    batch: &RecordBatch,
    expected: &[ExpectedColumn],
) -> Result<RecordBatch, ConformError> {
    let schema = batch.schema();
    let mut fields = Vec::with_capacity(expected.len());
    let mut columns: Vec<ArrayRef> = Vec::with_capacity(expected.len());
    for col in expected {
        let index = find_column(&schema, &col.name).map_err(|code| {
            ConformError::Contract(ColumnProblem {
                code,
                column: col.name.clone(),
                expected: col.ty,
                actual: None,
            })
        })?;
        let source = batch.column(index);
        if !castable(source.data_type(), col.ty) {
            return Err(ConformError::Contract(ColumnProblem {
                code: ColumnProblemCode::NotCastable,
                column: col.name.clone(),
                expected: col.ty,
                actual: Some(source.data_type().clone()),
            }));
        }
        let target = arrow_type(col.ty);
        let cast_error = |message: String| ConformError::Cast {
            column: col.name.clone(),
            expected: col.ty,
            message,
        };
        let converted = conform_array(source, col.ty, &target).map_err(cast_error)?;
        fields.push(Field::new(&col.name, target, true));
        columns.push(converted);
    }
    let options =
        arrow::record_batch::RecordBatchOptions::new().with_row_count(Some(batch.num_rows()));
    RecordBatch::try_new_with_options(Arc::new(Schema::new(fields)), columns, &options).map_err(
        |e| ConformError::Cast {
            column: String::new(),
            expected: PropertyType::Scalar(ScalarType::String),
            message: e.to_string(),
        },
    )
}

fn conform_array(
    source: &ArrayRef,
    ty: PropertyType,
    target: &DataType,
) -> Result<ArrayRef, String> {
    let options = CastOptions {
        safe: false,
        format_options: FormatOptions::default(),
    };
    match (ty, source.data_type()) {
        (
            PropertyType::Scalar(ScalarType::Uuid | ScalarType::String),
            DataType::FixedSizeBinary(16),
        ) => Ok(Arc::new(uuid_strings(source.as_fixed_size_binary()))),
        (PropertyType::Scalar(ScalarType::Uuid), _) => {
            let text =
                cast_with_options(source, &DataType::Utf8, &options).map_err(|e| e.to_string())?;
            let strings = text.as_string::<i32>();
            if let Some(bad) = strings.iter().flatten().find(|s| !is_uuid(s)) {
                return Err(format!("'{}' is not a UUID", truncate(bad)));
            }
            Ok(Arc::new(StringArray::from_iter(
                strings.iter().map(|s| s.map(str::to_ascii_lowercase)),
            )))
        }
        _ => cast_with_options(source, target, &options).map_err(|e| e.to_string()),
    }
}

fn uuid_strings(array: &FixedSizeBinaryArray) -> StringArray {
    array
        .iter()
        .map(|value| {
            value.map(|bytes| {
                let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
                format!(
                    "{}-{}-{}-{}-{}",
                    &hex[0..8],
                    &hex[8..12],
                    &hex[12..16],
                    &hex[16..20],
                    &hex[20..32]
                )
            })
        })
        .collect()
}

/// Whether `s` is an RFC 4122 textual UUID (8-4-4-4-12 hex digits).
fn is_uuid(s: &str) -> bool {
    let bytes = s.as_bytes();
    bytes.len() == 36
        && bytes.iter().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => *b == b'-',
            _ => b.is_ascii_hexdigit(),
        })
}

fn truncate(s: &str) -> String {
    s.chars().take(64).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{
        Date32Array, Float64Array, Int32Array, Int64Array, ListArray, TimestampMicrosecondArray,
    };
    use arrow::datatypes::Int32Type;

    fn ty(s: &str) -> PropertyType {
        PropertyType::parse(s).unwrap()
    }

    #[test]
    fn arrow_types_of_every_declared_type() {
        let cases = [
            ("STRING", DataType::Utf8),
            ("INT64", DataType::Int64),
            ("INT32", DataType::Int32),
            ("INT16", DataType::Int16),
            ("INT8", DataType::Int8),
            ("DOUBLE", DataType::Float64),
            ("FLOAT", DataType::Float32),
            ("BOOL", DataType::Boolean),
            ("DATE", DataType::Date32),
            (
                "TIMESTAMP",
                DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
            ),
            ("BLOB", DataType::Binary),
            ("UUID", DataType::Utf8),
        ];
        for (name, expected) in cases {
            assert_eq!(arrow_type(ty(name)), expected, "{name}");
        }
        match arrow_type(ty("LIST<INT32>")) {
            DataType::List(f) => assert_eq!(f.data_type(), &DataType::Int32),
            other => panic!("LIST<INT32> became {other}"),
        }
    }

    #[test]
    fn check_columns_matches_case_insensitively_ignores_order_and_extras() {
        let schema = Schema::new(vec![
            Field::new("EXTRA", DataType::Utf8, true),
            Field::new("Amount", DataType::Float64, true),
            Field::new("ID", DataType::Int64, false),
        ]);
        let expected = [
            ExpectedColumn::new("id", ty("STRING")),
            ExpectedColumn::new("amount", ty("DOUBLE")),
        ];
        assert!(check_columns(&schema, &expected).is_empty());
    }

    #[test]
    fn check_columns_reports_every_problem_with_both_types() {
        let schema = Schema::new(vec![
            Field::new("id", DataType::Float64, true),
            Field::new("blob", DataType::Binary, true),
        ]);
        let expected = [
            ExpectedColumn::new("id", ty("INT64")),
            ExpectedColumn::new("name", ty("STRING")),
            ExpectedColumn::new("blob", ty("DOUBLE")),
        ];
        let problems = check_columns(&schema, &expected);
        assert_eq!(problems.len(), 3, "{problems:?}");
        assert_eq!(problems[0].code, ColumnProblemCode::NotCastable);
        let message = problems[0].to_string();
        assert!(
            message.contains("'id'") && message.contains("Float64") && message.contains("INT64"),
            "{message}"
        );
        assert_eq!(problems[1].code, ColumnProblemCode::Missing);
        assert!(problems[1].to_string().contains("'name'"));
        assert_eq!(problems[2].code, ColumnProblemCode::NotCastable);
        assert_eq!(problems[2].actual, Some(DataType::Binary));
    }

    #[test]
    fn exact_case_wins_and_case_only_duplicates_are_ambiguous() {
        let schema = Schema::new(vec![
            Field::new("Id", DataType::Utf8, true),
            Field::new("id", DataType::Int64, true),
            Field::new("X", DataType::Int64, true),
            Field::new("x", DataType::Int64, true),
        ]);
        assert!(check_columns(&schema, &[ExpectedColumn::new("id", ty("INT64"))]).is_empty());
        let problems = check_columns(&schema, &[ExpectedColumn::new("ID", ty("INT64"))]);
        assert_eq!(problems[0].code, ColumnProblemCode::Ambiguous);
    }

    #[test]
    fn castability_rules() {
        let ts = DataType::Timestamp(TimeUnit::Nanosecond, None);
        assert!(castable(&DataType::Int32, ty("STRING")));
        assert!(castable(&DataType::Utf8, ty("INT64")));
        assert!(castable(&DataType::Decimal128(20, 0), ty("INT64")));
        assert!(castable(&DataType::Int64, ty("DOUBLE")));
        assert!(castable(&ts, ty("DATE")));
        assert!(castable(&DataType::Date32, ty("TIMESTAMP")));
        assert!(castable(&DataType::Null, ty("BLOB")));
        assert!(castable(&DataType::FixedSizeBinary(16), ty("UUID")));
        assert!(!castable(&DataType::Float64, ty("INT64")));
        assert!(!castable(&DataType::Binary, ty("INT64")));
        assert!(!castable(&DataType::Int64, ty("DATE")));
        assert!(!castable(&DataType::Int64, ty("LIST<INT64>")));
        let list = DataType::List(Arc::new(Field::new_list_field(DataType::Int32, true)));
        assert!(castable(&list, ty("LIST<INT64>")));
        assert!(!castable(&list, ty("INT64")));
    }

    #[test]
    fn conform_selects_renames_orders_and_casts() {
        let batch = RecordBatch::try_from_iter(vec![
            (
                "junk",
                Arc::new(Float64Array::from(vec![1.0, 2.0])) as ArrayRef,
            ),
            (
                "AMOUNT",
                Arc::new(Int32Array::from(vec![Some(5), None])) as ArrayRef,
            ),
            ("Id", Arc::new(Int64Array::from(vec![10, 20])) as ArrayRef),
            (
                "day",
                Arc::new(Date32Array::from(vec![0, 19000])) as ArrayRef,
            ),
            (
                "tags",
                Arc::new(ListArray::from_iter_primitive::<Int32Type, _, _>(vec![
                    Some(vec![Some(1)]),
                    None,
                ])) as ArrayRef,
            ),
        ])
        .unwrap();
        let expected = [
            ExpectedColumn::new("id", ty("STRING")),
            ExpectedColumn::new("amount", ty("DOUBLE")),
            ExpectedColumn::new("day", ty("TIMESTAMP")),
            ExpectedColumn::new("tags", ty("LIST<INT64>")),
        ];
        let out = conform_batch(&batch, &expected).unwrap();
        let names: Vec<_> = out
            .schema()
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .collect();
        assert_eq!(names, ["id", "amount", "day", "tags"]);
        for (field, col) in out.schema().fields().iter().zip(&expected) {
            assert_eq!(field.data_type(), &arrow_type(col.ty));
        }
        assert_eq!(out.column(0).as_string::<i32>().value(1), "20");
        assert!(out.column(1).is_null(1));
        let ts = out
            .column(2)
            .as_any()
            .downcast_ref::<TimestampMicrosecondArray>()
            .unwrap();
        assert_eq!(ts.value(1), 19000i64 * 86_400 * 1_000_000);
    }

    #[test]
    fn conform_fails_naming_the_column_on_a_bad_value() {
        let batch = RecordBatch::try_from_iter(vec![(
            "n",
            Arc::new(StringArray::from(vec!["1", "two"])) as ArrayRef,
        )])
        .unwrap();
        let err = conform_batch(&batch, &[ExpectedColumn::new("n", ty("INT64"))]).unwrap_err();
        assert!(
            matches!(&err, ConformError::Cast { column, .. } if column == "n"),
            "{err}"
        );
        let err =
            conform_batch(&batch, &[ExpectedColumn::new("missing", ty("INT64"))]).unwrap_err();
        assert!(err.to_string().contains("'missing'"), "{err}");
    }

    #[test]
    fn conform_uuid_from_bytes_and_validates_text() {
        let bytes = FixedSizeBinaryArray::try_from_iter(vec![[0x12u8; 16]].into_iter()).unwrap();
        let batch = RecordBatch::try_from_iter(vec![
            ("u", Arc::new(bytes) as ArrayRef),
            (
                "t",
                Arc::new(StringArray::from(vec![
                    "123E4567-E89B-12D3-A456-426614174000",
                ])) as ArrayRef,
            ),
        ])
        .unwrap();
        let out = conform_batch(
            &batch,
            &[
                ExpectedColumn::new("u", ty("UUID")),
                ExpectedColumn::new("t", ty("UUID")),
            ],
        )
        .unwrap();
        assert_eq!(
            out.column(0).as_string::<i32>().value(0),
            "12121212-1212-1212-1212-121212121212"
        );
        assert_eq!(
            out.column(1).as_string::<i32>().value(0),
            "123e4567-e89b-12d3-a456-426614174000"
        );
        let bad = RecordBatch::try_from_iter(vec![(
            "t",
            Arc::new(StringArray::from(vec!["nope"])) as ArrayRef,
        )])
        .unwrap();
        assert!(conform_batch(&bad, &[ExpectedColumn::new("t", ty("UUID"))]).is_err());
    }
}
