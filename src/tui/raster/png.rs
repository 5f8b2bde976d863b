//! PNG screenshots (`W`): the whole screen as it is, painted as a GIF frame is, written as
//! an 8-bit palette PNG (small, and the colours are exactly the palette's).

use super::{Painter, palette};
use ratatui::buffer::Buffer;

/// The PNG of the App's screen at a terminal size (what `W` writes).
pub fn of_app(app: &crate::tui::app::App, (cols, rows): (u16, u16)) -> Result<Vec<u8>, String> {
    let mut buf = Buffer::empty(ratatui::layout::Rect::new(0, 0, cols, rows));
    crate::tui::view::render(app, buf.area, &mut buf);
    screenshot(&buf)
}

/// The PNG of a screen.
pub fn screenshot(buf: &Buffer) -> Result<Vec<u8>, String> {
    let mut painter = Painter::new(buf.area.width, buf.area.height);
    painter.paint(buf);
    let (w, h) = (painter.width(), painter.height());
    let mut out = Vec::new();
    let err = |e: ::png::EncodingError| format!("encoding the PNG: {e}");
    {
        let mut enc = ::png::Encoder::new(&mut out, w as u32, h as u32);
        enc.set_color(::png::ColorType::Indexed);
        enc.set_depth(::png::BitDepth::Eight);
        enc.set_palette(palette());
        let mut writer = enc.write_header().map_err(err)?;
        writer.write_image_data(&painter.pixels).map_err(err)?;
        writer.finish().map_err(err)?;
    }
    Ok(out)
}
