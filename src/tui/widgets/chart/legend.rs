//! The chart legend, laid out in rows above the plot so it never covers data: entries are
//! placed left to right and wrap to the next row; when the rows allowed are not enough,
//! names are shortened (with `…`) before anything is left out, and what is still left out
//! is counted (`+N`), never dropped silently.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;

/// One legend entry: a sample of the series' marker and its name.
#[derive(Clone, Debug)]
pub struct Entry {
    sample: String,
    sample_style: Style,
    label: String,
    label_style: Style,
}

impl Entry {
    pub fn new(sample: String, sample_style: Style, label: String, label_style: Style) -> Self {
        Entry {
            sample,
            sample_style,
            label,
            label_style,
        }
    }

    /// An entry that is only text (the counts of bad values).
    pub fn plain(label: String, style: Style) -> Self {
        Entry::new(String::new(), style, label, style)
    }

    fn width(&self) -> usize {
        let sample = self.sample.chars().count();
        sample + usize::from(sample > 0) + self.label.chars().count()
    }

    fn shortened(&self, max_label: usize) -> Entry {
        let n = self.label.chars().count();
        if n <= max_label {
            return self.clone();
        }
        let mut label: String = self
            .label
            .chars()
            .take(max_label.saturating_sub(1))
            .collect();
        label.push('…');
        Entry {
            label,
            ..self.clone()
        }
    }
}

/// Gap between two entries of a row.
const GAP: usize = 2;
/// Labels are never shortened below this many characters.
const MIN_LABEL: usize = 6;

/// Place entries in rows of `width`; the first row starts at column `first_offset` (after
/// the y axis label). At most `max_rows` rows: labels are shortened to fit, and entries that
/// still do not fit are counted as `+N` at the end of the last row.
pub fn layout(
    entries: Vec<Entry>,
    width: u16,
    first_offset: u16,
    max_rows: u16,
) -> Vec<Vec<Entry>> {
    if entries.is_empty() {
        return Vec::new();
    }
    let longest = entries
        .iter()
        .map(|e| e.label.chars().count())
        .max()
        .unwrap_or(0);
    // No entry wider than a row.
    let widest_sample = entries
        .iter()
        .map(|e| e.width() - e.label.chars().count())
        .max()
        .unwrap_or(0);
    let mut max_label = longest.min(usize::from(width).saturating_sub(widest_sample));
    loop {
        let short: Vec<Entry> = entries.iter().map(|e| e.shortened(max_label)).collect();
        let rows = wrap(&short, usize::from(width), usize::from(first_offset));
        if rows.len() <= usize::from(max_rows) || max_label <= MIN_LABEL {
            return truncate(rows, usize::from(max_rows), usize::from(width));
        }
        max_label = (max_label * 3 / 4).max(MIN_LABEL);
    }
}

fn wrap(entries: &[Entry], width: usize, first_offset: usize) -> Vec<Vec<Entry>> {
    let mut rows: Vec<Vec<Entry>> = vec![Vec::new()];
    let mut used = first_offset;
    for e in entries {
        let w = e.width() + GAP;
        let row_empty = rows.last().is_none_or(Vec::is_empty);
        // A full row, or a first row too short (after the axis label) for this entry.
        let first_too_short = rows.len() == 1 && row_empty && first_offset > 0;
        if used + w > width + GAP && (!row_empty || first_too_short) {
            rows.push(Vec::new());
            used = 0;
        }
        used += w;
        if let Some(row) = rows.last_mut() {
            row.push(e.clone());
        }
    }
    rows
}

/// Keep `max_rows` rows; the entries beyond are counted on the last row as `+N`.
fn truncate(mut rows: Vec<Vec<Entry>>, max_rows: usize, width: usize) -> Vec<Vec<Entry>> {
    if rows.len() <= max_rows {
        return rows;
    }
    let hidden: usize = rows[max_rows..].iter().map(Vec::len).sum();
    rows.truncate(max_rows);
    if let Some(last) = rows.last_mut() {
        let style = last.first().map(|e| e.label_style).unwrap_or_default();
        let more = Entry::plain(format!("+{hidden}"), style);
        let mut hidden = hidden;
        // Make room for the count.
        while !last.is_empty()
            && last.iter().map(|e| e.width() + GAP).sum::<usize>() + more.width() > width
        {
            last.pop();
            hidden += 1;
        }
        last.push(Entry::plain(format!("+{hidden}"), style));
    }
    rows
}

/// Draw one row of entries right-aligned in `area` at row `y`.
pub fn render_row(row: &[Entry], area: Rect, y: u16, buf: &mut Buffer) {
    let total: usize = row
        .iter()
        .map(|e| e.width() + GAP)
        .sum::<usize>()
        .saturating_sub(GAP);
    let mut x = area.right().saturating_sub(total as u16).max(area.x);
    for e in row {
        if !e.sample.is_empty() {
            buf.set_string(x, y, &e.sample, e.sample_style);
            x += e.sample.chars().count() as u16 + 1;
        }
        let room = area.right().saturating_sub(x);
        buf.set_stringn(x, y, &e.label, usize::from(room), e.label_style);
        x += (e.label.chars().count() + GAP) as u16;
        if x >= area.right() {
            break;
        }
    }
}
