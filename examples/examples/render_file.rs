//! Renders a trajectory file into training examples with any Hugging Face `tokenizer.json` and
//! prints, per trajectory, its tokens and how many carry loss (error steps are masked).
//!
//! `cargo run -p lego-examples --example render_file -- TOKENIZER.json TRAJECTORIES.jsonl`
//!
//! With no arguments it renders lego's bundled example trajectories with the tokenizer the
//! bootstrap built (`LEGO_TOKENIZER`, set by `eval "$(cargo xtask env)"`).

use anyhow::{Context, bail};
use lego_data::{
    NoProgress, ReadOptions, RenderOptions, Tokenizer, Trajectory, annotate_steps,
    example_trajectories, read_jsonl, render_all,
};

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (tokenizer, mut trajs) = match args.as_slice() {
        [tokenizer, trajectories] => {
            let (trajs, _) =
                read_jsonl::<Trajectory>(trajectories.as_ref(), &ReadOptions::default())
                    .with_context(|| format!("cannot read {trajectories}"))?;
            (tokenizer.clone(), trajs)
        }
        [] => {
            let Ok(tokenizer) = std::env::var("LEGO_TOKENIZER") else {
                bail!(
                    "usage: render_file TOKENIZER.json TRAJECTORIES.jsonl (or no arguments, \
                     with LEGO_TOKENIZER set: eval \"$(cargo xtask env)\")"
                );
            };
            (tokenizer, example_trajectories())
        }
        _ => bail!("usage: render_file TOKENIZER.json TRAJECTORIES.jsonl"),
    };
    // lego's own encoder where it reproduces the file exactly, the `tokenizers` crate otherwise.
    let tok = Tokenizer::from_file(tokenizer.as_ref())?;
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
