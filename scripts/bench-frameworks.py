"""The frameworks `lesson bench --compare` measures beside this tool, on the same network.

usage: bench-frameworks.py --onnx MODEL.onnx [--seconds S] [--threads T]

PyTorch, when installed, runs the keras variant as `lesson bench` does: the seed's Keras
model (conv 5×5 → tanh → 2×2 mean, twice; 400 → 120 → 84 → 10 with tanh), inputs 1×32×32,
training with plain SGD (lr 0.01) on softmax cross-entropy at batch 1 and batch 64, and
inference at batch 1000 without gradients. ONNX Runtime, when installed, runs MODEL.onnx
(this tool's export of the same network; input N×1×28×28 grey levels) on the CPU provider at
batch 1000. Both use T threads. Each rate is samples per second over at least S seconds, after
a warm-up. Prints one JSON line; a framework that is not installed is reported as null.
"""
import argparse
import json
import time

import numpy as np


def rate(batch, seconds, work):
    work()  # warm-up: first-call allocations and kernel selection
    done, start = 0, time.perf_counter()
    while True:
        work()
        done += batch
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return done / elapsed


def bench_torch(seconds, threads):
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(threads)
    torch.manual_seed(1)
    net = torch.nn.Sequential(
        torch.nn.Conv2d(1, 6, 5), torch.nn.Tanh(), torch.nn.AvgPool2d(2),
        torch.nn.Conv2d(6, 16, 5), torch.nn.Tanh(), torch.nn.AvgPool2d(2),
        torch.nn.Flatten(),
        torch.nn.Linear(400, 120), torch.nn.Tanh(),
        torch.nn.Linear(120, 84), torch.nn.Tanh(),
        torch.nn.Linear(84, 10))
    optimizer = torch.optim.SGD(net.parameters(), lr=0.01)
    loss = torch.nn.CrossEntropyLoss()
    rng = np.random.default_rng(1)

    def train(batch):
        x = torch.from_numpy(rng.standard_normal((batch, 1, 32, 32), dtype=np.float32))
        y = torch.from_numpy(rng.integers(0, 10, batch))

        def step():
            optimizer.zero_grad()
            loss(net(x), y).backward()
            optimizer.step()
        return rate(batch, seconds, step)

    x1000 = torch.from_numpy(rng.standard_normal((1000, 1, 32, 32), dtype=np.float32))

    def infer():
        with torch.no_grad():
            net(x1000)
    return {
        "torch": torch.__version__,
        "torch_train_batch1": train(1),
        "torch_train_batch64": train(64),
        "torch_infer_batch1000": rate(1000, seconds, infer),
    }


def bench_onnxruntime(model, seconds, threads):
    try:
        import onnxruntime as ort
    except ImportError:
        return None
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    session = ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    x = np.random.default_rng(1).integers(0, 256, (1000, 1, 28, 28)).astype(np.float32)
    return {
        "onnxruntime": ort.__version__,
        "ort_infer_batch1000": rate(1000, seconds, lambda: session.run(None, {name: x})),
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--onnx", required=True)
    parser.add_argument("--seconds", type=float, default=1.5)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    result = {"torch": None, "onnxruntime": None}
    result.update(bench_torch(args.seconds, args.threads) or {})
    result.update(bench_onnxruntime(args.onnx, args.seconds, args.threads) or {})
    print(json.dumps(result))


if __name__ == "__main__":
    main()
