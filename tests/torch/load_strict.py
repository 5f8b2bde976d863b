"""Load a `resnet train --save` checkpoint into PyTorch's ResNet-18 (torchvision's names and
semantics, cifar stem) with load_state_dict(strict=True), then write its eval-mode logits on the
given input, for tests/resnet_torch.rs to compare with gradscope's.
Usage: python load_strict.py CHECKPOINT WIDTH INPUT OUT (safetensors files; INPUT holds `input`)."""
import sys
import torch
import torch.nn as nn
from safetensors.torch import load_file, save_file


class Block(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.relu = nn.ReLU()
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.downsample = None
        if stride != 1 or cin != cout:
            self.downsample = nn.Sequential(
                nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        idt = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + idt)


class ResNet18(nn.Module):
    def __init__(self, width, classes=10):
        super().__init__()
        w = width
        self.conv1 = nn.Conv2d(3, w, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(w)
        self.relu = nn.ReLU()
        cin = w
        for i, c in enumerate([w, 2 * w, 4 * w, 8 * w]):
            setattr(self, f"layer{i + 1}", nn.Sequential(Block(cin, c, 1 if i == 0 else 2), Block(c, c, 1)))
            cin = c
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(8 * w, classes)

    def forward(self, x):
        x = self.relu(self.bn1(self.conv1(x)))
        for i in range(4):
            x = getattr(self, f"layer{i + 1}")(x)
        return self.fc(torch.flatten(self.avgpool(x), 1))


def main():
    ckpt, width, inp, out = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    model = ResNet18(width)
    model.load_state_dict(load_file(ckpt), strict=True)
    model.eval()
    with torch.no_grad():
        logits = model(load_file(inp)["input"])
    save_file({"logits": logits.contiguous()}, out)


main()
