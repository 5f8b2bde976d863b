//! How a convolution is computed: [`ConvAlgo`], chosen once per geometry by
//! `ConvAlgo::for_geometry` — the one place that holds the rules — and cached by the layer.
//! Dispatch, the profile's labels and the tests all read the same value.

use crate::nn::kernels::{Geom, WeightGradProduct};

/// Tiles per tile row (`W / 2`) of the fixed-row Winograd transforms: each is a
/// compile-time constant of `kernels::winograd_rows`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RowTiles {
    T1,
    T2,
    T4,
    T8,
    T16,
}

impl RowTiles {
    pub fn get(self) -> usize {
        match self {
            Self::T1 => 1,
            Self::T2 => 2,
            Self::T4 => 4,
            Self::T8 => 8,
            Self::T16 => 16,
        }
    }
}

/// Output width (`W / 2`) of the compile-time stride-2 patch paths of `kernels::patches`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum HalfWidth {
    W4,
    W8,
    W16,
}

impl HalfWidth {
    pub fn get(self) -> usize {
        match self {
            Self::W4 => 4,
            Self::W8 => 8,
            Self::W16 => 16,
        }
    }
}

/// The algorithm of one convolution geometry (the layer's kernel, stride and padding on
/// one input shape). Every variant computes PyTorch's `Conv2d`, forward and backward;
/// they differ in speed and in the order of their sums.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ConvAlgo {
    /// Winograd F(2×2, 3×3) with the fixed-row transforms: 3×3, stride 1, padding 1, an
    /// even input whose width is twice the tile count. ResNet's "same" convolutions.
    WinogradRows(RowTiles),
    /// Winograd F(2×2, 3×3), general transforms: any 3×3 stride-1 convolution.
    Winograd,
    /// 1×1, stride 1, unpadded: the input already is its patch matrix (no im2col).
    Pointwise,
    /// im2col with the compile-time taps of a 3×3, stride-2, padding-1 convolution that
    /// halves an even input (ResNet's downsampling).
    HalvingTaps(HalfWidth),
    /// im2col of a 1×1, stride-2, unpadded convolution that halves an even input (the
    /// shortcut's projection): the patches are the even columns of the even rows.
    HalvingPick(HalfWidth),
    /// im2col + GEMM: any geometry. The reference the others are tested against.
    Im2col,
}

/// A weight gradient's width (`k`) from which its product transposes the patches and runs
/// a GEMM with vectors along `k` ([`WeightGradProduct::Transposed`]) instead of lane sums
/// along the columns: those sums cost as much as the products when a chunk holds few
/// columns (the stride-2 weight gradients ran 2.5× slower than their forward passes; 4×4
/// images give 64 tiles a part); two vectors along `k` keep the kernel's register block
/// full.
const TRANSPOSE_FROM: usize = 32;

impl ConvAlgo {
    /// Every algorithm, in order of preference: `ConvAlgo::for_geometry` takes the first
    /// that supports a geometry.
    pub const ALL: [ConvAlgo; 14] = [
        Self::WinogradRows(RowTiles::T1),
        Self::WinogradRows(RowTiles::T2),
        Self::WinogradRows(RowTiles::T4),
        Self::WinogradRows(RowTiles::T8),
        Self::WinogradRows(RowTiles::T16),
        Self::Winograd,
        Self::Pointwise,
        Self::HalvingTaps(HalfWidth::W4),
        Self::HalvingTaps(HalfWidth::W8),
        Self::HalvingTaps(HalfWidth::W16),
        Self::HalvingPick(HalfWidth::W4),
        Self::HalvingPick(HalfWidth::W8),
        Self::HalvingPick(HalfWidth::W16),
        Self::Im2col,
    ];

    /// The fastest algorithm that supports `g`: the first of [`ConvAlgo::ALL`] that does
    /// ([`ConvAlgo::Im2col`] supports every geometry).
    pub(crate) fn for_geometry(g: &Geom) -> ConvAlgo {
        Self::ALL
            .into_iter()
            .find(|a| a.supports(g))
            .unwrap_or(Self::Im2col)
    }

    /// Whether this algorithm computes the convolution of `g`.
    pub(crate) fn supports(self, g: &Geom) -> bool {
        let kernel = (g.kh, g.kw);
        let stride = (g.sh, g.sw);
        let pad = (g.ph, g.pw);
        let three_by_three_stride_1 = kernel == (3, 3) && stride == (1, 1);
        // Stride 2 on an even input, every output column taking its two input columns.
        let halving = stride == (2, 2) && g.h.is_multiple_of(2) && g.w == 2 * g.wo;
        match self {
            Self::WinogradRows(t) => {
                three_by_three_stride_1
                    && pad == (1, 1)
                    && g.h.is_multiple_of(2)
                    && g.w == 2 * t.get()
            }
            Self::Winograd => three_by_three_stride_1,
            Self::Pointwise => kernel == (1, 1) && stride == (1, 1) && pad == (0, 0),
            Self::HalvingTaps(w) => halving && kernel == (3, 3) && pad == (1, 1) && g.wo == w.get(),
            Self::HalvingPick(w) => halving && kernel == (1, 1) && pad == (0, 0) && g.wo == w.get(),
            Self::Im2col => true,
        }
    }

    /// How the weight gradient's products run for `g` on this algorithm. Their width is
    /// `C_in` per Winograd position and `C_in·kh·kw` for patches; a pointwise convolution
    /// reads its input in place (strided, so never transposed).
    pub(crate) fn weight_grad(self, g: &Geom) -> WeightGradProduct {
        let k = match self {
            Self::Pointwise => return WeightGradProduct::LaneSums,
            Self::WinogradRows(_) | Self::Winograd => g.c_in,
            Self::HalvingTaps(_) | Self::HalvingPick(_) | Self::Im2col => g.k(),
        };
        if k >= TRANSPOSE_FROM {
            WeightGradProduct::Transposed
        } else {
            WeightGradProduct::LaneSums
        }
    }

    /// Whether this is one of the Winograd algorithms (the others lower to patches).
    pub fn is_winograd(self) -> bool {
        matches!(self, Self::WinogradRows(_) | Self::Winograd)
    }

    /// The algorithm's name in a profile (`conv3x3/1 winograd-rows`): one per family, the
    /// compile-time widths left out.
    pub fn label(self) -> &'static str {
        match self {
            Self::WinogradRows(_) => "winograd-rows",
            Self::Winograd => "winograd",
            Self::Pointwise => "pointwise",
            Self::HalvingTaps(_) => "im2col-halving",
            Self::HalvingPick(_) => "im2col-pick",
            Self::Im2col => "im2col",
        }
    }
}
