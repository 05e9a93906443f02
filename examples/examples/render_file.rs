//! Renders a trajectory file into training examples with any Hugging Face `tokenizer.json` and
//! prints, per trajectory, its tokens and how many carry loss (error steps are masked).
//!
//! `cargo run -p lego-examples --example render_file -- TOKENIZER.json TRAJECTORIES.jsonl`

use anyhow::{Context, bail};
use lego_data::{
    NoProgress, ReadOptions, RenderOptions, Tokenizer, Trajectory, annotate_steps, read_jsonl,
    render_all,
};

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [tokenizer, trajectories] = args.as_slice() else {
        bail!("usage: render_file TOKENIZER.json TRAJECTORIES.jsonl");
    };
    // lego's own encoder where it reproduces the file exactly, the `tokenizers` crate otherwise.
    let tok = Tokenizer::from_file(tokenizer.as_ref())?;
    let (mut trajs, _) = read_jsonl::<Trajectory>(trajectories.as_ref(), &ReadOptions::default())
        .with_context(|| format!("cannot read {trajectories}"))?;
    for traj in &mut trajs {
        // Marks the execution-time errors of each step, whose turns then get no loss.
        annotate_steps(traj);
    }
    // All cores; a program that shows progress passes its own `Progress` instead.
    let rendered = render_all(&trajs, &tok, &RenderOptions::default(), None, &NoProgress)?;
    for r in &rendered {
        println!("{}: {} tokens, {} trained", r.instance_id, r.len, r.trained);
    }
    eprintln!(
        "{} trajectories, {:?} backend",
        rendered.len(),
        tok.backend()
    );
    Ok(())
}
