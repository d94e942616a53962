"""Trains the keras variant of LeNet-5 in PyTorch, the way the most common tutorial does
(inputs pixel/255 with zero padding, tanh, average pooling, a dense output; SGD with
momentum 0.9, lr 0.01, batch 64, one pass over the 60,000 training digits), and writes:

- FOLDER/pytorch-keras.safetensors: the state_dict, with no metadata (as PyTorch writes it);
- FOLDER/pytorch-keras-logits.f32: PyTorch's logits on the 10,000 test digits, float32
  little-endian, 10 per digit.

`InteropTests.testPyTorchWeightsGivePyTorchsLogits` holds `lesson eval --scaling unit` to
these logits. Run once, by hand, with torch and safetensors installed (not a test need):

    python scripts/train-pytorch-keras.py ../shared/data/mnist Tests/LessonCLITests/Fixtures
"""
import gzip
import struct
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from safetensors.torch import save_file

mnist, folder = sys.argv[1], sys.argv[2]
torch.manual_seed(0)
torch.set_num_threads(2)


def images(name):
    raw = gzip.open(f"{mnist}/{name}").read()
    n, rows, cols = struct.unpack(">III", raw[4:16])
    return torch.from_numpy(np.frombuffer(raw, np.uint8, offset=16).reshape(n, 1, rows, cols).astype(np.float32) / 255)


def labels(name):
    raw = gzip.open(f"{mnist}/{name}").read()
    return torch.from_numpy(np.frombuffer(raw, np.uint8, offset=8).astype(np.int64))


class LeNet5(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(1, 6, 5, padding=2)
        self.c3 = nn.Conv2d(6, 16, 5)
        self.c5 = nn.Linear(400, 120)
        self.f6 = nn.Linear(120, 84)
        self.out = nn.Linear(84, 10)

    def forward(self, x):
        x = F.avg_pool2d(torch.tanh(self.c1(x)), 2)
        x = F.avg_pool2d(torch.tanh(self.c3(x)), 2)
        x = torch.tanh(self.c5(x.flatten(1)))
        return self.out(torch.tanh(self.f6(x)))


train_x, train_y = images("train-images-idx3-ubyte.gz"), labels("train-labels-idx1-ubyte.gz")
test_x, test_y = images("t10k-images-idx3-ubyte.gz"), labels("t10k-labels-idx1-ubyte.gz")
model = LeNet5()
optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
order = torch.randperm(len(train_x))
for start in range(0, len(order), 64):
    batch = order[start:start + 64]
    optimizer.zero_grad()
    F.cross_entropy(model(train_x[batch]), train_y[batch]).backward()
    optimizer.step()
model.eval()
with torch.no_grad():
    logits = model(test_x)
errors = int((logits.argmax(1) != test_y).sum())
save_file({k: v.contiguous() for k, v in model.state_dict().items()}, f"{folder}/pytorch-keras.safetensors")
logits.numpy().astype("<f4").tofile(f"{folder}/pytorch-keras-logits.f32")
print(f"PyTorch {torch.__version__}: one pass, test error {errors}/10000 = {errors / 100:.2f}%")
