//! The resnet lab's explain text: what `model.train()` and `model.eval()` change, batch norm
//! before or after the ReLU, which parameters get weight decay and why, and what the charts
//! show.

pub const EXPLAIN: &str = "\
ResNet-18 (torchvision's; CIFAR stem; stages of w, 2w, 4w, 8w channels),
trained by SGD with PyTorch's semantics:
  d = g + λw,   buf = α·buf + d,   w ← w − η·buf.
One step is one batch; a fixed set of validation images every few steps.

model.train() and model.eval(): what they change, where each belongs
  They change only layers that behave differently in training and inference:
  batch norm (and dropout; ResNet-18 has none). In train mode BN normalises
  each channel with the statistics of the current batch and updates its
  running mean and variance (momentum 0.1); in eval mode it normalises with
  those running statistics and updates nothing. They do not switch gradients
  off (torch.no_grad() does). train() belongs before the training steps;
  eval() before validation or inference, and train() again before training
  resumes. Forgetting eval() makes each prediction depend on the other
  images of its batch and (in PyTorch) moves the running statistics with
  validation data; forgetting train() afterwards trains with frozen ones.
  The accuracy chart shows one validation pass in both modes (the running
  statistics are restored after the train-mode pass, so the run goes on
  unchanged). Eval mode is the correct one: it is the network you deploy.
  At lr 0.1 the running statistics lag the moving weights, so the two can
  differ by several points either way mid-training: that gap is the bug's
  size, and it grows with smaller or less mixed batches.

Batch norm before or after the ReLU
  conv → BN → ReLU is the original ResNet's order (He et al. 2015) and
  torchvision's; conv → ReLU → BN is the other common choice. Neither is
  better everywhere: compare the pytorch-order and bn-after-relu presets
  (pin one with p, then switch).

Which parameters get weight decay, and why
  Three groups, formed by module type: BN affine parameters (γ, β), conv
  and linear biases, and the rest (conv and linear weights). Decay goes to
  the rest only. Every conv weight here is followed by BN, so scaling it
  does not change the network's function: l(cw) = l(w), hence
  ∇l(cw) = ∇l(w)/c and ⟨w, ∇l(w)⟩ = 0. The gradient only rotates w and
  makes ‖w‖ grow; what a step does to the function is set by the effective
  learning rate η/‖w‖². Decay on these weights limits no capacity: it holds
  ‖w‖, and so the effective rate, steady (no-decay preset: ‖w‖ grows and
  η/‖w‖² falls, an implicit learning-rate decay that freezes a long run).
  Biases and BN's γ, β are few and not scale-invariant: they do not set the
  capacity of the scale-invariant function, and decaying them only pulls
  the shifts to zero and γ (the scale BN hands back to each channel)
  towards zero, which fights the normalisation (decay-everything preset).
  Group by module type, not by name: the recipe `'bn' in name` misses the
  three downsample.1 BatchNorms and selects no conv or fc weight at all.

What to notice
• Accuracy: validation in eval mode beside the same images in train mode.
• Gradient strip: log10 ‖∂L/∂W‖ of every conv and fc weight (input at the
  bottom, output at the top), averaged over bins of steps. With BN after
  every convolution the plain network (no-skips) does not starve its early
  layers: its strip stays as level as the ResNet's, since BN rescales each
  layer's backward signal. What skips buy is easier optimisation: pin the
  ResNet (p), switch to no-skips and compare the accuracy curves; S gives
  the spread over seeds.
• Weight norm and effective learning rate per group (η over the mean
  ‖w_t‖² of the group's tensors): with λ = 0 the conv weights grow and
  η/‖w‖² falls; with decay on everything BN's γ shrinks.
• The layer table: parameters per block, the groups and the decay of each.";
