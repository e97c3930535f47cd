"""Writes a small CNN for 8x8 single-channel digit images as a TorchScript file, for
`MODEL.TYPE: torchscript` (examples/cnn/config.yaml). Run it with the PyTorch whose LibTorch the
addon links (a TorchScript file from a newer PyTorch may not load in an older LibTorch):

    python3 examples/cnn/make_cnn.py examples/cnn/cnn.pt [--classes 10]
"""
import argparse

import torch
import torch.nn as nn


class DigitCNN(nn.Module):
    def __init__(self, classes: int = 10):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(16)
        self.conv2 = nn.Conv2d(16, 32, 3, padding=1)
        self.bn2 = nn.BatchNorm2d(32)
        self.head = nn.Linear(32 * 2 * 2, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = torch.max_pool2d(torch.relu(self.bn1(self.conv1(x))), 2)  # 16 x 4 x 4
        x = torch.max_pool2d(torch.relu(self.bn2(self.conv2(x))), 2)  # 32 x 2 x 2
        return self.head(torch.flatten(x, 1))


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("out")
    p.add_argument("--classes", type=int, default=10)
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args()
    torch.manual_seed(a.seed)
    torch.jit.script(DigitCNN(a.classes)).save(a.out)
    print("wrote", a.out)
