//! Trajectories to training examples: the Qwen3 chat text, its token ids, and loss labels.
//!
//! The text is exactly what the reference template renders: ChatML with Hermes-style tools and no
//! think blocks (LLaMA-Factory's `qwen3_nothink`, equal to Qwen2.5's template; REFERENCE.md,
//! "Tokenizer and chat format"). Rendering first builds the whole string with the byte ranges that
//! carry loss, then tokenises the whole string at once, as `apply_chat_template` does: tokenising
//! turn by turn would split pre-tokens differently at turn boundaries.
//!
//! Loss follows LLaMA-Factory: in each trained assistant turn the content, the tool calls,
//! `<|im_end|>` and the newline after it carry loss; the `<|im_start|>assistant\n` header and every
//! other token do not. A token that straddles the edge of a trained range is trained (what
//! transformers' `return_assistant_tokens_mask` gives). With error masking on, an assistant turn
//! whose step was an execution-time error, or whose `turn_mask` is set, stays in the input but
//! gets no loss.

use std::ops::Range;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::curriculum::{Length, assign_tiers};
use crate::error::{Error, Result};
use crate::progress::Progress;
use crate::pyjson::python_json;
use crate::schema::{Message, Role, StepError, Trajectory};
use crate::tokenizer::Tokenizer;

/// The label of a position that carries no loss (PyTorch's `ignore_index`).
pub const IGNORE_INDEX: i64 = -100;

/// What to do with a sequence longer than `max_len`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Overlong {
    /// Leave it out and count it: half an agent trajectory teaches the wrong thing.
    #[default]
    Drop,
    /// Keep the first `max_len` tokens.
    Truncate,
}

/// How [`render_example`] and [`render_all`] turn a trajectory into an example.
#[derive(Debug, Clone, PartialEq)]
pub struct RenderOptions {
    /// No loss on error steps and on `turn_mask` turns (on by default).
    pub error_mask: bool,
    /// The longest sequence kept, in tokens; `None`: no limit.
    pub max_len: Option<usize>,
    /// What happens to a sequence longer than `max_len`.
    pub overlong: Overlong,
}

impl Default for RenderOptions {
    fn default() -> Self {
        RenderOptions {
            error_mask: true,
            max_len: None,
            overlong: Overlong::Drop,
        }
    }
}

/// The rendered chat text and where its loss is.
#[derive(Debug, Clone, PartialEq)]
pub struct ChatText {
    /// The whole chat text, as the reference template renders it.
    pub text: String,
    /// Byte ranges of `text` that carry loss, in order and disjoint.
    pub trained: Vec<Range<usize>>,
    /// The assistant turns of the trajectory and how many were masked.
    pub turns: TurnCounts,
}

/// Assistant turns of one trajectory, by what happened to their loss.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TurnCounts {
    /// All assistant turns.
    pub assistant: usize,
    /// Masked because the step was an execution-time error.
    pub masked_error: usize,
    /// Masked because the turn carried `turn_mask: true`.
    pub masked_turn_mask: usize,
}

/// One training example, aligned as Hugging Face datasets are: `labels[i]` is the target of the
/// logits at `i - 1` (the loss shifts), `-100` where there is no loss.
///
/// `assistant_turns` and `tier` are lego's additions for the curriculum; readers that know only
/// `instance_id`, `input_ids` and `labels` can ignore them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Example {
    /// The task the trajectory solved.
    pub instance_id: String,
    /// The token ids of the rendered chat.
    pub input_ids: Vec<u32>,
    /// The id where the token carries loss, [`IGNORE_INDEX`] elsewhere.
    pub labels: Vec<i64>,
    /// Assistant turns of the trajectory (its number of agent steps).
    #[serde(default)]
    pub assistant_turns: usize,
    /// Curriculum tier (0 = easiest), set when a whole set is rendered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tier: Option<usize>,
}

impl Example {
    /// The tokens that carry loss.
    pub fn trained_tokens(&self) -> usize {
        self.labels.iter().filter(|&&l| l != IGNORE_INDEX).count()
    }
}

/// The result of rendering one trajectory.
#[derive(Debug, Clone, PartialEq)]
pub struct Rendered {
    /// The task the trajectory solved.
    pub instance_id: String,
    /// `None` when the sequence was longer than `max_len` under [`Overlong::Drop`].
    pub example: Option<Example>,
    /// Token length of the whole rendered trajectory, before any truncation.
    pub len: usize,
    /// Trained tokens of the whole trajectory, before any truncation.
    pub trained: usize,
    /// The assistant turns and how many were masked.
    pub turns: TurnCounts,
    /// Cut to `max_len` under [`Overlong::Truncate`].
    pub truncated: bool,
}

/// Renders the chat text of `traj` with the ranges that carry loss.
pub fn render_chat(traj: &Trajectory, error_mask: bool) -> Result<ChatText> {
    let mut out = ChatText {
        text: String::new(),
        trained: Vec::new(),
        turns: TurnCounts::default(),
    };
    let messages = &traj.messages;
    let context = |i: usize| format!("{}: message {i}", traj.instance_id);

    let mut rest = &messages[..];
    if !traj.tools.is_empty() {
        out.text.push_str("<|im_start|>system\n");
        if let Some(first) = messages.first().filter(|m| m.role == Role::System) {
            out.text.push_str(&first.content);
            out.text.push_str("\n\n");
            rest = &messages[1..];
        }
        out.text.push_str(TOOLS_HEADER);
        for tool in &traj.tools {
            out.text.push('\n');
            out.text.push_str(&python_json(tool));
        }
        out.text.push_str(TOOLS_FOOTER);
    }
    let offset = messages.len() - rest.len();

    for (j, msg) in rest.iter().enumerate() {
        let i = j + offset;
        match msg.role {
            Role::System | Role::User => {
                if !msg.tool_calls.is_empty() {
                    return Err(Error::invalid(
                        context(i),
                        "only assistant messages carry tool calls",
                    ));
                }
                out.text.push_str("<|im_start|>");
                out.text.push_str(if msg.role == Role::System {
                    "system"
                } else {
                    "user"
                });
                out.text.push('\n');
                out.text.push_str(&msg.content);
                out.text.push_str("<|im_end|>\n");
            }
            Role::Assistant => {
                out.turns.assistant += 1;
                let masked = if !error_mask {
                    None
                } else if msg.turn_mask {
                    Some(MaskReason::TurnMask)
                } else {
                    step_error(msg).map(|_| MaskReason::Error)
                };
                match masked {
                    Some(MaskReason::TurnMask) => out.turns.masked_turn_mask += 1,
                    Some(MaskReason::Error) => out.turns.masked_error += 1,
                    None => {}
                }
                out.text.push_str("<|im_start|>assistant\n");
                let start = out.text.len();
                push_assistant_body(&mut out.text, msg);
                out.text.push_str("<|im_end|>\n");
                if masked.is_none() {
                    out.trained.push(start..out.text.len());
                }
            }
            Role::Tool => {
                let first_of_group = i == 0 || messages[i - 1].role != Role::Tool;
                let last_of_group = messages.get(i + 1).is_none_or(|m| m.role != Role::Tool);
                if first_of_group {
                    out.text.push_str("<|im_start|>user");
                }
                out.text.push_str("\n<tool_response>\n");
                out.text.push_str(&msg.content);
                out.text.push_str("\n</tool_response>");
                if last_of_group {
                    out.text.push_str("<|im_end|>\n");
                }
            }
        }
    }
    Ok(out)
}

/// Renders and tokenises `traj` into a training example.
pub fn render_example(
    traj: &Trajectory,
    tok: &Tokenizer,
    opts: &RenderOptions,
) -> Result<Rendered> {
    let chat = render_chat(traj, opts.error_mask)?;
    let (mut input_ids, offsets) = tok.encode_with_offsets(&chat.text)?;
    let mut labels = labels_from_ranges(&input_ids, &offsets, &chat.trained);
    let len = input_ids.len();
    let trained = labels.iter().filter(|&&l| l != IGNORE_INDEX).count();
    let mut rendered = Rendered {
        instance_id: traj.instance_id.clone(),
        example: None,
        len,
        trained,
        turns: chat.turns,
        truncated: false,
    };
    if let Some(max_len) = opts.max_len.filter(|&m| len > m) {
        match opts.overlong {
            Overlong::Drop => return Ok(rendered),
            Overlong::Truncate => {
                rendered.truncated = true;
                input_ids.truncate(max_len);
                labels.truncate(max_len);
            }
        }
    }
    rendered.example = Some(Example {
        instance_id: traj.instance_id.clone(),
        input_ids,
        labels,
        assistant_turns: chat.turns.assistant,
        tier: None,
    });
    Ok(rendered)
}

/// Renders a whole set on all cores (rayon's global pool), in input order, and assigns
/// curriculum tiers (over the kept examples) when `tiers` is given. `progress` advances by one
/// per trajectory rendered.
pub fn render_all(
    trajs: &[Trajectory],
    tok: &Tokenizer,
    opts: &RenderOptions,
    tiers: Option<usize>,
    progress: &dyn Progress,
) -> Result<Vec<Rendered>> {
    let _span = tracing::info_span!("render_all", trajectories = trajs.len()).entered();
    progress.set_total(trajs.len() as u64);
    // One trajectory per task: they differ in length by orders of magnitude, and rayon's work
    // stealing balances that where fixed chunks per thread did not.
    let mut rendered = trajs
        .par_iter()
        .map(|traj| {
            let _span = tracing::trace_span!("render", instance_id = %traj.instance_id).entered();
            let r = render_example(traj, tok, opts);
            progress.advance(1);
            r
        })
        .collect::<Result<Vec<_>>>()?;
    if let Some(tiers) = tiers {
        let kept: Vec<&mut Example> = rendered
            .iter_mut()
            .filter_map(|r| r.example.as_mut())
            .collect();
        let lengths: Vec<Length> = kept
            .iter()
            .map(|e| Length {
                tokens: e.input_ids.len(),
                assistant_turns: e.assistant_turns,
            })
            .collect();
        for (example, tier) in kept.into_iter().zip(assign_tiers(&lengths, tiers)) {
            example.tier = Some(tier);
        }
    }
    let dropped = rendered.iter().filter(|r| r.example.is_none()).count();
    let truncated = rendered.iter().filter(|r| r.truncated).count();
    tracing::debug!(
        rendered = rendered.len() - dropped,
        dropped,
        truncated,
        "rendered"
    );
    Ok(rendered)
}

#[derive(Debug, Clone, Copy)]
enum MaskReason {
    Error,
    TurnMask,
}

fn step_error(msg: &Message) -> Option<StepError> {
    msg.step.as_ref().and_then(|s| s.error)
}

const TOOLS_HEADER: &str = "# Tools\n\nYou may call one or more functions to assist with the user query.\n\nYou are provided with function signatures within <tools></tools> XML tags:\n<tools>";
const TOOLS_FOOTER: &str = "\n</tools>\n\nFor each function call, return a json object with function name and arguments within <tool_call></tool_call> XML tags:\n<tool_call>\n{\"name\": <function-name>, \"arguments\": <args-json-object>}\n</tool_call><|im_end|>\n";

/// Content, then each tool call in Hermes form; arguments that are a JSON object are written as
/// Python's `json.dumps` writes them (the template's `tojson`), anything else as the model wrote it.
fn push_assistant_body(text: &mut String, msg: &Message) {
    text.push_str(&msg.content);
    for (k, call) in msg.tool_calls.iter().enumerate() {
        if k > 0 || !msg.content.is_empty() {
            text.push('\n');
        }
        text.push_str("<tool_call>\n{\"name\": \"");
        text.push_str(&call.function.name);
        text.push_str("\", \"arguments\": ");
        match serde_json::from_str::<Value>(&call.function.arguments) {
            Ok(args @ Value::Object(_)) => text.push_str(&python_json(&args)),
            _ => text.push_str(&call.function.arguments),
        }
        text.push_str("}\n</tool_call>");
    }
}

/// Labels from the trained byte ranges: a token is trained when its bytes overlap a range.
fn labels_from_ranges(
    ids: &[u32],
    offsets: &[(usize, usize)],
    trained: &[Range<usize>],
) -> Vec<i64> {
    let mut labels = Vec::with_capacity(ids.len());
    let mut r = 0;
    for (&id, &(start, end)) in ids.iter().zip(offsets) {
        while r < trained.len() && trained[r].end <= start {
            r += 1;
        }
        let overlaps = r < trained.len() && trained[r].start < end.max(start + 1);
        labels.push(if overlaps {
            i64::from(id)
        } else {
            IGNORE_INDEX
        });
    }
    labels
}

#[cfg(test)]
mod tests;
