//! `lego data export`: rendered, masked, tokenised examples in the shape TRL's `SFTTrainer` and
//! LLaMA-Factory train on, token for token and mask for mask what `lego sft train` trains on.
//!
//! Both formats are a `datasets` `DatasetDict` directory (see `hf_dataset`) with one `train`
//! split, one row per example, in the input's order:
//!
//! - `trl`: `input_ids`, `labels` (aligned with `input_ids`, -100 where no loss; the model
//!   shifts) and `assistant_masks` (1 where `labels` is not -100). TRL 1.x takes a `labels`
//!   column as is, packed or not; earlier releases dropped `labels` when packing and masked
//!   through `assistant_masks` instead, which gives the same positions.
//! - `llamafactory`: `input_ids`, `attention_mask` (all 1), `labels`: what LLaMA-Factory's
//!   supervised preprocessing writes, loaded through `tokenized_path`, which skips its own
//!   template, tokenisation and cutoff.
//!
//! Next to the split, `lego-export.json` records the format, the source and, per row, the
//! instance id and tier; the frameworks ignore it.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::ValueEnum;
use lego_data::Example;
use serde_json::json;

use crate::hf_dataset::{Split, write_dataset_dict};

/// File beside the dataset describing what was exported.
pub const MANIFEST: &str = "lego-export.json";

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// TRL's `SFTTrainer`: `load_from_disk(OUT)["train"]`.
    Trl,
    /// LLaMA-Factory: `tokenized_path: OUT`.
    Llamafactory,
}

impl Format {
    pub fn name(self) -> &'static str {
        match self {
            Format::Trl => "trl",
            Format::Llamafactory => "llamafactory",
        }
    }
}

/// What an export wrote.
#[derive(Debug)]
pub struct Exported {
    pub rows: usize,
    pub tokens: usize,
    pub trained: usize,
}

/// Writes `examples` to `out` in `format`. An existing `out` is replaced only when it holds an
/// earlier export (its manifest) or nothing.
pub fn export(examples: &[Example], format: Format, source: &Path, out: &Path) -> Result<Exported> {
    let mut ids = Vec::with_capacity(examples.len());
    let mut labels = Vec::with_capacity(examples.len());
    let mut masks = Vec::with_capacity(examples.len());
    for e in examples {
        let (i, l, m) = columns(e)?;
        ids.push(i);
        labels.push(l);
        masks.push(m);
    }
    let tokens: usize = ids.iter().map(Vec::len).sum();
    let trained: usize = examples.iter().map(Example::trained_tokens).sum();
    let columns = match format {
        Format::Trl => vec![
            ("input_ids", ids),
            ("labels", labels),
            ("assistant_masks", masks),
        ],
        Format::Llamafactory => {
            let ones = ids.iter().map(|r| vec![1; r.len()]).collect();
            vec![
                ("input_ids", ids),
                ("attention_mask", ones),
                ("labels", labels),
            ]
        }
    };
    let column_names: Vec<&str> = columns.iter().map(|(n, _)| *n).collect();
    let manifest = json!({
        "format": format.name(),
        "source": source,
        "split": "train",
        "columns": column_names,
        "rows": examples.len(),
        "tokens": tokens,
        "trained_tokens": trained,
        "instance_ids": examples.iter().map(|e| e.instance_id.as_str()).collect::<Vec<_>>(),
        "tiers": examples.iter().map(|e| e.tier).collect::<Vec<_>>(),
    });

    // Written beside `out` and renamed into place: a directory at `out` is a whole export.
    let parent = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent)
        .with_context(|| format!("cannot create {}", parent.display()))?;
    let tmp = temp_sibling(out);
    if tmp.exists() {
        std::fs::remove_dir_all(&tmp)
            .with_context(|| format!("cannot remove {}", tmp.display()))?;
    }
    let written = write_dataset_dict(
        &tmp,
        &[Split {
            name: "train",
            columns,
        }],
    )
    .and_then(|()| {
        std::fs::write(tmp.join(MANIFEST), serde_json::to_string_pretty(&manifest)?)
            .with_context(|| format!("cannot write {}", tmp.join(MANIFEST).display()))
    });
    if let Err(e) = written {
        let _ = std::fs::remove_dir_all(&tmp);
        return Err(e);
    }
    replace_dir(&tmp, out)?;
    Ok(Exported {
        rows: examples.len(),
        tokens,
        trained,
    })
}

/// `input_ids`, `labels` and the 0/1 loss mask of one example, checked: the two frameworks
/// express "no loss" either way, so a trained label must be its own input token.
fn columns(e: &Example) -> Result<(Vec<i32>, Vec<i32>, Vec<i32>)> {
    if e.input_ids.len() != e.labels.len() {
        bail!(
            "example {}: {} input ids but {} labels",
            e.instance_id,
            e.input_ids.len(),
            e.labels.len()
        );
    }
    let mut ids = Vec::with_capacity(e.input_ids.len());
    let mut labels = Vec::with_capacity(e.labels.len());
    let mut mask = Vec::with_capacity(e.labels.len());
    for (pos, (&t, &l)) in e.input_ids.iter().zip(&e.labels).enumerate() {
        let t = i32::try_from(t)
            .with_context(|| format!("example {}: token id {t} out of range", e.instance_id))?;
        let trained = l != lego_data::IGNORE_INDEX;
        if trained && l != i64::from(t) {
            bail!(
                "example {}: label {l} at position {pos} is neither -100 nor the input token {t} (labels are aligned with input_ids)",
                e.instance_id
            );
        }
        ids.push(t);
        labels.push(if trained { t } else { -100 });
        mask.push(i32::from(trained));
    }
    Ok((ids, labels, mask))
}

fn temp_sibling(out: &Path) -> PathBuf {
    let name = out
        .file_name()
        .map_or_else(|| "export".into(), |n| n.to_string_lossy().into_owned());
    out.with_file_name(format!(".{name}.tmp-{}", std::process::id()))
}

fn replace_dir(tmp: &Path, out: &Path) -> Result<()> {
    if out.exists() {
        let holds_export = out.join(MANIFEST).is_file();
        let empty = std::fs::read_dir(out)
            .with_context(|| format!("cannot read {}", out.display()))?
            .next()
            .is_none();
        if !holds_export && !empty {
            let _ = std::fs::remove_dir_all(tmp);
            bail!(
                "{} exists and is not an earlier export (no {MANIFEST}); remove it or choose another --out",
                out.display()
            );
        }
        std::fs::remove_dir_all(out).with_context(|| format!("cannot remove {}", out.display()))?;
    }
    std::fs::rename(tmp, out)
        .with_context(|| format!("cannot move {} to {}", tmp.display(), out.display()))
}
