//! The command line, as clap derive types. Names and flags are a contract:
//! scripts rely on them.

use crate::error::UsageError;
use crate::run::RunSpec;
use crate::tui::theme::ThemeName;
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, Parser)]
#[command(
    name = "gradscope",
    version,
    about = "A terminal laboratory for the gradient dynamics of deep networks",
    long_about = "A terminal laboratory for the gradient dynamics of deep networks.\n\n\
                  Without a subcommand it starts the TUI (the `tui` options work there too).",
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<CliCommand>,
    /// Options of the TUI when no subcommand is given.
    #[command(flatten)]
    pub tui: TuiArgs,
}

#[derive(Debug, Subcommand)]
pub enum CliCommand {
    /// Start the interactive terminal UI.
    Tui(TuiArgs),
    /// List every lab with its parameters (name, default, range, scale, help).
    Labs {
        #[arg(long, value_enum, default_value_t = ListFormat::Table)]
        format: ListFormat,
    },
    /// Run a lab without a terminal and print its report.
    Run(RunArgs),
    /// Run a lab at many values of one parameter (or over a grid of two) and print one
    /// summary metric per value; `sweep merge` joins the shards of one sweep.
    Sweep(Box<SweepCmd>),
    /// Measure speed: render times of every pane, steps/s of every lab.
    Bench(BenchArgs),
    /// ResNet-18 tools: the per-layer parameter table and optimiser groups.
    Resnet(ResnetArgs),
    /// Gradients and SGD steps of a model on one batch, to check against PyTorch.
    Grad(GradArgs),
    /// Play a demo script (a lecture): live in the TUI, or headless; record it as asciicast.
    Demo(DemoArgs),
}

/// Output format of `run` and `sweep`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Json,
    Csv,
    Table,
}

/// Output format of listings (`labs`, `resnet summary`, `bench`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    Table,
    Json,
}

/// How a lab's run is set up, the same for `tui`, `run` and `sweep`: a preset, `--set`s
/// over it and a seed.
#[derive(Debug, Args, Default, Clone)]
pub struct Setup {
    /// Start from one of the lab's named presets (see `gradscope labs`); --set then
    /// overrides single values.
    #[arg(long)]
    pub preset: Option<String>,
    /// Set a parameter: --set hidden=64 (repeatable).
    #[arg(long = "set", value_name = "K=V")]
    pub sets: Vec<String>,
    /// Random seed (of the first run; with --seeds, the first of the seeds).
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
}

impl Setup {
    /// `base` (the defaults, or a config file's) with this preset, these `--set`s and this
    /// seed, checked.
    pub fn over(&self, base: RunSpec, steps: Option<u64>) -> Result<RunSpec, UsageError> {
        base.with_args(self.preset.as_deref(), &self.sets, self.seed, steps)
    }
}

#[derive(Debug, Args, Default)]
pub struct TuiArgs {
    /// The lab to open (see `gradscope labs`).
    #[arg(long)]
    pub lab: Option<String>,
    /// Colour theme; NO_COLOR selects mono unless a theme is given.
    #[arg(long, value_enum)]
    pub theme: Option<ThemeName>,
    #[command(flatten)]
    pub setup: Setup,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// The lab (see `gradscope labs`).
    pub lab: String,
    #[command(flatten)]
    pub setup: Setup,
    /// Number of steps (default: the lab's run length).
    #[arg(long)]
    pub steps: Option<u64>,
    /// Run seeds seed … seed+N−1 and print every run's summary, the quantiles of every
    /// numeric summary key and the lab's lesson counts (a lesson is a claim over seeds).
    #[arg(long, value_name = "N")]
    pub seeds: Option<usize>,
    /// With --seeds: runs at once (default: all cores).
    #[arg(long)]
    pub jobs: Option<usize>,
    #[arg(long, value_enum, default_value_t = Format::Json)]
    pub format: Format,
    /// Write to this file (atomically) instead of stdout.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Also write every chart of the lab's pane as an SVG figure (for slides); with --seeds,
    /// the median of every series with its 10–90% band.
    #[arg(long, value_name = "FILE.svg")]
    pub plot: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// The demo script (see assets/demos/*.tape).
    pub file: PathBuf,
    /// Record the session: OUT.gif as an animated GIF (for slides), any other name as
    /// asciicast v2 (plays in asciinema); give it twice for both.
    #[arg(long, value_name = "OUT.cast|OUT.gif")]
    pub record: Vec<PathBuf>,
    /// The terminal size of a headless recording (default: the script's `size`, else 120x36).
    #[arg(long, value_name = "COLSxROWS")]
    pub size: Option<String>,
    /// Play faster (2) or slower (0.5): every wait is divided by this.
    #[arg(long, default_value_t = 1.0)]
    pub speed: f64,
    /// Without a terminal: a fixed size and a virtual clock, so a recording is the same
    /// byte for byte every time.
    #[arg(long)]
    pub headless: bool,
    /// Headless: show the demo's HUD in the recording's status bar (DEMO, position / length,
    /// chapter). Live, the HUD always shows (Space pauses the demo, ←/→ jump to the previous
    /// / next chapter, ? lists the chapters).
    #[arg(long)]
    pub hud: bool,
}

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct SweepCmd {
    #[command(subcommand)]
    pub action: Option<SweepAction>,
    // Beside, not inside, the optional group: clap leaves an optional flattened group with a
    // flattened group inside it empty (clap-rs/clap#4697).
    #[command(flatten)]
    pub args: Option<SweepArgs>,
    /// The other parameters and the seed, the same for every point.
    #[command(flatten)]
    pub setup: Setup,
}

#[derive(Debug, Subcommand)]
pub enum SweepAction {
    /// Join the JSON shards of one sweep (`--shard I/N`, every I of one N) into exactly what
    /// the unsharded sweep writes.
    Merge(MergeArgs),
}

#[derive(Debug, Args)]
pub struct MergeArgs {
    /// The shards' JSON files, in any order.
    #[arg(required = true, value_name = "SHARD.json")]
    pub shards: Vec<PathBuf>,
    /// Write to this file (atomically) instead of stdout.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct SweepArgs {
    /// The lab (see `gradscope labs`).
    pub lab: String,
    /// One of the lab's named maps (`gradscope labs` lists them): its parameters, ranges and
    /// metric; `--points` sets the values per axis, `--metric` another metric.
    #[arg(long, value_name = "NAME", conflicts_with_all = ["param", "from", "to", "log", "param2"])]
    pub map: Option<String>,
    /// The numeric parameter to vary.
    #[arg(long, required_unless_present = "map")]
    pub param: Option<String>,
    /// First value.
    #[arg(long, allow_negative_numbers = true, required_unless_present = "map")]
    pub from: Option<f64>,
    /// Last value.
    #[arg(long, allow_negative_numbers = true, required_unless_present = "map")]
    pub to: Option<f64>,
    /// Number of values, from and to included (with --map: per axis).
    #[arg(long, required_unless_present = "map")]
    pub points: Option<usize>,
    /// Space the values geometrically instead of evenly.
    #[arg(long)]
    pub log: bool,
    /// A second parameter: the sweep becomes a map over the grid of both (rows of param2,
    /// columns of param); points invalid with the other values are skipped and counted.
    #[arg(long, requires_all = ["from2", "to2", "points2"])]
    pub param2: Option<String>,
    /// First value of param2.
    #[arg(long, allow_negative_numbers = true, requires = "param2")]
    pub from2: Option<f64>,
    /// Last value of param2.
    #[arg(long, allow_negative_numbers = true, requires = "param2")]
    pub to2: Option<f64>,
    /// Number of values of param2.
    #[arg(long, requires = "param2")]
    pub points2: Option<usize>,
    /// Space param2's values geometrically.
    #[arg(long, requires = "param2")]
    pub log2: bool,
    /// The summary key to report for each value.
    #[arg(long, required_unless_present = "map")]
    pub metric: Option<String>,
    /// Steps of each run (default: what the metric needs; rnn: 0, its heatmap is not swept).
    #[arg(long)]
    pub steps: Option<u64>,
    /// Run every point over seeds seed … seed+N−1: its metric is their median, with the 10%
    /// and 90% quantiles beside it.
    #[arg(long, value_name = "N")]
    pub seeds: Option<usize>,
    /// Runs at once (default: all cores).
    #[arg(long)]
    pub jobs: Option<usize>,
    /// Run only every N-th point starting at I (I/N, 0-based) to split a sweep across jobs.
    #[arg(long, value_name = "I/N")]
    pub shard: Option<String>,
    #[arg(long, value_enum, default_value_t = Format::Json)]
    pub format: Format,
    /// Write to this file (atomically) instead of stdout.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Also draw the sweep as an SVG figure into this file (the metric against the
    /// parameter; with --seeds, the median and its 10–90% band).
    #[arg(long, value_name = "FILE.svg")]
    pub plot: Option<PathBuf>,
}

/// What `bench` measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BenchTarget {
    Render,
    Labs,
    Resnet,
}

#[derive(Debug, Args)]
pub struct BenchArgs {
    /// What to measure (default: everything).
    #[arg(value_enum)]
    pub target: Option<BenchTarget>,
    /// Repetitions per measurement (default: 200 frames for render, 5 runs for labs, 5
    /// steps for resnet).
    #[arg(long)]
    pub reps: Option<usize>,
    /// With resnet: also report where a step's time goes, per layer type and phase.
    #[arg(long)]
    pub profile: bool,
    #[arg(long, value_enum, default_value_t = ListFormat::Table)]
    pub format: ListFormat,
}

#[derive(Debug, Args)]
pub struct ResnetArgs {
    #[command(subcommand)]
    pub command: ResnetCommand,
}

#[derive(Debug, Subcommand)]
pub enum ResnetCommand {
    /// Per-layer parameter table (type, shapes, counts), totals and the optimiser groups.
    Summary(ResnetSummaryArgs),
    /// Train a ResNet-18 on the built-in images or CIFAR-10; a JSON summary at the end.
    Train(ResnetTrainArgs),
}

/// The first layers of a ResNet-18.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StemArg {
    /// 3×3 stride-1 convolution, no max-pool (32×32 images).
    Cifar,
    /// 7×7 stride-2 convolution and 3×3 stride-2 max-pool (torchvision's).
    Imagenet,
}

#[derive(Debug, Args)]
pub struct ResnetSummaryArgs {
    #[arg(long, value_enum, default_value_t = StemArg::Cifar)]
    pub stem: StemArg,
    /// Channels of the stem; the stages have 1, 2, 4 and 8 times as many.
    #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u64).range(1..=256))]
    pub width: u64,
    /// Output classes of the final linear layer.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=100_000))]
    pub classes: u64,
    #[arg(long, value_enum, default_value_t = ListFormat::Table)]
    pub format: ListFormat,
}

/// Where batch norm sits in each conv–BN–ReLU unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BnOrderArg {
    /// PyTorch's and the original ResNet's order.
    ConvBnRelu,
    ConvReluBn,
}

#[derive(Debug, Args)]
#[command(
    after_help = "Ctrl-C stops after the current step, saves (with --save), evaluates and \
                        prints the summary, exit code 130; a second Ctrl-C quits at once. \
                        With --resume the architecture, seed, batch, data and augmentation \
                        come from the checkpoint (giving a different one is an error); \
                        --steps/--epochs count from the start of training; lr, momentum and \
                        weight decay are this command line's."
)]
pub struct ResnetTrainArgs {
    /// The images: synthetic (built in) or cifar10:DIR (DIR holding data_batch_1.bin …
    /// data_batch_5.bin and test_batch.bin) [default: synthetic]
    #[arg(long, value_name = "synthetic|cifar10:DIR")]
    pub data: Option<String>,
    /// Optimisation steps from the start of training [default: 400]
    #[arg(long, conflicts_with = "epochs")]
    pub steps: Option<u64>,
    /// Passes over the training split instead of --steps (fractions allowed)
    #[arg(long)]
    pub epochs: Option<f64>,
    /// Images per step [default: 32]
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=4096))]
    pub batch: Option<u64>,
    /// Learning rate (non-negative).
    #[arg(long, default_value_t = 0.1, allow_negative_numbers = true)]
    pub lr: f64,
    /// Momentum (PyTorch's: buf = momentum·buf + d; non-negative).
    #[arg(long, default_value_t = 0.9, allow_negative_numbers = true)]
    pub momentum: f64,
    /// Weight decay, on conv and linear weights only unless --wd-on-bn-bias (non-negative).
    #[arg(long, default_value_t = 5e-4, allow_negative_numbers = true)]
    pub wd: f64,
    /// Channels of the stem; the stages have 1, 2, 4 and 8 times as many [default: 16]
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=256))]
    pub width: Option<u64>,
    /// Batch norm before the ReLU (PyTorch, the original ResNet) or after it [default: conv-bn-relu]
    #[arg(long, value_enum)]
    pub bn_order: Option<BnOrderArg>,
    /// Remove the skip connections (a plain 18-layer network).
    #[arg(long)]
    pub no_skip: bool,
    /// Decay batch-norm and bias parameters too.
    #[arg(long)]
    pub wd_on_bn_bias: bool,
    /// Random crop (4 pixels of padding) and horizontal flip of training images.
    #[arg(long)]
    pub augment: bool,
    /// Seed of the initialisation, the shuffling, the augmentation and the synthetic images [default: 0]
    #[arg(long)]
    pub seed: Option<u64>,
    /// Write the model (safetensors, torchvision names) and FILE's .optim.safetensors twin.
    #[arg(long, value_name = "FILE.safetensors")]
    pub save: Option<PathBuf>,
    /// Continue the run saved in this checkpoint (model, momentum buffers, step, data stream).
    #[arg(long, value_name = "FILE.safetensors")]
    pub resume: Option<PathBuf>,
    /// Evaluate on the validation split every N steps as well as at the end (0: at the end only).
    #[arg(long, default_value_t = 0)]
    pub val_every: u64,
    #[arg(long, value_enum, default_value_t = ListFormat::Json)]
    pub format: ListFormat,
}

#[derive(Debug, Args)]
#[command(
    after_help = "The defaults are the settings of the reference fixtures \
                        (2 steps, lr 0.1, momentum 0.9, weight decay 5e-4)."
)]
pub struct GradArgs {
    /// The model whose state --weights holds: resnet18, lstm or rnn (single layer).
    pub model: String,
    /// State dict (safetensors, PyTorch names); the architecture is read from its shapes.
    #[arg(long, value_name = "W.safetensors")]
    pub weights: PathBuf,
    #[arg(
        long,
        value_name = "I.safetensors",
        help = "The batch. resnet18: input [N, 3, H, W] float and target [N] int64; \
                lstm|rnn: input [T, N, D], grad_output [T, N, H], h0 (and c0) [1, N, H]"
    )]
    pub input: PathBuf,
    /// Where to write the results. resnet18: loss, logits, grad.<param>, the state after the
    /// steps and eval_logits; lstm|rnn: loss, output, h_n, c_n, and grad. of every weight
    /// and of input, h0, c0.
    #[arg(long, value_name = "O.safetensors")]
    pub out: PathBuf,
    /// resnet18: SGD steps on the batch (train mode); gradients and logits are those of the
    /// first. (lstm|rnn: one forward and backward pass; the SGD flags do not apply.)
    #[arg(long, default_value_t = 2)]
    pub steps: u64,
    // Negative numbers reach `grad`, which refuses them naming the flag (clap would take
    // `-1` for an option and suggest `-- -1`, which is wrong here).
    /// Learning rate (non-negative).
    #[arg(long, default_value_t = 0.1, allow_negative_numbers = true)]
    pub lr: f64,
    /// Momentum (PyTorch's: buf = momentum·buf + d; non-negative).
    #[arg(long, default_value_t = 0.9, allow_negative_numbers = true)]
    pub momentum: f64,
    /// Weight decay, on conv and linear weights only (non-negative).
    #[arg(long, default_value_t = 5e-4, allow_negative_numbers = true)]
    pub wd: f64,
}

/// Report a clap parse failure: help and version go to stdout with exit 0; a usage error is
/// one line on stderr with exit 2.
pub fn clap_failure(err: &clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    match err.kind() {
        ErrorKind::DisplayHelp
        | ErrorKind::DisplayVersion
        | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            let _ = err.print();
            ExitCode::SUCCESS
        }
        _ => {
            let text = negative_value(err).unwrap_or_else(|| {
                // clap's message spans lines ("error: …", "  [possible values: …]",
                // "Usage: …"); keep what comes before the usage, folded into one line.
                let rendered = err.render().to_string();
                let parts: Vec<&str> = rendered
                    .lines()
                    .map(str::trim)
                    .take_while(|l| !l.starts_with("Usage:") && !l.starts_with("For more"))
                    .filter(|l| !l.is_empty())
                    .collect();
                let text = parts.join(" ");
                text.strip_prefix("error: ").unwrap_or(&text).to_string()
            });
            eprintln!("error: {text} (see --help)");
            ExitCode::from(2)
        }
    }
}

/// Whether a command-line token is a negative number (`-1`, `-0.5`, `-1/4`).
fn is_negative_number(token: &str) -> bool {
    token
        .strip_prefix('-')
        .and_then(|rest| rest.chars().next())
        .is_some_and(|c| c.is_ascii_digit() || c == '.')
}

/// A negative number given to an option that takes none: clap either reads it as an
/// unknown option (`--seed -1`, with the wrong tip "use '-- -1'") or fails to parse it
/// (`--seed=-1`, "invalid digit"). Say what is wrong instead: it must be non-negative.
fn negative_value(err: &clap::Error) -> Option<String> {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    let context = |kind| match err.get(kind) {
        Some(ContextValue::String(s)) => Some(s.as_str()),
        _ => None,
    };
    match err.kind() {
        ErrorKind::UnknownArgument => {
            let token = context(ContextKind::InvalidArg).filter(|t| is_negative_number(t))?;
            let args: Vec<String> = std::env::args_os()
                .map(|a| a.to_string_lossy().into_owned())
                .collect();
            // clap may report only the start of the token (`-1` of `-1/4`).
            let at = args.iter().rposition(|a| a.starts_with(token))?;
            let (token, flag) = (&args[at], args[..at].last()?);
            let arg = find_arg(&args[1..at], flag.strip_prefix("--")?)?;
            if takes_unsigned(&arg) {
                Some(format!(
                    "invalid value '{token}' for '{flag}': the value must be non-negative"
                ))
            } else {
                arg.get_action().takes_values().then(|| {
                    format!(
                        "invalid value '{token}' for '{flag}': a value starting with '-' \
                         is written {flag}={token}"
                    )
                })
            }
        }
        ErrorKind::ValueValidation => {
            let value = context(ContextKind::InvalidValue).filter(|v| is_negative_number(v))?;
            let flag = context(ContextKind::InvalidArg)?;
            Some(format!(
                "invalid value '{value}' for '{flag}': the value must be non-negative"
            ))
        }
        _ => None,
    }
}

/// The option `--long` of the (sub)command the tokens before it select.
fn find_arg(before: &[String], long: &str) -> Option<clap::Arg> {
    use clap::CommandFactory;
    let mut cmd = Cli::command();
    for token in before {
        if let Some(sub) = cmd.find_subcommand(token) {
            cmd = sub.clone();
        }
    }
    cmd.get_arguments()
        .find(|a| a.get_long() == Some(long))
        .cloned()
}

/// Options whose values are counts, seeds or `I/N` shards: never negative.
fn takes_unsigned(arg: &clap::Arg) -> bool {
    use std::any::TypeId;
    let id = arg.get_value_parser().type_id();
    [
        TypeId::of::<u8>(),
        TypeId::of::<u16>(),
        TypeId::of::<u32>(),
        TypeId::of::<u64>(),
        TypeId::of::<usize>(),
    ]
    .iter()
    .any(|t| id == *t)
        || arg
            .get_value_names()
            .is_some_and(|n| n.iter().any(|v| v.as_str() == "I/N"))
}
