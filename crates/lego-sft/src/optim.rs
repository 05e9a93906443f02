//! AdamW over a `VarStore`'s tensors, global-norm clipping and the learning-rate schedule, each
//! as PyTorch and Hugging Face compute them (`torch.optim.AdamW` single-tensor path,
//! `clip_grad_norm_`, `get_cosine_schedule_with_warmup`), with state that saves and restores.
//!
//! tch's own optimizer cannot leave parameters out of weight decay nor save its moments, and
//! `backward_step_clip_norm` zeroes gradients first (no accumulation), hence this module.
//!
//! Mixed precision: when a variable is not f32 (bf16 on CUDA), the optimizer keeps an f32 master
//! copy of it next to f32 moments, updates the master with the f32-upcast gradient and writes
//! the rounded result back into the variable. f32 variables are updated in place.

use std::f64::consts::PI;
use std::path::Path;

use tch::{Kind, Tensor, nn};

use crate::config::LrSchedule;
use crate::error::{Error, Result, torch};

/// AdamW's hyperparameters (the learning rate comes per step from the schedule).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AdamWConfig {
    /// First-moment decay.
    pub beta1: f64,
    /// Second-moment decay.
    pub beta2: f64,
    /// Added to the denominator.
    pub eps: f64,
    /// Decoupled weight decay, on the parameters that take it ([`takes_weight_decay`]).
    pub weight_decay: f64,
}

impl Default for AdamWConfig {
    fn default() -> Self {
        Self {
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            weight_decay: 0.01,
        }
    }
}

/// Decoupled-weight-decay Adam over every trainable variable of a `VarStore`.
#[derive(Debug)]
pub struct AdamW {
    config: AdamWConfig,
    params: Vec<Param>,
    /// Optimizer steps taken (Adam's `t`).
    steps: i64,
}

#[derive(Debug)]
struct Param {
    name: String,
    var: Tensor,
    decay: bool,
    exp_avg: Tensor,
    exp_avg_sq: Tensor,
    /// f32 copy of a reduced-precision variable.
    master: Option<Tensor>,
}

/// Whether a parameter takes weight decay: not biases and not norm weights, as Hugging Face's
/// `Trainer.get_decay_parameter_names` decides (for Qwen3: every `*norm.weight`).
pub fn takes_weight_decay(name: &str) -> bool {
    let module = name.rsplit_once('.').map_or("", |(m, _)| m);
    let last = module
        .rsplit('.')
        .next()
        .unwrap_or(module)
        .to_ascii_lowercase();
    !(name.ends_with("bias") || last.ends_with("norm") || last.contains("layernorm"))
}

impl AdamW {
    /// Takes every trainable variable of `vs`, in name order.
    pub fn new(vs: &nn::VarStore, config: AdamWConfig) -> Self {
        let mut named: Vec<(String, Tensor)> = vs
            .variables()
            .into_iter()
            .filter(|(_, t)| t.requires_grad())
            .collect();
        named.sort_by(|a, b| a.0.cmp(&b.0));
        let params = named
            .into_iter()
            .map(|(name, var)| {
                let master = (var.kind() != Kind::Float)
                    .then(|| tch::no_grad(|| var.detach().to_kind(Kind::Float)));
                let zeros = || Tensor::zeros_like(&var).to_kind(Kind::Float);
                Param {
                    decay: takes_weight_decay(&name),
                    exp_avg: zeros(),
                    exp_avg_sq: zeros(),
                    master,
                    name,
                    var,
                }
            })
            .collect();
        Self {
            config,
            params,
            steps: 0,
        }
    }

    /// Optimizer steps taken (restored by `load`).
    pub fn steps(&self) -> i64 {
        self.steps
    }

    /// Names of the parameters that take weight decay.
    pub fn decayed(&self) -> Vec<&str> {
        self.params
            .iter()
            .filter(|p| p.decay)
            .map(|p| p.name.as_str())
            .collect()
    }

    /// Zeroes the gradients of every parameter, before an accumulation window.
    pub fn zero_grad(&mut self) {
        for p in &mut self.params {
            p.var.zero_grad();
        }
    }

    /// The global L2 norm of the gradients (f32, as `clip_grad_norm_` returns it), and, when
    /// `max_norm > 0`, gradients scaled by `min(1, max_norm / (norm + 1e-6))`.
    pub fn clip_grad_norm(&mut self, max_norm: f64) -> f64 {
        let grads: Vec<Tensor> = self
            .params
            .iter()
            .map(|p| p.var.grad())
            .filter(Tensor::defined)
            .collect();
        if grads.is_empty() {
            return 0.0;
        }
        let norms: Vec<Tensor> = grads
            .iter()
            .map(|g| g.to_kind(Kind::Float).norm())
            .collect();
        let total = Tensor::stack(&norms, 0).norm();
        if max_norm > 0.0 {
            let coef = (max_norm / (&total + 1e-6)).clamp_max(1.0);
            tch::no_grad(|| {
                for mut g in grads {
                    let c = coef.to_kind(g.kind());
                    let _ = g.g_mul_(&c);
                }
            });
        }
        total.double_value(&[])
    }

    /// One AdamW step at learning rate `lr` with the gradients now held by the variables.
    pub fn step(&mut self, lr: f64) {
        self.steps += 1;
        let c = self.config;
        let t = self.steps as i32;
        let bias1 = 1.0 - c.beta1.powi(t);
        let bias2_sqrt = (1.0 - c.beta2.powi(t)).sqrt();
        let step_size = lr / bias1;
        tch::no_grad(|| {
            for p in &mut self.params {
                let grad = p.var.grad();
                if !grad.defined() {
                    continue;
                }
                let grad = grad.to_kind(Kind::Float);
                let mut target = match &p.master {
                    Some(m) => m.shallow_clone(),
                    None => p.var.shallow_clone(),
                };
                if p.decay && c.weight_decay != 0.0 {
                    let _ = target.g_mul_scalar_(1.0 - lr * c.weight_decay);
                }
                let _ = p.exp_avg.lerp_(&grad, 1.0 - c.beta1);
                let _ = p.exp_avg_sq.g_mul_scalar_(c.beta2);
                let _ = p.exp_avg_sq.g_add_(&(&grad * &grad * (1.0 - c.beta2)));
                let denom = p.exp_avg_sq.sqrt() / bias2_sqrt + c.eps;
                let _ = target.g_sub_(&((&p.exp_avg / denom) * step_size));
                if p.master.is_some() {
                    p.var.copy_(&target);
                }
            }
        });
    }

    /// Writes the moments (and master weights) as safetensors: `NAME.exp_avg`,
    /// `NAME.exp_avg_sq`, `NAME.master`. The step count lives in the trainer state.
    pub fn save(&self, path: &Path) -> Result<()> {
        let mut named: Vec<(String, Tensor)> = Vec::new();
        for p in &self.params {
            named.push((format!("{}.exp_avg", p.name), p.exp_avg.shallow_clone()));
            named.push((
                format!("{}.exp_avg_sq", p.name),
                p.exp_avg_sq.shallow_clone(),
            ));
            if let Some(m) = &p.master {
                named.push((format!("{}.master", p.name), m.shallow_clone()));
            }
        }
        let named: Vec<(String, Tensor)> = named
            .into_iter()
            .map(|(n, t)| (n, t.to_device(tch::Device::Cpu).contiguous()))
            .collect();
        Tensor::write_safetensors(&named, path).map_err(torch(format!("write {}", path.display())))
    }

    /// Restores what [`AdamW::save`] wrote, and the step count.
    pub fn load(&mut self, path: &Path, steps: i64) -> Result<()> {
        let tensors =
            Tensor::read_safetensors(path).map_err(torch(format!("read {}", path.display())))?;
        let mut map: std::collections::HashMap<String, Tensor> = tensors.into_iter().collect();
        let missing = |name: String| Error::Resume {
            path: path.to_path_buf(),
            message: format!("optimizer state has no tensor `{name}`"),
        };
        for p in &mut self.params {
            let mut take = |suffix: &str, dst: &mut Tensor| -> Result<()> {
                let key = format!("{}.{suffix}", p.name);
                let src = map.remove(&key).ok_or_else(|| missing(key.clone()))?;
                if src.size() != dst.size() {
                    return Err(Error::Resume {
                        path: path.to_path_buf(),
                        message: format!(
                            "`{key}` has shape {:?}, expected {:?}",
                            src.size(),
                            dst.size()
                        ),
                    });
                }
                tch::no_grad(|| dst.f_copy_(&src)).map_err(torch(format!("restore `{key}`")))
            };
            take("exp_avg", &mut p.exp_avg)?;
            take("exp_avg_sq", &mut p.exp_avg_sq)?;
            if let Some(m) = &mut p.master {
                take("master", m)?;
                tch::no_grad(|| p.var.copy_(m));
            }
        }
        self.steps = steps;
        Ok(())
    }
}

/// Warmup steps of a run of `total` steps: `ceil(warmup_ratio * total)`, as the Trainer rounds.
pub fn warmup_steps(total: usize, warmup_ratio: f64) -> usize {
    (warmup_ratio * total as f64).ceil() as usize
}

/// The learning rate of optimizer step `step` (0-based) of `total`: linear warmup from 0, then
/// cosine to 0 or constant, as `get_{cosine,constant}_schedule_with_warmup` with the scheduler
/// stepped after each optimizer step (so step 0 of a warmup runs at LR 0).
pub fn lr_at(step: usize, total: usize, warmup: usize, peak: f64, schedule: LrSchedule) -> f64 {
    if step < warmup {
        return peak * step as f64 / warmup.max(1) as f64;
    }
    match schedule {
        LrSchedule::Constant => peak,
        LrSchedule::Cosine => {
            let progress = (step - warmup) as f64 / (total.saturating_sub(warmup)).max(1) as f64;
            peak * (0.5 * (1.0 + (PI * progress).cos())).max(0.0)
        }
    }
}

#[cfg(test)]
mod tests;
