//! The engine crate's own Parquet footer reader (`graph_olap_engine::parquet_footer`, used to
//! inspect snapshot files before `COPY`) against the `parquet` crate, on files written the way
//! the export worker writes them (Arrow writer), flat and nested, and on damaged files.

use std::fs::File;
use std::path::Path;
use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, BooleanArray, Date32Array, Float64Array, Int32Array, Int64Array, ListBuilder,
    MapBuilder, StringArray, StringBuilder, StructArray, TimestampMicrosecondArray,
};
use arrow::datatypes::{DataType, Field};
use arrow::record_batch::RecordBatch;
use graph_olap_engine::parquet_footer::{self, Footer};
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;
use parquet::file::reader::{FileReader, SerializedFileReader};

/// What the `parquet` crate says about the file: rows and top-level column names.
/// Our footer read, checked equal to the `parquet` crate's reading of the same file.
fn read_as_the_parquet_crate_does(path: &Path) -> Footer {
    let footer = parquet_footer::read(path).unwrap();
    assert_eq!(footer, reference(path));
    footer
}

fn reference(path: &Path) -> Footer {
    let reader = SerializedFileReader::new(File::open(path).unwrap()).unwrap();
    let meta = reader.metadata().file_metadata();
    Footer {
        rows: u64::try_from(meta.num_rows()).unwrap(),
        columns: meta
            .schema_descr()
            .root_schema()
            .get_fields()
            .iter()
            .map(|f| f.name().to_string())
            .collect(),
    }
}

fn write(path: &Path, batches: &[RecordBatch], row_group_rows: usize) {
    let props = WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::default()))
        .set_max_row_group_row_count(Some(row_group_rows))
        .build();
    let mut writer = ArrowWriter::try_new(
        File::create(path).unwrap(),
        batches[0].schema(),
        Some(props),
    )
    .unwrap();
    for b in batches {
        writer.write(b).unwrap();
    }
    writer.close().unwrap();
}

/// Twenty flat columns of the types snapshots hold (more than 15 schema elements, so the
/// schema list's long header form is exercised), several row groups.
fn flat_batch(rows: usize) -> RecordBatch {
    let mut columns: Vec<(String, ArrayRef)> = Vec::new();
    for i in 0..4 {
        columns.push((
            format!("Int_{i}"),
            Arc::new(Int64Array::from_iter_values(
                (0..rows as i64).map(|v| v * i),
            )),
        ));
        columns.push((
            format!("text_{i}"),
            Arc::new(StringArray::from_iter_values(
                (0..rows).map(|v| format!("row {v}")),
            )),
        ));
        columns.push((
            format!("amount_{i}"),
            Arc::new(Float64Array::from_iter_values(
                (0..rows).map(|v| v as f64 / 3.0),
            )),
        ));
        columns.push((
            format!("flag_{i}"),
            Arc::new(BooleanArray::from_iter((0..rows).map(|v| Some(v % 2 == 0)))),
        ));
        columns.push((
            if i % 2 == 0 {
                format!("day_{i}")
            } else {
                format!("at_{i}")
            },
            if i % 2 == 0 {
                Arc::new(Date32Array::from_iter_values(
                    (0..rows as i32).map(|v| v % 9000),
                ))
            } else {
                Arc::new(TimestampMicrosecondArray::from_iter_values(
                    (0..rows as i64).map(|v| v * 1_000_000),
                ))
            },
        ));
    }
    RecordBatch::try_from_iter(columns).unwrap()
}

#[test]
fn flat_files_with_several_row_groups_match_the_parquet_crate() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("flat.parquet");
    write(&path, &[flat_batch(10_000), flat_batch(2_345)], 4_000);
    let footer = read_as_the_parquet_crate_does(&path);
    assert_eq!(footer.rows, 12_345);
    assert_eq!(footer.columns.len(), 20);
    assert_eq!(footer.columns[0], "Int_0");
}

#[test]
fn nested_columns_count_once_under_their_top_level_name() {
    let rows: usize = 500;
    let id: ArrayRef = Arc::new(Int64Array::from_iter_values(0..rows as i64));
    let mut tags = ListBuilder::new(StringBuilder::new());
    for i in 0..rows {
        for t in 0..i % 3 {
            tags.values().append_value(format!("t{t}"));
        }
        tags.append(true);
    }
    let tags: ArrayRef = Arc::new(tags.finish());
    let mut inner = ListBuilder::new(StringBuilder::new());
    for i in 0..rows {
        inner.values().append_value(format!("x{i}"));
        inner.append(true);
    }
    let inner = inner.finish();
    let info: ArrayRef = Arc::new(StructArray::from(vec![
        (
            Arc::new(Field::new("a", DataType::Int32, false)),
            Arc::new(Int32Array::from_iter_values(0..rows as i32)) as ArrayRef,
        ),
        (
            Arc::new(Field::new("b", inner.data_type().clone(), true)),
            Arc::new(inner) as ArrayRef,
        ),
    ]));
    let mut attrs = MapBuilder::new(None, StringBuilder::new(), Int64Array::builder(0));
    for i in 0..rows {
        attrs.keys().append_value("k");
        attrs.values().append_value(i as i64);
        attrs.append(true).unwrap();
    }
    let attrs: ArrayRef = Arc::new(attrs.finish());
    let last: ArrayRef = Arc::new(StringArray::from_iter_values(
        (0..rows).map(|v| v.to_string()),
    ));
    let batch = RecordBatch::try_from_iter(vec![
        ("id", id),
        ("tags", tags),
        ("info", info),
        ("attrs", attrs),
        ("last", last),
    ])
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested.parquet");
    write(&path, &[batch], 200);
    let footer = read_as_the_parquet_crate_does(&path);
    assert_eq!(footer.columns, ["id", "tags", "info", "attrs", "last"]);
    assert_eq!(footer.rows, 500);
}

#[test]
fn an_empty_file_has_zero_rows_and_its_columns() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("empty.parquet");
    write(&path, &[flat_batch(0)], 100);
    let footer = read_as_the_parquet_crate_does(&path);
    assert_eq!(footer.rows, 0);
}

#[test]
fn damaged_files_are_errors_not_panics() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.parquet");
    write(&good, &[flat_batch(300)], 100);
    let bytes = std::fs::read(&good).unwrap();

    let text = dir.path().join("text.parquet");
    std::fs::write(&text, "id,name\n1,a\n").unwrap();
    let e = parquet_footer::read(&text).unwrap_err();
    assert!(e.message.contains("no Parquet footer"), "{e}");

    let cut = dir.path().join("cut.parquet");
    std::fs::write(&cut, &bytes[..bytes.len() - 1]).unwrap();
    assert!(parquet_footer::read(&cut).is_err());

    let missing = dir.path().join("missing.parquet");
    let e = parquet_footer::read(&missing).unwrap_err();
    assert!(e.to_string().contains("missing.parquet"), "{e}");

    // A footer length beyond the file.
    let mut long = bytes.clone();
    let n = long.len();
    long[n - 8..n - 4].copy_from_slice(&u32::MAX.to_le_bytes());
    let path = dir.path().join("long.parquet");
    std::fs::write(&path, &long).unwrap();
    assert!(parquet_footer::read(&path).is_err());

    // Every single-byte change inside the metadata reads as something or fails cleanly; the
    // reader never panics or loops (the metadata is the bytes before the 8-byte tail).
    let meta_len = u32::from_le_bytes(bytes[n - 8..n - 4].try_into().unwrap()) as usize;
    let meta_start = n - 8 - meta_len;
    let path = dir.path().join("flipped.parquet");
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut failures = 0;
    for _ in 0..400 {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        let at = meta_start + (state >> 33) as usize % meta_len;
        let mut flipped = bytes.clone();
        flipped[at] ^= 1 << ((state >> 20) % 8);
        std::fs::write(&path, &flipped).unwrap();
        if parquet_footer::read(&path).is_err() {
            failures += 1;
        }
    }
    // Most flips land in statistics or offsets the reader skips; some break the structure.
    assert!(failures > 0, "no flip was detected as damage");
}
