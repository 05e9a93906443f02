//! Shows which parts of a trajectory carry loss: renders the first bundled example trajectory in
//! the Qwen3 chat format and prints the text with trained spans in `[[...]]`.
//!
//! `cargo run -p lego-examples --example show_mask`

use lego_data::{annotate_steps, example_trajectories, render_chat};

fn main() -> anyhow::Result<()> {
    let mut traj = example_trajectories()
        .into_iter()
        .next()
        .expect("examples are bundled");
    annotate_steps(&mut traj);
    let chat = render_chat(&traj, true)?;
    let mut at = 0;
    for range in &chat.trained {
        print!(
            "{}[[{}]]",
            &chat.text[at..range.start],
            &chat.text[range.clone()]
        );
        at = range.end;
    }
    println!("{}", &chat.text[at..]);
    eprintln!(
        "{}: {} assistant turns, {} masked as errors, {} by turn_mask",
        traj.instance_id,
        chat.turns.assistant,
        chat.turns.masked_error,
        chat.turns.masked_turn_mask
    );
    Ok(())
}
