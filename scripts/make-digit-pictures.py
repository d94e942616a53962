"""Writes test digits as pictures a student might take: each MNIST test digit drawn dark on
light, uneven paper, scaled up 8 times, off centre, as a PNG (pure Python: zlib and struct).
Used by the CLI test of `lesson classify`.

    make-digit-pictures.py T10K_IMAGES_GZ T10K_LABELS_GZ COUNT FOLDER
Prints one line per picture: its path and its true label.
"""
import gzip
import struct
import sys
import zlib

images_gz, labels_gz, count, folder = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
images = gzip.open(images_gz).read()
labels = gzip.open(labels_gz).read()


def png(path, width, height, rows):
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xffffffff)
    raw = b"".join(b"\x00" + bytes(row) for row in rows)
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
                + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


for i in range(count):
    digit = images[16 + i * 784:16 + (i + 1) * 784]
    scale, width, height, left, top = 8, 300, 280, 40 + 3 * i, 20 + 2 * i
    rows = []
    for y in range(height):
        row = []
        for x in range(width):
            paper = 225 - (x + y) // 20  # uneven light
            dy, dx = (y - top) // scale, (x - left) // scale
            ink = digit[dy * 28 + dx] if 0 <= dy < 28 and 0 <= dx < 28 else 0
            row.append(max(0, paper - ink * 200 // 255))
        rows.append(row)
    path = f"{folder}/digit-{i}.png"
    png(path, width, height, rows)
    print(path, labels[8 + i])
