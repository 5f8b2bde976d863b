//! torchvision's `BasicBlock` with the configurable batch-norm order and shortcut (see
//! the parent module's docs for what `conv-relu-bn` and `skip = false` mean).

use super::BnOrder;
use crate::nn::profile::{self, Phase};
use crate::nn::{BatchNorm2d, Conv2d, Relu};
use crate::nn::{BufferRef, Layer, Mode, Module, ParamRef, Real, Tensor, add_into, join};

/// `downsample = Sequential(conv1x1(stride), BatchNorm2d)`.
#[derive(Clone, Debug)]
pub struct Downsample<T> {
    pub conv: Conv2d<T>,
    pub bn: BatchNorm2d<T>,
}

/// torchvision's `BasicBlock`: two 3×3 convolutions with batch norm and ReLU, plus the
/// shortcut (identity, or the 1×1 downsample when the shape changes).
#[derive(Clone, Debug)]
pub struct BasicBlock<T> {
    pub conv1: Conv2d<T>,
    pub bn1: BatchNorm2d<T>,
    pub conv2: Conv2d<T>,
    pub bn2: BatchNorm2d<T>,
    pub downsample: Option<Downsample<T>>,
    pub bn_order: BnOrder,
    pub skip: bool,
    relu1: Relu<T>,
    relu2: Relu<T>,
    /// The residual sum, stored only in conv-relu-bn order (it is the block's output);
    /// in conv-bn-relu order the sum and the ReLU after it run fused.
    sum: Tensor<T>,
    dx: Tensor<T>,
}

impl<T: Real> BasicBlock<T> {
    pub fn new(c_in: usize, c_out: usize, stride: usize, bn_order: BnOrder, skip: bool) -> Self {
        let downsample = (skip && (stride != 1 || c_in != c_out)).then(|| Downsample {
            conv: Conv2d::new(c_in, c_out, 1, stride, 0),
            bn: BatchNorm2d::new(c_out),
        });
        Self {
            conv1: Conv2d::new(c_in, c_out, 3, stride, 1),
            bn1: BatchNorm2d::new(c_out),
            conv2: Conv2d::new(c_out, c_out, 3, 1, 1),
            bn2: BatchNorm2d::new(c_out),
            downsample,
            bn_order,
            skip,
            relu1: Relu::new(),
            relu2: Relu::new(),
            sum: Tensor::zeros([0, 0, 0, 0]),
            dx: Tensor::zeros([0, 0, 0, 0]),
        }
    }

    pub(super) fn init(&mut self, rng: &mut impl rand::Rng) {
        self.conv1.init_kaiming_fan_out(rng);
        self.bn1.init();
        self.conv2.init_kaiming_fan_out(rng);
        self.bn2.init();
        if let Some(d) = &mut self.downsample {
            d.conv.init_kaiming_fan_out(rng);
            d.bn.init();
        }
    }
}

impl<T: Real> Module<T> for BasicBlock<T> {
    fn visit_params(&mut self, prefix: &str, f: &mut dyn FnMut(ParamRef<'_, T>)) {
        self.conv1.visit_params(&join(prefix, "conv1"), f);
        self.bn1.visit_params(&join(prefix, "bn1"), f);
        self.conv2.visit_params(&join(prefix, "conv2"), f);
        self.bn2.visit_params(&join(prefix, "bn2"), f);
        if let Some(d) = &mut self.downsample {
            d.conv.visit_params(&join(prefix, "downsample.0"), f);
            d.bn.visit_params(&join(prefix, "downsample.1"), f);
        }
    }

    fn visit_buffers(&mut self, prefix: &str, f: &mut dyn FnMut(&str, BufferRef<'_, T>)) {
        self.bn1.visit_buffers(&join(prefix, "bn1"), f);
        self.bn2.visit_buffers(&join(prefix, "bn2"), f);
        if let Some(d) = &mut self.downsample {
            d.bn.visit_buffers(&join(prefix, "downsample.1"), f);
        }
    }
}

impl<T: Real> Layer<T> for BasicBlock<T> {
    fn forward(&mut self, x: &Tensor<T>, mode: Mode) -> &Tensor<T> {
        let main = match self.bn_order {
            BnOrder::ConvBnRelu => {
                let a1 = self.conv1.forward(x, mode);
                self.bn1.forward_relu(a1, mode, &mut self.relu1);
                self.bn2
                    .forward(self.conv2.forward(self.relu1.output(), mode), mode)
            }
            BnOrder::ConvReluBn => {
                let a1 = self.conv1.forward(x, mode);
                let b1 = self.bn1.forward(self.relu1.forward(a1, mode), mode);
                let r2 = self.relu2.forward(self.conv2.forward(b1, mode), mode);
                self.bn2.forward(r2, mode)
            }
        };
        if self.skip {
            let shortcut = match &mut self.downsample {
                Some(d) => d.bn.forward(d.conv.forward(x, mode), mode),
                None => x,
            };
            let _t = profile::scope("residual add", Phase::Forward);
            match self.bn_order {
                // The sum and the ReLU after it in one pass (the sum is not stored).
                BnOrder::ConvBnRelu => _ = self.relu2.forward_sum(main, shortcut),
                BnOrder::ConvReluBn => add_into(&mut self.sum, main, shortcut),
            }
        }
        match (self.bn_order, self.skip) {
            (BnOrder::ConvBnRelu, true) => self.relu2.output(),
            (BnOrder::ConvBnRelu, false) => self.relu2.forward(self.bn2.output(), mode),
            (BnOrder::ConvReluBn, true) => &self.sum,
            (BnOrder::ConvReluBn, false) => self.bn2.output(),
        }
    }

    fn backward(&mut self, x: &Tensor<T>, dy: &Tensor<T>) -> &Tensor<T> {
        // d(main output) = d(sum) = d(shortcut output)
        let dmain = match self.bn_order {
            BnOrder::ConvBnRelu => {
                // The ReLUs were fused with what came before them: their inputs were
                // never stored, and their backward passes need only their outputs.
                let ds = self.relu2.backward_from_output(dy);
                let da2 = self.bn2.backward(self.conv2.output(), ds);
                let dr1 = self.conv2.backward(self.relu1.output(), da2);
                let db1 = self.relu1.backward_from_output(dr1);
                let da1 = self.bn1.backward(self.conv1.output(), db1);
                self.conv1.backward(x, da1);
                ds
            }
            BnOrder::ConvReluBn => {
                let dr2 = self.bn2.backward(self.relu2.output(), dy);
                let da2 = self.relu2.backward(self.conv2.output(), dr2);
                let db1 = self.conv2.backward(self.bn1.output(), da2);
                let dr1 = self.bn1.backward(self.relu1.output(), db1);
                let da1 = self.relu1.backward(self.conv1.output(), dr1);
                self.conv1.backward(x, da1);
                dy
            }
        };
        if !self.skip {
            return self.conv1.input_grad();
        }
        let dshort = match &mut self.downsample {
            Some(d) => {
                let dd = d.bn.backward(d.conv.output(), dmain);
                d.conv.backward(x, dd)
            }
            None => dmain,
        };
        let _t = profile::scope("residual add", Phase::Backward);
        add_into(&mut self.dx, self.conv1.input_grad(), dshort);
        &self.dx
    }

    fn output(&self) -> &Tensor<T> {
        match (self.bn_order, self.skip) {
            (BnOrder::ConvBnRelu, _) => self.relu2.output(),
            (BnOrder::ConvReluBn, true) => &self.sum,
            (BnOrder::ConvReluBn, false) => self.bn2.output(),
        }
    }

    fn input_grad(&self) -> &Tensor<T> {
        if self.skip {
            &self.dx
        } else {
            self.conv1.input_grad()
        }
    }
}
