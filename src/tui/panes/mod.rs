//! One view per lab, rendering only from a [`Report`] (and view state): panes format, they
//! never compute physics. A pane is its readouts, its figures (charts and heatmaps, in the
//! order `z` cycles through them and `--plot` exports them) and their layout; [`render`] puts
//! them on screen the same way for every lab.

pub mod bn;
pub mod clip;
pub mod lstm;
pub mod mf;
pub mod resnet;
pub mod rnn;
pub mod sweep;
#[cfg(test)]
pub mod toy;

use crate::labs::{LabAction, LabId};
use crate::report::Report;
use crate::seeds::SeedStats;
use crate::tui::theme::Theme;
use crate::tui::widgets::Figure;
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

/// What a pane draws from.
pub struct PaneCtx<'a> {
    pub report: &'a Report,
    /// The pinned run, drawn as a ghost trace.
    pub pinned: Option<&'a Report>,
    /// The chart shown alone, if zoomed.
    pub zoom: Option<usize>,
    pub theme: &'a Theme,
    /// The same parameters over seeds (the `S` key): drawn as medians with 10–90% bands,
    /// with the lab's lesson counts above the readouts.
    pub seeds: Option<&'a SeedStats>,
    /// Which of the pane's [`Views`] to draw (0 for a pane with one view).
    pub view: usize,
    /// The run's length in steps: charts over the run's steps
    /// ([`Axis::steps`](crate::tui::widgets::chart::Axis::steps)) span 0 to
    /// it from the first frame (0: the report's steps).
    pub total: u64,
    /// The zoomed chart shows the first 1/2^x_zoom of its x range.
    pub x_zoom: u32,
}

/// Views of one pane that draw different figures of the same report, cycled by a key: a
/// choice of the UI alone (every report holds every view's data).
pub struct Views {
    /// The key, shown in the help and the hint bar like a lab's own actions.
    pub key: LabAction,
    /// Each view's name and the line the status bar shows when it is switched to.
    pub views: &'static [(&'static str, &'static str)],
}

/// What the shell needs of a lab's pane.
pub struct PaneDescriptor {
    /// The readouts above the figures.
    pub readouts: fn(&PaneCtx) -> Readouts,
    /// Every figure, in `z` order (mf's landscape adds one for the 1×1 problem).
    pub figures: for<'a> fn(&'a PaneCtx<'a>) -> Vec<Figure<'a>>,
    /// Where `count` figures go in `area` when none is zoomed.
    pub layout: fn(count: usize, area: Rect) -> Vec<Rect>,
    /// The pane's views, if it has more than one.
    pub views: Option<&'static Views>,
}

/// The keys of a lab in the TUI: its own actions, then its pane's view key.
pub fn keys(lab: LabId) -> impl Iterator<Item = &'static LabAction> {
    let views = descriptor(lab).views.map(|v| &v.key);
    lab.descriptor().actions.iter().chain(views)
}

/// The pane's figures, with every chart series taken from the report drawn as the seeds'
/// median and 10–90% band when `ctx.seeds` is set, the step axes spanning the whole run,
/// and the zoomed chart's x range zoomed.
pub fn figures<'a>(lab: LabId, ctx: &'a PaneCtx<'a>) -> Vec<Figure<'a>> {
    let mut figures = (descriptor(lab).figures)(ctx);
    if let Some(stats) = ctx.seeds {
        over_seeds(&mut figures, ctx.report, stats);
    }
    // The one place a time axis gets its span: the run's length, known from the first
    // frame, so the curves and the marker lines keep their columns while the run grows.
    let total = if ctx.total > 0 {
        ctx.total
    } else {
        ctx.report.steps
    };
    for (i, figure) in figures.iter_mut().enumerate() {
        let Figure::Chart(chart) = figure else {
            continue;
        };
        if chart.x.run_steps && chart.x.bounds.is_none() && total > 0 {
            chart.x.bounds = Some((0.0, total as f64));
        }
        if ctx.zoom == Some(i) {
            chart.x_zoom = ctx.x_zoom;
        }
    }
    figures
}

/// The report series a chart's slice borrows from (panes hand charts slices of the report,
/// so the slice's address says which series it is): the name and the offset into it.
fn series_of<'r>(report: &'r Report, slice: &[f64]) -> Option<(&'r str, usize)> {
    if slice.is_empty() {
        return None;
    }
    let addr = slice.as_ptr() as usize;
    report.series.iter().find_map(|(name, v)| {
        let start = v.as_ptr() as usize;
        let end = start + std::mem::size_of_val(v.as_slice());
        let slice_end = addr + std::mem::size_of_val(slice);
        (addr >= start && slice_end <= end)
            .then(|| (name.as_str(), (addr - start) / std::mem::size_of::<f64>()))
    })
}

/// The same range of a band's vector as `slice` covers of the report's series, if the band
/// reaches that far.
fn same_range(v: &[f64], offset: usize, len: usize) -> Option<&[f64]> {
    v.get(offset..offset + len)
}

/// Swap every report-borrowed chart series (and its x values) for the seeds' median, with
/// its 10–90% band where the seeds disagree. Panes need not know about seeds.
fn over_seeds<'a>(figures: &mut [Figure<'a>], report: &Report, stats: &'a SeedStats) {
    let band_of = |slice: &[f64]| {
        let (name, offset) = series_of(report, slice)?;
        Some((stats.bands.get(name)?, offset, slice.len()))
    };
    for figure in figures {
        let Figure::Chart(chart) = figure else {
            continue;
        };
        let mut banded = false;
        for s in &mut chart.series {
            if let Some(xs) = s.xs
                && let Some((b, offset, len)) = band_of(xs)
                && let Some(median) = same_range(&b.median, offset, len)
            {
                s.xs = Some(median);
            }
            if let Some((b, offset, len)) = band_of(s.ys) {
                // A run that ended early (a diverged seed) makes the median longer or
                // shorter than this run's series: take the seeds' whole length.
                let len = if offset == 0 { b.median.len() } else { len };
                if let (Some(m), Some(lo), Some(hi)) = (
                    same_range(&b.median, offset, len),
                    same_range(&b.q10, offset, len),
                    same_range(&b.q90, offset, len),
                ) {
                    s.ys = m;
                    if b.varies() && !s.scatter {
                        s.band = Some((lo, hi));
                        banded = true;
                    }
                }
            }
        }
        if banded {
            chart.band_label = Some(format!("10–90% of {} seeds", stats.seeds.len()));
        }
    }
}

/// The lesson counts over seeds, as a line above the readouts: "20 seeds: LSTM ≥ 95% 19/20".
fn seeds_line(stats: &SeedStats, theme: &Theme) -> Line<'static> {
    let done = stats.seeds.len();
    let head = if done < stats.total {
        format!("seeds {done}/{} (S stops)", stats.total)
    } else {
        format!("{done} seeds (S hides)")
    };
    let mut spans = vec![Span::styled(head, theme.title)];
    for l in &stats.lessons {
        spans.push(Span::raw("  ·  "));
        spans.push(Span::styled(format!("{} ", l.label), theme.dim));
        spans.push(Span::styled(format!("{}/{}", l.passed, l.of), theme.accent));
    }
    Line::from(spans)
}

/// Draw the pane of `lab`: readouts, then the zoomed figure or every figure in its layout.
pub fn render(lab: LabId, ctx: &PaneCtx, area: Rect, buf: &mut Buffer) {
    let d = descriptor(lab);
    let area = match ctx.seeds {
        Some(stats) if area.height > 2 => {
            let [top, rest] =
                Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(area);
            Paragraph::new(seeds_line(stats, ctx.theme)).render(top, buf);
            rest
        }
        _ => area,
    };
    let body = (d.readouts)(ctx).render_above(area, buf);
    let figures = figures(lab, ctx);
    match ctx.zoom {
        Some(i) if i < figures.len() => {
            if let Some(f) = figures.into_iter().nth(i) {
                f.render(body, buf);
            }
        }
        _ => {
            let areas = (d.layout)(figures.len(), body);
            for (f, a) in figures.into_iter().zip(areas) {
                f.render(a, buf);
            }
        }
    }
}

/// How many figures `z` cycles through for this report in this view.
pub fn figure_count(lab: LabId, report: &Report, theme: &Theme, view: usize) -> usize {
    let ctx = PaneCtx {
        report,
        pinned: None,
        zoom: None,
        theme,
        seeds: None,
        view,
        total: 0,
        x_zoom: 0,
    };
    (descriptor(lab).figures)(&ctx).len()
}

/// Rows of `area` (heights in percent) holding `cols[i]` figures side by side each.
pub fn grid(area: Rect, rows: &[(u16, usize)]) -> Vec<Rect> {
    let heights: Vec<Constraint> = rows
        .iter()
        .map(|(p, _)| Constraint::Percentage(*p))
        .collect();
    let bands = Layout::vertical(heights).split(area);
    bands
        .iter()
        .zip(rows)
        .flat_map(|(band, (_, n))| {
            let n = (*n).max(1) as u32;
            Layout::horizontal(vec![Constraint::Ratio(1, n); n as usize])
                .split(*band)
                .to_vec()
        })
        .collect()
}

/// The one place that maps a lab to its pane.
pub fn descriptor(lab: LabId) -> &'static PaneDescriptor {
    match lab {
        LabId::Rnn => &rnn::PANE,
        LabId::Clip => &clip::PANE,
        LabId::Lstm => &lstm::PANE,
        LabId::Bn => &bn::PANE,
        LabId::Mf => &mf::PANE,
        LabId::Resnet => &resnet::PANE,
        #[cfg(test)]
        LabId::Toy => &toy::PANE,
    }
}

/// Readouts: `label value` items above a pane's charts. Items are never split across lines:
/// they are laid out whole, on up to three lines, and any that still do not fit are counted
/// (`+N more`) rather than dropped silently.
#[derive(Default)]
pub struct Readouts {
    items: Vec<Vec<Span<'static>>>,
}

/// The most lines readouts take.
const READOUT_LINES: usize = 3;
/// Space between two items.
const ITEM_GAP: usize = 3;

impl Readouts {
    pub fn item(&mut self, theme: &Theme, label: &str, value: String) {
        self.items.push(vec![
            Span::styled(format!("{label} "), theme.dim),
            Span::styled(value, theme.accent),
        ]);
    }

    pub fn push(&mut self, span: Span<'static>) {
        self.items.push(vec![span]);
    }

    /// Lay the items out in lines of `width`.
    fn lines(self, width: usize) -> Vec<Line<'static>> {
        let w = |item: &[Span]| item.iter().map(Span::width).sum::<usize>();
        let mut lines: Vec<Vec<Span<'static>>> = vec![Vec::new()];
        let mut used = 0;
        let total = self.items.len();
        for (placed, item) in self.items.into_iter().enumerate() {
            let iw = w(&item);
            if used > 0 && used + ITEM_GAP + iw > width {
                if lines.len() == READOUT_LINES {
                    let more = format!("   +{} more", total - placed);
                    if let Some(last) = lines.last_mut() {
                        last.push(Span::raw(more));
                    }
                    break;
                }
                lines.push(Vec::new());
                used = 0;
            }
            if let Some(line) = lines.last_mut() {
                if used > 0 {
                    line.push(Span::raw(" ".repeat(ITEM_GAP)));
                    used += ITEM_GAP;
                }
                line.extend(item);
            }
            used += iw;
        }
        lines.into_iter().map(Line::from).collect()
    }

    /// Draw the readouts over the top rows of `area`; returns the area below them.
    pub fn render_above(self, area: Rect, buf: &mut Buffer) -> Rect {
        let lines = self.lines(usize::from(area.width));
        let h = (lines.len() as u16).min(area.height);
        let [top, body] = Layout::vertical([Constraint::Length(h), Constraint::Min(0)]).areas(area);
        Paragraph::new(lines).render(top, buf);
        body
    }
}
