"""Checks an exported LeNet-5 against ONNX Runtime, the engine a user would deploy with.

usage: check-onnx.py MODEL.onnx OUTPUTS.csv IMAGES-IDX[.gz] [--tolerance 1e-4]

onnx.checker validates the file; ONNX Runtime (CPU) then runs it on the raw grey levels of
every image in the IDX file, and its outputs must equal OUTPUTS.csv (one row of 10 per image,
as `lesson eval --dump-logits` writes) within the tolerance, relative to the output's size
above 1 (|a − b| ≤ tolerance · max(1, |b|)): float32 RBF penalties reach about 200, where
one rounding is 1.5e-5 and two correct summation orders differ by about 1e-4 (this tool's
own fast and reference paths do). Every image must get the same answer. Prints one summary
line; exits 1 on any difference.
"""
import gzip
import sys

import numpy as np
import onnx
import onnxruntime as ort


def read_images(path):
    data = (gzip.open if path.endswith(".gz") else open)(path, "rb").read()
    magic, count, rows, cols = np.frombuffer(data[:16], dtype=">u4")
    assert magic == 2051, f"{path}: not an IDX image file"
    return np.frombuffer(data[16:], dtype=np.uint8).reshape(count, 1, rows, cols).astype(np.float32)


def main():
    args = sys.argv[1:]
    tolerance = 1e-4
    if "--tolerance" in args:
        i = args.index("--tolerance")
        tolerance = float(args[i + 1])
        del args[i:i + 2]
    model_path, outputs_path, images_path = args
    model = onnx.load(model_path)
    onnx.checker.check_model(model, full_check=True)
    meta = {p.key: p.value for p in model.metadata_props}
    expected = np.loadtxt(outputs_path, delimiter=",", dtype=np.float32)
    images = read_images(images_path)
    options = ort.SessionOptions()
    options.intra_op_num_threads = 2
    session = ort.InferenceSession(model_path, options, providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    got = np.concatenate([session.run(None, {name: images[i:i + 1000]})[0] for i in range(0, len(images), 1000)])
    assert got.shape == expected.shape, f"shapes differ: onnxruntime {got.shape}, lesson {expected.shape}"
    difference = float(np.max(np.abs(got - expected)))
    relative = float(np.max(np.abs(got - expected) / np.maximum(1, np.abs(expected))))
    smallest_wins = meta.get("variant") == "paper"
    pick = np.argmin if smallest_wins else np.argmax
    disagreements = int(np.sum(pick(got, axis=1) != pick(expected, axis=1)))
    print(f"{model_path}: onnx.checker ok; onnxruntime {ort.__version__} on {len(images)} images: "
          f"max |difference| {difference:.2e}, relative {relative:.2e} (tolerance {tolerance:g}), "
          f"{disagreements} different answers (outputs up to {float(np.max(np.abs(expected))):.1f}); "
          f"variant {meta.get('variant')}, scaling {meta.get('scaling')}, opset {model.opset_import[0].version}")
    if relative > tolerance or disagreements:
        sys.exit(1)


if __name__ == "__main__":
    main()
