//! [`Geom`]: the shapes of one convolution call, all a kernel needs to know of its layer.

/// Shapes of one convolution call: input `[c_in, n, h, w]`, kernel, stride, padding and
/// the output size they give.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Geom {
    pub(crate) c_in: usize,
    pub(crate) n: usize,
    pub(crate) h: usize,
    pub(crate) w: usize,
    pub(crate) kh: usize,
    pub(crate) kw: usize,
    pub(crate) sh: usize,
    pub(crate) sw: usize,
    pub(crate) ph: usize,
    pub(crate) pw: usize,
    pub(crate) ho: usize,
    pub(crate) wo: usize,
}

impl Geom {
    /// Rows of the patch matrix: `C_in·kh·kw`.
    pub(crate) fn k(&self) -> usize {
        self.c_in * self.kh * self.kw
    }
}
