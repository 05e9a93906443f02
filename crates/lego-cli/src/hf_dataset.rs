//! Hugging Face `datasets` directories written from Rust: what `DatasetDict.save_to_disk` writes
//! and `datasets.load_from_disk` (hence LLaMA-Factory's `tokenized_path`) reads back, memory-mapped,
//! with no conversion step.
//!
//! Layout: `dataset_dict.json` (`{"splits": ["train"]}`) and one directory per split holding
//! `data-0000i-of-0000n.arrow` shards (the Arrow IPC *stream* format `datasets` memory-maps, columns
//! `list<int32>`), `state.json` (the shard list, the split, a content fingerprint) and an empty
//! `dataset_info.json`: with no features written, every `datasets` version infers them from the
//! Arrow schema (`Sequence(Value("int32"))` in 2.x/3.x, `List(Value("int32"))` from 4.x), so one
//! directory loads under all of them.

use std::fs::File;
use std::io::BufWriter;
use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use arrow_array::{ArrayRef, Int32Array, ListArray, RecordBatch};
use arrow_buffer::OffsetBuffer;
use arrow_ipc::writer::StreamWriter;
use arrow_schema::{DataType, Field, Schema};
use serde_json::json;

/// One split's rows: named columns of integer sequences, every column one value per row.
#[derive(Debug)]
pub struct Split<'a> {
    pub name: &'a str,
    pub columns: Vec<(&'a str, Vec<Vec<i32>>)>,
}

/// About what `save_to_disk` puts in one shard (its `max_shard_size` default is 500 MB).
const SHARD_BYTES: usize = 500 << 20;
/// Rows per record batch, and a bound on the values of one list column in a batch (i32 offsets).
const BATCH_ROWS: usize = 1000;
const BATCH_VALUES: usize = 1 << 30;

/// Writes `splits` as a `DatasetDict` directory at `dir` (which must not exist yet).
pub fn write_dataset_dict(dir: &Path, splits: &[Split<'_>]) -> Result<()> {
    std::fs::create_dir(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let names: Vec<&str> = splits.iter().map(|s| s.name).collect();
    write_json(&dir.join("dataset_dict.json"), &json!({ "splits": names }))?;
    for split in splits {
        write_split(&dir.join(split.name), split)?;
    }
    Ok(())
}

fn write_split(dir: &Path, split: &Split<'_>) -> Result<()> {
    std::fs::create_dir(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let rows = split.columns.first().map_or(0, |(_, c)| c.len());
    for (name, column) in &split.columns {
        if column.len() != rows {
            bail!(
                "column `{name}` has {} rows, `{}` has {rows}",
                column.len(),
                split.columns[0].0
            );
        }
    }
    let schema = Arc::new(Schema::new(
        split
            .columns
            .iter()
            .map(|(name, _)| {
                Field::new(
                    *name,
                    DataType::List(Arc::new(Field::new_list_field(DataType::Int32, true))),
                    true,
                )
            })
            .collect::<Vec<_>>(),
    ));
    let row_bytes =
        |r: usize| -> usize { split.columns.iter().map(|(_, c)| 4 * c[r].len() + 4).sum() };
    let row_values = |r: usize| -> usize {
        split
            .columns
            .iter()
            .map(|(_, c)| c[r].len())
            .max()
            .unwrap_or(0)
    };

    // Shards by size, batches by rows and values.
    let mut shards: Vec<std::ops::Range<usize>> = Vec::new();
    let mut start = 0;
    let mut bytes = 0;
    for r in 0..rows {
        let b = row_bytes(r);
        if r > start && bytes + b > SHARD_BYTES {
            shards.push(start..r);
            start = r;
            bytes = 0;
        }
        bytes += b;
    }
    shards.push(start..rows);

    let n = shards.len();
    let mut files = Vec::with_capacity(n);
    let mut hash = Fnv::new();
    for (i, shard) in shards.into_iter().enumerate() {
        let name = format!("data-{i:05}-of-{n:05}.arrow");
        let path = dir.join(&name);
        let file =
            File::create(&path).with_context(|| format!("cannot create {}", path.display()))?;
        let mut writer = StreamWriter::try_new(BufWriter::new(file), &schema)
            .with_context(|| format!("cannot write {}", path.display()))?;
        let mut b_start = shard.start;
        while b_start < shard.end {
            let mut b_end = b_start;
            let mut values = 0;
            while b_end < shard.end && b_end - b_start < BATCH_ROWS {
                let v = row_values(b_end);
                if b_end > b_start && values + v > BATCH_VALUES {
                    break;
                }
                values += v;
                b_end += 1;
            }
            let arrays: Vec<ArrayRef> = split
                .columns
                .iter()
                .map(|(_, c)| list_array(&c[b_start..b_end], &mut hash))
                .collect::<Result<_>>()?;
            let batch = RecordBatch::try_new(schema.clone(), arrays)
                .with_context(|| format!("cannot build a record batch for {}", path.display()))?;
            writer
                .write(&batch)
                .with_context(|| format!("cannot write {}", path.display()))?;
            b_start = b_end;
        }
        writer
            .finish()
            .with_context(|| format!("cannot write {}", path.display()))?;
        files.push(json!({ "filename": name }));
    }
    // `datasets` keys its `.map` caches by the fingerprint: it must change with the content.
    write_json(
        &dir.join("state.json"),
        &json!({
            "_data_files": files,
            "_fingerprint": format!("{:016x}", hash.0),
            "_format_columns": null,
            "_format_kwargs": {},
            "_format_type": null,
            "_output_all_columns": false,
            "_split": split.name,
        }),
    )?;
    write_json(&dir.join("dataset_info.json"), &json!({}))
}

fn list_array(rows: &[Vec<i32>], hash: &mut Fnv) -> Result<ArrayRef> {
    let mut values = Vec::with_capacity(rows.iter().map(Vec::len).sum());
    for row in rows {
        hash.feed(&(row.len() as u64).to_le_bytes());
        for v in row {
            hash.feed(&v.to_le_bytes());
        }
        values.extend_from_slice(row);
    }
    let offsets = OffsetBuffer::<i32>::from_lengths(rows.iter().map(Vec::len));
    let array = ListArray::try_new(
        Arc::new(Field::new_list_field(DataType::Int32, true)),
        offsets,
        Arc::new(Int32Array::from(values)),
        None,
    )?;
    Ok(Arc::new(array))
}

fn write_json(path: &Path, value: &serde_json::Value) -> Result<()> {
    let text = serde_json::to_string_pretty(value)?;
    std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))
}

/// FNV-1a, 64 bits: a content fingerprint, not a defence against anyone.
struct Fnv(u64);

impl Fnv {
    fn new() -> Self {
        Self(0xcbf2_9ce4_8422_2325)
    }

    fn feed(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 ^= u64::from(*b);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }
}
