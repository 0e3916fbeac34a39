//! What a Parquet file's footer says about it — its row count and top-level column names —
//! read from the footer alone: the embedded engine's scanner reads the data to count rows
//! (a load inspects every snapshot file), and this crate stays free of an Arrow/Parquet
//! dependency (see `Cargo.toml`).
//!
//! A Parquet file ends with its metadata (a Thrift `FileMetaData` in the compact protocol), the
//! metadata's length (4 bytes, little-endian) and the magic `PAR1`. Of `FileMetaData` this reads
//! field 2 (`schema`: the flattened schema tree, each element's field 4 `name` and field 5
//! `num_children`) and field 3 (`num_rows`), and skips everything else by its wire type. Files
//! it cannot read (encrypted footers, damaged files) are reported as errors and the caller falls
//! back to the engine's own scanner.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

/// The row count and top-level columns of one Parquet file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Footer {
    /// Rows in the file.
    pub rows: u64,
    /// Top-level column names, in file order.
    pub columns: Vec<String>,
}

/// Why a footer could not be read: the file is missing, not Parquet, encrypted or damaged.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Parquet footer of {path}: {message}")]
pub struct FooterError {
    /// The file.
    pub path: String,
    /// What is wrong.
    pub message: String,
}

/// Metadata larger than this is not read (no file of ours comes near it).
const MAX_METADATA_BYTES: u64 = 64 << 20;

/// Reads the footer of the Parquet file at `path`.
pub fn read(path: &Path) -> Result<Footer, FooterError> {
    read_footer(path).map_err(|message| FooterError {
        path: path.display().to_string(),
        message,
    })
}

fn read_footer(path: &Path) -> Result<Footer, String> {
    let mut file = File::open(path).map_err(|e| e.to_string())?;
    let len = file.metadata().map_err(|e| e.to_string())?.len();
    if len < 12 {
        return Err("too short for a Parquet file".into());
    }
    let mut tail = [0u8; 8];
    file.seek(SeekFrom::End(-8)).map_err(|e| e.to_string())?;
    file.read_exact(&mut tail).map_err(|e| e.to_string())?;
    if &tail[4..] != b"PAR1" {
        return Err("no Parquet footer (or an encrypted one)".into());
    }
    let meta_len = u64::from(u32::from_le_bytes([tail[0], tail[1], tail[2], tail[3]]));
    if meta_len > MAX_METADATA_BYTES || meta_len + 8 > len {
        return Err(format!("footer length {meta_len} does not fit the file"));
    }
    let mut meta = vec![0u8; usize::try_from(meta_len).map_err(|e| e.to_string())?];
    file.seek(SeekFrom::End(
        -8 - i64::try_from(meta_len).map_err(|e| e.to_string())?,
    ))
    .map_err(|e| e.to_string())?;
    file.read_exact(&mut meta).map_err(|e| e.to_string())?;
    parse_file_metadata(&meta)
}

/// One schema element: its name and how many children it has.
struct Element {
    name: String,
    children: u64,
}

/// Parses a `FileMetaData` struct.
fn parse_file_metadata(bytes: &[u8]) -> Result<Footer, String> {
    let mut r = Reader { bytes, at: 0 };
    let mut rows = None;
    let mut schema = None;
    r.each_field(|r, id, ty| {
        match (id, ty) {
            (2, LIST) => {
                let (size, elem) = r.list_header()?;
                if elem != STRUCT {
                    return Err("schema is not a list of structs".into());
                }
                let mut elements = Vec::with_capacity(size.min(4096));
                for _ in 0..size {
                    elements.push(r.schema_element()?);
                }
                schema = Some(elements);
            }
            (3, I64) => rows = Some(r.varint_signed()?),
            _ => r.skip(ty)?,
        }
        Ok(())
    })?;
    let rows = rows.ok_or("no num_rows")?;
    let schema = schema.ok_or("no schema")?;
    Ok(Footer {
        rows: u64::try_from(rows).map_err(|_| format!("negative row count {rows}"))?,
        columns: top_level(&schema)?,
    })
}

/// The names of the root's children, skipping each child's own subtree (nested columns).
fn top_level(schema: &[Element]) -> Result<Vec<String>, String> {
    let root = schema.first().ok_or("empty schema")?;
    let mut names = Vec::new();
    let mut i = 1;
    for _ in 0..root.children {
        let child = schema.get(i).ok_or("schema shorter than its tree")?;
        names.push(child.name.clone());
        i = subtree_end(schema, i)?;
    }
    Ok(names)
}

/// The index just past the subtree rooted at `i`.
fn subtree_end(schema: &[Element], i: usize) -> Result<usize, String> {
    let mut next = i + 1;
    for _ in 0..schema
        .get(i)
        .ok_or("schema shorter than its tree")?
        .children
    {
        next = subtree_end(schema, next)?;
    }
    Ok(next)
}

// Compact-protocol wire types.
const TRUE: u8 = 1;
const FALSE: u8 = 2;
const I8: u8 = 3;
const I16: u8 = 4;
const I32: u8 = 5;
const I64: u8 = 6;
const DOUBLE: u8 = 7;
const BINARY: u8 = 8;
const LIST: u8 = 9;
const SET: u8 = 10;
const MAP: u8 = 11;
const STRUCT: u8 = 12;
const UUID: u8 = 13;

/// Nesting deeper than this is refused (a damaged file must not recurse without end).
const MAX_DEPTH: u32 = 64;

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn byte(&mut self) -> Result<u8, String> {
        let b = *self.bytes.get(self.at).ok_or("footer ends early")?;
        self.at += 1;
        Ok(b)
    }

    fn take(&mut self, n: usize) -> Result<&[u8], String> {
        let end = self.at.checked_add(n).filter(|e| *e <= self.bytes.len());
        let end = end.ok_or("footer ends early")?;
        let out = &self.bytes[self.at..end];
        self.at = end;
        Ok(out)
    }

    fn varint(&mut self) -> Result<u64, String> {
        let mut value = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            value |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err("varint too long".into())
    }

    fn varint_signed(&mut self) -> Result<i64, String> {
        let v = self.varint()?;
        // Zigzag: 0, -1, 1, -2, … encoded as 0, 1, 2, 3, …
        Ok((v >> 1) as i64 ^ -((v & 1) as i64))
    }

    fn length(&mut self) -> Result<usize, String> {
        usize::try_from(self.varint()?).map_err(|e| e.to_string())
    }

    /// `(size, element type)` of a list or set.
    fn list_header(&mut self) -> Result<(usize, u8), String> {
        let b = self.byte()?;
        let size = match b >> 4 {
            15 => self.length()?,
            small => usize::from(small),
        };
        Ok((size, b & 0x0f))
    }

    /// Calls `on_field(reader, id, type)` for every field of a struct up to its stop byte;
    /// `on_field` must consume the field's value.
    fn each_field(
        &mut self,
        mut on_field: impl FnMut(&mut Self, i16, u8) -> Result<(), String>,
    ) -> Result<(), String> {
        let mut last: i16 = 0;
        loop {
            let header = self.byte()?;
            let ty = header & 0x0f;
            if ty == 0 {
                return Ok(());
            }
            let delta = header >> 4;
            let id = if delta == 0 {
                i16::try_from(self.varint_signed()?).map_err(|e| e.to_string())?
            } else {
                last.checked_add(i16::from(delta))
                    .ok_or("field id overflow")?
            };
            last = id;
            on_field(self, id, ty)?;
        }
    }

    /// A `SchemaElement`: field 4 `name`, field 5 `num_children`; the rest skipped.
    fn schema_element(&mut self) -> Result<Element, String> {
        let mut name = None;
        let mut children = 0;
        self.each_field(|r, id, ty| {
            match (id, ty) {
                (4, BINARY) => {
                    let n = r.length()?;
                    name = Some(String::from_utf8_lossy(r.take(n)?).into_owned());
                }
                (5, I32) => {
                    children = u64::try_from(r.varint_signed()?)
                        .map_err(|_| "negative num_children".to_string())?;
                }
                _ => r.skip(ty)?,
            }
            Ok(())
        })?;
        Ok(Element {
            name: name.ok_or("schema element without a name")?,
            children,
        })
    }

    /// Skips one value of wire type `ty`.
    fn skip(&mut self, ty: u8) -> Result<(), String> {
        self.skip_at(ty, 0)
    }

    fn skip_at(&mut self, ty: u8, depth: u32) -> Result<(), String> {
        if depth > MAX_DEPTH {
            return Err("footer nested too deeply".into());
        }
        match ty {
            TRUE | FALSE => {}
            I8 => {
                self.byte()?;
            }
            I16 | I32 | I64 => {
                self.varint()?;
            }
            DOUBLE => {
                self.take(8)?;
            }
            UUID => {
                self.take(16)?;
            }
            BINARY => {
                let n = self.length()?;
                self.take(n)?;
            }
            LIST | SET => {
                let (size, elem) = self.list_header()?;
                for _ in 0..size {
                    // Booleans in a list are one byte each.
                    if elem == TRUE || elem == FALSE {
                        self.byte()?;
                    } else {
                        self.skip_at(elem, depth + 1)?;
                    }
                }
            }
            MAP => {
                let size = self.length()?;
                if size > 0 {
                    let kinds = self.byte()?;
                    for _ in 0..size {
                        self.skip_at(kinds >> 4, depth + 1)?;
                        self.skip_at(kinds & 0x0f, depth + 1)?;
                    }
                }
            }
            STRUCT => self.each_field(|r, _, t| r.skip_at(t, depth + 1))?,
            other => return Err(format!("unknown wire type {other}")),
        }
        Ok(())
    }
}
