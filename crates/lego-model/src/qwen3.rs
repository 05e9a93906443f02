//! The Qwen3 decoder (transformers `models/qwen3/modeling_qwen3.py`) on libtorch.
//!
//! Pre-norm decoder layers: `h = x + attn(input_layernorm(x))`, `y = h + mlp(post_attention_layernorm(h))`,
//! then `model.norm` and `lm_head` (tied to `embed_tokens` when `tie_word_embeddings`).
//! Attention has per-head RMS norms on queries and keys (before RoPE), grouped-query heads and
//! non-interleaved ("rotate half") RoPE whose cos/sin carry the attention factor (YaRN's mscale).
//! RMS norms compute in f32 and cast back before the weight, as transformers does, so bf16 weights
//! keep f32 norms; softmax runs inside `scaled_dot_product_attention` (f32 accumulation) and the
//! loss upcasts logits to f32.
//!
//! Every layer is built by `new(vs, cfg)` with variable paths equal to the Hugging Face keys, so a
//! `VarStore` loads and saves HF checkpoints as they are.
//!
//! Tensor operations inside the layers use tch's panicking forms: the public entry points check
//! the shapes and kinds of their inputs first, so what is left to fail is libtorch itself
//! (out of memory, a device error), which is not recoverable here.

use tch::{Device, Kind, Tensor, nn};

use crate::config::{Qwen3Config, RopeScaling};
use crate::error::{Error, Result, torch};
use crate::rope::{dynamic_inv_freq, inv_freq};

/// The label that [`Qwen3::loss_sum`] ignores, as in PyTorch's `cross_entropy`.
pub const IGNORE_INDEX: i64 = -100;

/// Qwen3 for causal language modelling (`Qwen3ForCausalLM`).
#[derive(Debug)]
pub struct Qwen3 {
    embed_tokens: Tensor,
    layers: Vec<DecoderLayer>,
    norm: RmsNorm,
    /// `[vocab, hidden]`; the embedding matrix itself when tied.
    lm_head: Tensor,
    rope: Rope,
    config: Qwen3Config,
}

/// How attention is masked, beyond what the caller's layout implies.
pub(crate) enum Mask<'a> {
    /// Plain causal attention over the whole row (query and key lengths equal).
    Causal,
    /// No mask: every query sees every key (one new token per row, no padding).
    None,
    /// An explicit boolean mask broadcastable to `[B, heads, T, keys]`, `true` = may attend.
    Explicit(&'a Tensor),
    /// Per row, the `(start, len)` spans of its documents: causal attention within each span
    /// only, computed span by span so that no `[T, T]` mask exists (at 128k tokens it would
    /// take 16 GiB). Not with a cache.
    Segments(&'a [Vec<(i64, i64)>]),
}

/// How new variables are filled.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Fill {
    /// As transformers' `_init_weights`: normal(0, std) for linear and embedding weights, ones
    /// for norms.
    Random { std: f64 },
    /// Memory left as allocated (no fill): every variable is overwritten by a checkpoint
    /// before use, and a checkpoint that misses one is an error, so writing zeros first would
    /// only cost a pass over the whole model.
    Empty,
}

impl Qwen3 {
    /// Creates the model's variables under `vs` (the root of a `VarStore`), initialised as
    /// transformers initialises a fresh Qwen3: normal(0, `initializer_range`, default 0.02) for
    /// linear and embedding weights, ones for the norms.
    pub fn new(vs: nn::Path, cfg: &Qwen3Config) -> Result<Self> {
        let std = cfg
            .extra
            .get("initializer_range")
            .and_then(|v| v.as_f64())
            .unwrap_or(0.02);
        Self::build(vs, cfg, Fill::Random { std })
    }

    pub(crate) fn build(vs: nn::Path, cfg: &Qwen3Config, fill: Fill) -> Result<Self> {
        let m = &vs / "model";
        let (vocab, hidden) = (cfg.vocab_size as i64, cfg.hidden_size as i64);
        let embed_tokens = var(&(&m / "embed_tokens"), &[vocab, hidden], fill)?;
        let layers = (0..cfg.num_hidden_layers)
            .map(|i| DecoderLayer::new(&m / "layers" / i, cfg, fill))
            .collect::<Result<Vec<_>>>()?;
        let norm = RmsNorm::new(&m / "norm", hidden, cfg.rms_norm_eps, fill)?;
        let lm_head = if cfg.tie_word_embeddings {
            embed_tokens.shallow_clone()
        } else {
            var(&(&vs / "lm_head"), &[vocab, hidden], fill)?
        };
        Ok(Self {
            embed_tokens,
            layers,
            norm,
            lm_head,
            rope: Rope::new(cfg, vs.device()),
            config: cfg.clone(),
        })
    }

    /// The config the network was built from.
    pub fn config(&self) -> &Qwen3Config {
        &self.config
    }

    /// Where the weights live.
    pub fn device(&self) -> Device {
        self.embed_tokens.device()
    }

    /// The kind of the weights (`Float` or `BFloat16`).
    pub fn kind(&self) -> Kind {
        self.embed_tokens.kind()
    }

    /// Final hidden states `[B, T, hidden]` (after `model.norm`) of a batch of packed rows.
    ///
    /// `input_ids` and `positions` are `[B, T]` integer tensors. A row may hold several
    /// documents: `positions` restart at 0 for each (they drive RoPE), and `segment_ids`
    /// (`[B, T]`, one id per document; a document is a run of equal ids, so two neighbours need
    /// different ids) make attention block-diagonal and causal so that no document sees another.
    /// Attention then runs document by document, with memory linear in the row length. Without `segment_ids` each row is one causal
    /// sequence. Padding is a segment of its own; its outputs are meaningless and should carry
    /// the label [`IGNORE_INDEX`].
    pub fn forward(
        &self,
        input_ids: &Tensor,
        positions: &Tensor,
        segment_ids: Option<&Tensor>,
    ) -> Result<Tensor> {
        let (b, t) = check_ids(input_ids, "input_ids")?;
        let (pb, pt) = check_ids(positions, "positions")?;
        if (pb, pt) != (b, t) {
            return Err(Error::Input(format!(
                "positions are [{pb}, {pt}] but input_ids are [{b}, {t}]"
            )));
        }
        match segment_ids {
            None => self.forward_masked(input_ids, positions, Mask::Causal, None),
            Some(seg) => {
                let shape = check_ids(seg, "segment_ids")?;
                if shape != (b, t) {
                    return Err(Error::Input(format!(
                        "segment_ids are {shape:?} but input_ids are [{b}, {t}]"
                    )));
                }
                let spans = segment_spans(seg)?;
                self.forward_masked(input_ids, positions, Mask::Segments(&spans), None)
            }
        }
    }

    /// The shared body of [`Qwen3::forward`] and generation: embeddings, layers (reading and
    /// extending `cache` when given), final norm.
    pub(crate) fn forward_masked(
        &self,
        input_ids: &Tensor,
        positions: &Tensor,
        mask: Mask<'_>,
        mut cache: Option<&mut KvCache>,
    ) -> Result<Tensor> {
        let (cos, sin) = self.rope.cos_sin(positions, self.kind())?;
        let ids = input_ids.to_device(self.device());
        let mut x = Tensor::embedding(&self.embed_tokens, &ids, -1, false, false);
        for (i, layer) in self.layers.iter().enumerate() {
            let layer_cache = cache.as_deref_mut().map(|c| (c, i));
            x = layer.forward(&x, &cos, &sin, &mask, layer_cache);
        }
        if let Some(cache) = cache {
            cache.len += input_ids.size()[1];
        }
        Ok(self.norm.forward(&x))
    }

    /// Logits `[..., vocab]` in f32 of hidden states `[..., hidden]`. For long sequences
    /// project only what is needed (the last position when decoding) or use
    /// [`Qwen3::loss_sum`].
    pub fn logits(&self, hidden: &Tensor) -> Tensor {
        hidden
            .linear::<Tensor>(&self.lm_head, None)
            .to_kind(Kind::Float)
    }

    /// Summed cross-entropy (f32 scalar tensor) and the number of counted tokens, projecting
    /// `chunk` tokens at a time through `lm_head` so `[tokens, vocab]` logits never exist at once
    /// in the forward pass.
    ///
    /// `labels` (`[B, T]`, or any shape with as many elements as `hidden` has tokens) are
    /// **already shifted** by the caller: `labels[t]` is the token hidden state `t` must predict,
    /// [`IGNORE_INDEX`] where nothing is predicted (prompt, padding, the last token of each packed
    /// document). The result is differentiable, but autograd keeps every chunk's softmax for the
    /// backward pass; to train at long context use [`Qwen3::loss_backward`], which frees each
    /// chunk before the next.
    pub fn loss_sum(&self, hidden: &Tensor, labels: &Tensor, chunk: i64) -> Result<(Tensor, i64)> {
        let (h, y) = self.flatten_for_loss(hidden, labels, chunk)?;
        let n = h.size()[0];
        let mut total = Tensor::zeros([], (Kind::Float, h.device()));
        let mut start = 0;
        while start < n {
            let len = chunk.min(n - start);
            total += self.chunk_loss(&h.narrow(0, start, len), &y.narrow(0, start, len));
            start += len;
        }
        Ok((total, count_labels(&y)?))
    }

    /// Computes the same summed loss as [`Qwen3::loss_sum`] and back-propagates `scale` times it
    /// through the whole model (accumulating into the variables' gradients), one chunk of the
    /// head at a time: each chunk's logits live only while its own gradient is taken, then the
    /// gradient of `hidden` is sent back through the layers in one call. Returns the loss sum and
    /// the token count. `hidden` must come from [`Qwen3::forward`] with gradients enabled.
    pub fn loss_backward(
        &self,
        hidden: &Tensor,
        labels: &Tensor,
        chunk: i64,
        scale: f64,
    ) -> Result<(f64, i64)> {
        let (h, y) = self.flatten_for_loss(hidden, labels, chunk)?;
        let n = h.size()[0];
        let detached = h.detach();
        let mut grads = Vec::new();
        let mut total = 0.0;
        let mut start = 0;
        while start < n {
            let len = chunk.min(n - start);
            let piece = detached.narrow(0, start, len).set_requires_grad(true);
            let loss = self.chunk_loss(&piece, &y.narrow(0, start, len));
            total += loss.double_value(&[]);
            (loss * scale)
                .f_backward()
                .map_err(torch("back-propagate a loss chunk"))?;
            grads.push(piece.grad());
            start += len;
        }
        let grad = Tensor::cat(&grads, 0);
        // d/dh sum(h * g) = g: back-propagates the collected gradient through the layers.
        (h * grad.detach())
            .sum(Kind::Float)
            .f_backward()
            .map_err(torch("back-propagate the hidden states"))?;
        Ok((total, count_labels(&y)?))
    }

    /// [`Qwen3::forward`] then [`Qwen3::loss_backward`] with activation checkpointing per decoder
    /// layer: the forward pass runs under `no_grad` keeping only each layer's input, then the
    /// layers are re-run one at a time in reverse with gradients on, each sending the incoming
    /// gradient one layer further back. Peak activation memory is one layer's graph plus one
    /// `[B, T, hidden]` tensor per layer, at the cost of a second forward pass. Gradients
    /// accumulate into the variables exactly as with the plain path (same operations, same
    /// order within each layer). Returns the loss sum and the token count.
    #[allow(clippy::too_many_arguments)]
    pub fn loss_backward_checkpointed(
        &self,
        input_ids: &Tensor,
        positions: &Tensor,
        segment_ids: Option<&Tensor>,
        labels: &Tensor,
        chunk: i64,
        scale: f64,
    ) -> Result<(f64, i64)> {
        let (b, t) = check_ids(input_ids, "input_ids")?;
        if check_ids(positions, "positions")? != (b, t) {
            return Err(Error::Input(
                "positions and input_ids differ in shape".into(),
            ));
        }
        let spans;
        let mask = match segment_ids {
            None => Mask::Causal,
            Some(seg) => {
                if check_ids(seg, "segment_ids")? != (b, t) {
                    return Err(Error::Input(
                        "segment_ids and input_ids differ in shape".into(),
                    ));
                }
                spans = segment_spans(seg)?;
                Mask::Segments(&spans)
            }
        };
        let (cos, sin) = self.rope.cos_sin(positions, self.kind())?;
        let ids = input_ids.to_device(self.device());
        let mut inputs = Vec::with_capacity(self.layers.len());
        let top = tch::no_grad(|| {
            let mut x = Tensor::embedding(&self.embed_tokens, &ids, -1, false, false);
            for layer in &self.layers {
                inputs.push(x.shallow_clone());
                x = layer.forward(&x, &cos, &sin, &mask, None);
            }
            x
        });
        let top = top.detach().set_requires_grad(true);
        let hidden = self.norm.forward(&top);
        let (total, count) = self.loss_backward(&hidden, labels, chunk, scale)?;
        let mut grad = defined_grad(&top);
        for (layer, x) in self.layers.iter().zip(inputs).rev() {
            let x = x.detach().set_requires_grad(true);
            let y = layer.forward(&x, &cos, &sin, &mask, None);
            (y * grad)
                .sum(Kind::Float)
                .f_backward()
                .map_err(torch("back-propagate through a checkpointed layer"))?;
            grad = defined_grad(&x);
        }
        let embedded = Tensor::embedding(&self.embed_tokens, &ids, -1, false, false);
        (embedded * grad)
            .sum(Kind::Float)
            .f_backward()
            .map_err(torch("back-propagate into the embeddings"))?;
        Ok((total, count))
    }

    fn flatten_for_loss(
        &self,
        hidden: &Tensor,
        labels: &Tensor,
        chunk: i64,
    ) -> Result<(Tensor, Tensor)> {
        if chunk <= 0 {
            return Err(Error::Input(format!(
                "loss chunk must be positive, got {chunk}"
            )));
        }
        let h = hidden.reshape([-1, self.config.hidden_size as i64]);
        let y = labels.reshape([-1]);
        if y.size()[0] != h.size()[0] {
            return Err(Error::Input(format!(
                "{} labels for {} hidden states",
                y.size()[0],
                h.size()[0]
            )));
        }
        if y.kind() != Kind::Int64 {
            return Err(Error::Input(format!(
                "labels must be int64, got {:?}",
                y.kind()
            )));
        }
        let y = y.to_device(h.device());
        Ok((h, y))
    }

    fn chunk_loss(&self, hidden: &Tensor, labels: &Tensor) -> Tensor {
        self.logits(hidden).cross_entropy_loss::<Tensor>(
            labels,
            None,
            tch::Reduction::Sum,
            IGNORE_INDEX,
            0.0,
        )
    }

    pub(crate) fn layer_count(&self) -> usize {
        self.layers.len()
    }
}

/// Per-layer key/value buffers for generation, preallocated to a maximum length.
#[derive(Debug)]
pub(crate) struct KvCache {
    /// `(keys, values)` per layer, each `[B, kv_heads, max_len, head_dim]`.
    layers: Vec<(Tensor, Tensor)>,
    /// Positions filled so far.
    pub(crate) len: i64,
}

impl KvCache {
    pub(crate) fn new(model: &Qwen3, batch: i64, max_len: i64) -> Self {
        let cfg = &model.config;
        let shape = [
            batch,
            cfg.num_key_value_heads as i64,
            max_len,
            cfg.head_dim as i64,
        ];
        let opts = (model.kind(), model.device());
        let layers = (0..model.layer_count())
            .map(|_| (Tensor::zeros(shape, opts), Tensor::zeros(shape, opts)))
            .collect();
        Self { layers, len: 0 }
    }
}

#[derive(Debug)]
struct DecoderLayer {
    input_layernorm: RmsNorm,
    self_attn: Attention,
    post_attention_layernorm: RmsNorm,
    mlp: Mlp,
}

impl DecoderLayer {
    fn new(vs: nn::Path, cfg: &Qwen3Config, fill: Fill) -> Result<Self> {
        let hidden = cfg.hidden_size as i64;
        Ok(Self {
            input_layernorm: RmsNorm::new(&vs / "input_layernorm", hidden, cfg.rms_norm_eps, fill)?,
            self_attn: Attention::new(&vs / "self_attn", cfg, fill)?,
            post_attention_layernorm: RmsNorm::new(
                &vs / "post_attention_layernorm",
                hidden,
                cfg.rms_norm_eps,
                fill,
            )?,
            mlp: Mlp::new(&vs / "mlp", cfg, fill)?,
        })
    }

    fn forward(
        &self,
        x: &Tensor,
        cos: &Tensor,
        sin: &Tensor,
        mask: &Mask<'_>,
        cache: Option<(&mut KvCache, usize)>,
    ) -> Tensor {
        let h = x + self
            .self_attn
            .forward(&self.input_layernorm.forward(x), cos, sin, mask, cache);
        let y = self.mlp.forward(&self.post_attention_layernorm.forward(&h));
        h + y
    }
}

#[derive(Debug)]
struct Attention {
    q_proj: Tensor,
    k_proj: Tensor,
    v_proj: Tensor,
    o_proj: Tensor,
    q_norm: RmsNorm,
    k_norm: RmsNorm,
    heads: i64,
    kv_heads: i64,
    head_dim: i64,
}

impl Attention {
    fn new(vs: nn::Path, cfg: &Qwen3Config, fill: Fill) -> Result<Self> {
        let hidden = cfg.hidden_size as i64;
        let heads = cfg.num_attention_heads as i64;
        let kv_heads = cfg.num_key_value_heads as i64;
        let head_dim = cfg.head_dim as i64;
        let linear = |name: &str, out: i64, inp: i64| var(&(&vs / name), &[out, inp], fill);
        Ok(Self {
            q_proj: linear("q_proj", heads * head_dim, hidden)?,
            k_proj: linear("k_proj", kv_heads * head_dim, hidden)?,
            v_proj: linear("v_proj", kv_heads * head_dim, hidden)?,
            o_proj: linear("o_proj", hidden, heads * head_dim)?,
            q_norm: RmsNorm::new(&vs / "q_norm", head_dim, cfg.rms_norm_eps, fill)?,
            k_norm: RmsNorm::new(&vs / "k_norm", head_dim, cfg.rms_norm_eps, fill)?,
            heads,
            kv_heads,
            head_dim,
        })
    }

    fn forward(
        &self,
        x: &Tensor,
        cos: &Tensor,
        sin: &Tensor,
        mask: &Mask<'_>,
        cache: Option<(&mut KvCache, usize)>,
    ) -> Tensor {
        let (b, t) = (x.size()[0], x.size()[1]);
        let heads = |w: &Tensor, n: i64, norm: &RmsNorm| {
            let y = x.linear::<Tensor>(w, None).view([b, t, n, self.head_dim]);
            norm.forward(&y).transpose(1, 2)
        };
        // [B, heads, T, head_dim]; cos/sin are [B, T, head_dim], broadcast over heads.
        let (cos, sin) = (cos.unsqueeze(1), sin.unsqueeze(1));
        let q = apply_rope(&heads(&self.q_proj, self.heads, &self.q_norm), &cos, &sin);
        let k = apply_rope(
            &heads(&self.k_proj, self.kv_heads, &self.k_norm),
            &cos,
            &sin,
        );
        let v = x
            .linear::<Tensor>(&self.v_proj, None)
            .view([b, t, self.kv_heads, self.head_dim])
            .transpose(1, 2);
        let (k, v) = match cache {
            None => (k, v),
            Some((cache, layer)) => {
                let start = cache.len;
                let (ck, cv) = &cache.layers[layer];
                ck.narrow(2, start, t).copy_(&k);
                cv.narrow(2, start, t).copy_(&v);
                (ck.narrow(2, 0, start + t), cv.narrow(2, 0, start + t))
            }
        };
        let gqa = self.heads != self.kv_heads;
        let sdpa = |q: &Tensor, k: &Tensor, v: &Tensor, mask: Option<&Tensor>, causal: bool| {
            Tensor::scaled_dot_product_attention(q, k, v, mask, 0.0, causal, None, gqa)
        };
        let y = match mask {
            Mask::Causal => sdpa(&q, &k, &v, None, true),
            Mask::None => sdpa(&q, &k, &v, None, false),
            Mask::Explicit(m) => sdpa(&q, &k, &v, Some(*m), false),
            Mask::Segments(spans) => {
                let rows: Vec<Tensor> = spans
                    .iter()
                    .enumerate()
                    .map(|(r, row)| {
                        let r = r as i64;
                        let docs: Vec<Tensor> = row
                            .iter()
                            .map(|&(start, len)| {
                                let span = |x: &Tensor| x.narrow(0, r, 1).narrow(2, start, len);
                                sdpa(&span(&q), &span(&k), &span(&v), None, true)
                            })
                            .collect();
                        Tensor::cat(&docs, 2)
                    })
                    .collect();
                Tensor::cat(&rows, 0)
            }
        };
        y.transpose(1, 2)
            .reshape([b, t, self.heads * self.head_dim])
            .linear::<Tensor>(&self.o_proj, None)
    }
}

#[derive(Debug)]
struct Mlp {
    gate_proj: Tensor,
    up_proj: Tensor,
    down_proj: Tensor,
}

impl Mlp {
    fn new(vs: nn::Path, cfg: &Qwen3Config, fill: Fill) -> Result<Self> {
        if cfg.hidden_act != "silu" {
            return Err(Error::Invalid {
                origin: "config".into(),
                field: "hidden_act".into(),
                message: format!("lego supports silu only, got {:?}", cfg.hidden_act),
            });
        }
        let (hidden, inter) = (cfg.hidden_size as i64, cfg.intermediate_size as i64);
        Ok(Self {
            gate_proj: var(&(&vs / "gate_proj"), &[inter, hidden], fill)?,
            up_proj: var(&(&vs / "up_proj"), &[inter, hidden], fill)?,
            down_proj: var(&(&vs / "down_proj"), &[hidden, inter], fill)?,
        })
    }

    fn forward(&self, x: &Tensor) -> Tensor {
        let gate = x.linear::<Tensor>(&self.gate_proj, None).silu();
        (gate * x.linear::<Tensor>(&self.up_proj, None)).linear::<Tensor>(&self.down_proj, None)
    }
}

#[derive(Debug)]
struct RmsNorm {
    weight: Tensor,
    eps: f64,
}

impl RmsNorm {
    fn new(vs: nn::Path, size: i64, eps: f64, fill: Fill) -> Result<Self> {
        let weight = match fill {
            Fill::Random { .. } => vs.f_var("weight", &[size], nn::Init::Const(1.0)),
            Fill::Empty => empty_var(&vs, &[size]),
        }
        .map_err(torch(format!("create {}", vs.path("weight"))))?;
        Ok(Self { weight, eps })
    }

    /// `weight * (x / rms(x))`, the normalisation in f32 and cast back before the weight.
    fn forward(&self, x: &Tensor) -> Tensor {
        let kind = x.kind();
        let xf = x.to_kind(Kind::Float);
        let variance = xf.square().mean_dim(-1, true, Kind::Float);
        let normed = (xf * (variance + self.eps).rsqrt()).to_kind(kind);
        &self.weight * normed
    }
}

/// Rotary embedding: inverse frequencies in f32 on the model's device and the attention factor.
#[derive(Debug)]
struct Rope {
    inv_freq: Tensor,
    attention_factor: f64,
    /// Dynamic NTK recomputes the frequencies for sequences past `max_position_embeddings`.
    dynamic: bool,
    config: Qwen3Config,
}

impl Rope {
    fn new(cfg: &Qwen3Config, device: Device) -> Self {
        let (freqs, attention_factor) =
            inv_freq(&cfg.rope, cfg.head_dim, cfg.max_position_embeddings);
        Self {
            inv_freq: freqs_tensor(&freqs, device),
            attention_factor,
            dynamic: matches!(cfg.rope.scaling, RopeScaling::Dynamic { .. }),
            config: cfg.clone(),
        }
    }

    /// `cos` and `sin` `[B, T, head_dim]` in `kind` for positions `[B, T]`, computed in f32 as
    /// transformers does (`cat(freqs, freqs)` times the attention factor).
    fn cos_sin(&self, positions: &Tensor, kind: Kind) -> Result<(Tensor, Tensor)> {
        let device = self.inv_freq.device();
        let dynamic;
        let inv_freq = if self.dynamic {
            // As transformers' `dynamic_rope_update`: the base grows with the longest position.
            let max = positions
                .max()
                .f_int64_value(&[])
                .map_err(torch("read the largest position"))?;
            let cfg = &self.config;
            let (freqs, _) = dynamic_inv_freq(
                &cfg.rope,
                cfg.head_dim,
                cfg.max_position_embeddings,
                usize::try_from(max + 1).unwrap_or(0),
            );
            dynamic = freqs_tensor(&freqs, device);
            &dynamic
        } else {
            &self.inv_freq
        };
        let freqs = positions
            .to_device(device)
            .to_kind(Kind::Float)
            .unsqueeze(-1)
            * inv_freq;
        let emb = Tensor::cat(&[&freqs, &freqs], -1);
        let cos = (emb.cos() * self.attention_factor).to_kind(kind);
        let sin = (emb.sin() * self.attention_factor).to_kind(kind);
        Ok((cos, sin))
    }
}

fn freqs_tensor(freqs: &[f64], device: Device) -> Tensor {
    // transformers computes the frequencies in f32; rounding lego's f64 values is within 1 ulp.
    let f32s: Vec<f32> = freqs.iter().map(|&f| f as f32).collect();
    Tensor::from_slice(&f32s).to_device(device)
}

fn apply_rope(x: &Tensor, cos: &Tensor, sin: &Tensor) -> Tensor {
    let half = x.size()[3] / 2;
    let rotated = Tensor::cat(&[-x.narrow(3, half, half), x.narrow(3, 0, half)], 3);
    x * cos + rotated * sin
}

/// The `(start, len)` runs of equal ids in each row of `segment_ids` `[B, T]`.
fn segment_spans(segment_ids: &Tensor) -> Result<Vec<Vec<(i64, i64)>>> {
    let rows: Vec<Vec<i64>> =
        Vec::try_from(&segment_ids.to_device(Device::Cpu).to_kind(Kind::Int64))
            .map_err(torch("read the segment ids"))?;
    Ok(rows
        .iter()
        .map(|row| {
            let mut spans: Vec<(i64, i64)> = Vec::new();
            for (i, id) in row.iter().enumerate() {
                match spans.last_mut() {
                    Some((start, len)) if row[*start as usize] == *id => *len += 1,
                    _ => spans.push((i as i64, 1)),
                }
            }
            spans
        })
        .collect())
}

/// The gradient of a leaf, zeros when nothing reached it (no trained token in the batch).
fn defined_grad(leaf: &Tensor) -> Tensor {
    let grad = leaf.grad();
    if grad.defined() {
        grad.detach()
    } else {
        leaf.zeros_like()
    }
}

fn check_ids(t: &Tensor, what: &str) -> Result<(i64, i64)> {
    match (t.size().as_slice(), t.kind()) {
        (&[b, n], Kind::Int64 | Kind::Int) if b > 0 && n > 0 => Ok((b, n)),
        (size, kind) => Err(Error::Input(format!(
            "{what} must be a non-empty [B, T] integer tensor, got {size:?} of {kind:?}"
        ))),
    }
}

fn count_labels(labels: &Tensor) -> Result<i64> {
    labels
        .ne(IGNORE_INDEX)
        .sum(Kind::Int64)
        .f_int64_value(&[])
        .map_err(torch("count the labelled tokens"))
}

fn var(vs: &nn::Path, dims: &[i64], fill: Fill) -> Result<Tensor> {
    match fill {
        Fill::Random { std } => vs.f_var(
            "weight",
            dims,
            nn::Init::Randn {
                mean: 0.0,
                stdev: std,
            },
        ),
        Fill::Empty => empty_var(vs, dims),
    }
    .map_err(torch(format!("create {}", vs.path("weight"))))
}

/// A trainable `weight` variable of the store's kind and device, its memory not filled.
fn empty_var(vs: &nn::Path, dims: &[i64]) -> Result<Tensor, tch::TchError> {
    let tensor = Tensor::f_empty(dims, (vs.kind(), vs.device()))?;
    Ok(vs.add("weight", tensor, true))
}
