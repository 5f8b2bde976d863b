//! The parameter table of a ResNet-18 : per layer its type, parameter shapes
//! and count; totals; the optimiser groups with their sizes and whether they get weight
//! decay; and why grouping by name goes wrong. The JSON has the shape of one entry of the
//! reference `resnet18_params.json` (plus `weight_decay` in each group).

use super::{Module, ModuleKind, ParamGroup, ParamRole, ResNet, ResNetConfig};
use crate::fmt::thousands;
use serde::Serialize;
use std::fmt::Write;

/// One module with parameters.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LayerRow {
    pub layer: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub params: LayerParams,
    pub count: usize,
}

/// The shapes of a module's parameters.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct LayerParams {
    pub weight: Vec<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bias: Option<Vec<usize>>,
}

/// Size of one optimiser group.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct GroupRow {
    pub tensors: usize,
    pub count: usize,
    pub weight_decay: bool,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct Groups {
    pub bn_affine: GroupRow,
    pub biases: GroupRow,
    pub rest: GroupRow,
}

/// What grouping by the name substring `'bn'` (a common recipe) would do.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct NameGrouping {
    /// Batch-norm tensors whose names contain `bn`.
    pub bn_by_name: usize,
    /// Batch-norm tensors whose names do not (the downsample BNs): misfiled.
    pub misfiled: Vec<String>,
    /// Conv and linear weights, selected by no name rule.
    pub dropped_weights: usize,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ModelSummary {
    pub stem: &'static str,
    pub width: usize,
    pub classes: usize,
    pub layers: Vec<LayerRow>,
    pub total: usize,
    pub groups: Groups,
    #[serde(skip)]
    pub by_name: NameGrouping,
}

impl ModelSummary {
    /// The table of the network `config` describes (built with zero weights, untouched).
    pub fn of(config: ResNetConfig) -> Self {
        let mut net = ResNet::<f32>::zeros(config);
        let mut layers: Vec<LayerRow> = Vec::new();
        let mut groups = Groups::default();
        let mut by_name = NameGrouping::default();
        net.visit_params("", &mut |p| {
            let (name, module, kind, role) = (p.name, p.module(), p.kind, p.role);
            let (shape, len) = (p.param.shape(), p.param.len());
            if layers.last().is_none_or(|l| l.layer != module) {
                layers.push(LayerRow {
                    layer: module.to_string(),
                    kind: kind.name(),
                    params: LayerParams::default(),
                    count: 0,
                });
            }
            let row = layers.last_mut().expect("pushed above");
            row.count += len;
            match role {
                ParamRole::Weight => row.params.weight = shape.to_vec(),
                ParamRole::Bias => row.params.bias = Some(shape.to_vec()),
            }
            let g = ParamGroup::of(kind, role);
            let slot = match g {
                ParamGroup::BnAffine => &mut groups.bn_affine,
                ParamGroup::Biases => &mut groups.biases,
                ParamGroup::Rest => &mut groups.rest,
            };
            slot.tensors += 1;
            slot.count += len;
            slot.weight_decay = g.decays(false);
            if kind == ModuleKind::BatchNorm2d {
                if name.contains("bn") {
                    by_name.bn_by_name += 1;
                } else {
                    by_name.misfiled.push(name.to_string());
                }
            } else if role == ParamRole::Weight {
                by_name.dropped_weights += 1;
            }
        });
        let total = layers.iter().map(|l| l.count).sum();
        Self {
            stem: config.stem.name(),
            width: config.width,
            classes: config.classes,
            layers,
            total,
            groups,
            by_name,
        }
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("summary serialises")
    }

    /// The table a student would draw, with the groups and the note on name grouping.
    pub fn to_table(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "ResNet-18  stem {}  width {}  classes {}\n",
            self.stem, self.width, self.classes
        );
        let _ = writeln!(
            s,
            "{:<24} {:<12} {:<16} {:<7} {:>12}",
            "layer", "type", "weight", "bias", "params"
        );
        for l in &self.layers {
            let bias = l.params.bias.as_deref().map_or("-".into(), shape);
            let _ = writeln!(
                s,
                "{:<24} {:<12} {:<16} {:<7} {:>12}",
                l.layer,
                l.kind,
                shape(&l.params.weight),
                bias,
                thousands(l.count)
            );
        }
        let tensors =
            self.groups.bn_affine.tensors + self.groups.biases.tensors + self.groups.rest.tensors;
        let label = format!("total ({} layers, {tensors} tensors)", self.layers.len());
        let _ = writeln!(s, "{label:<61} {:>12}\n", thousands(self.total));
        let _ = writeln!(
            s,
            "{:<10} {:<28} {:>7} {:>12}  weight decay",
            "group", "what", "tensors", "params"
        );
        let rows = [
            (
                "bn_affine",
                "BatchNorm2d weight and bias",
                self.groups.bn_affine,
            ),
            ("biases", "Conv2d and Linear biases", self.groups.biases),
            ("rest", "Conv2d and Linear weights", self.groups.rest),
        ];
        for (name, what, g) in rows {
            let wd = if g.weight_decay { "yes" } else { "no" };
            let _ = writeln!(
                s,
                "{name:<10} {what:<28} {:>7} {:>12}  {wd}",
                g.tensors,
                thousands(g.count)
            );
        }
        let modules: Vec<&str> = self
            .by_name
            .misfiled
            .iter()
            .filter_map(|n| n.strip_suffix(".weight"))
            .collect();
        let note = format!(
            "Why groups by module type: grouping by name substring (the common recipe \
             `'bn' in name`) finds only {} of the {} BatchNorm tensors. {} {} BatchNorm \
             layers whose names lack 'bn': their {} tensors are misfiled. And no name rule \
             picks up the {} conv and fc weights: they are dropped from the optimiser and \
             never trained.",
            self.by_name.bn_by_name,
            self.groups.bn_affine.tensors,
            if modules.is_empty() {
                "No downsample layers here, but".to_string()
            } else {
                modules.join(", ")
            },
            if modules.len() == 1 { "is a" } else { "are" },
            self.by_name.misfiled.len(),
            self.by_name.dropped_weights,
        );
        let _ = writeln!(s, "\n{}", wrap(&note, 90));
        s
    }
}

/// Greedy word wrap at `width` columns.
fn wrap(text: &str, width: usize) -> String {
    let mut out = String::new();
    let mut line = 0;
    for word in text.split_whitespace() {
        let len = word.chars().count();
        if line > 0 && line + 1 + len > width {
            out.push('\n');
            line = 0;
        } else if line > 0 {
            out.push(' ');
            line += 1;
        }
        out.push_str(word);
        line += len;
    }
    out
}

/// `64×3×3×3`.
fn shape(dims: &[usize]) -> String {
    dims.iter()
        .map(usize::to_string)
        .collect::<Vec<_>>()
        .join("×")
}
