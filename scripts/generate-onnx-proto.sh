#!/usr/bin/env bash
# Regenerates Sources/LeNetExport/onnx.pb.swift, the Swift message types of ONNX's
# onnx.proto, with Debian's protoc and swift-protobuf's protoc-gen-swift (the version
# Package.swift names). The .proto comes from the onnx wheel on PyPI; nothing of it but the
# generated code is committed. Run it after changing either version.
set -euo pipefail
cd "$(dirname "$0")/.."
ONNX_VERSION=1.23.2
PROTOBUF_VERSION=1.39.0
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
command -v protoc >/dev/null || { SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo; $SUDO apt-get install -y -qq protobuf-compiler; }
python3 -m pip download --quiet --no-deps --only-binary=:all: "onnx==$ONNX_VERSION" -d "$work"
(cd "$work" && python3 -m zipfile -e onnx-*.whl wheel >/dev/null)
git clone --quiet --branch "$PROTOBUF_VERSION" https://github.com/apple/swift-protobuf "$work/swift-protobuf"
swift build -c release --package-path "$work/swift-protobuf" --product protoc-gen-swift
protoc --plugin=protoc-gen-swift="$work/swift-protobuf/.build/release/protoc-gen-swift" \
    --swift_out=Sources/LeNetExport --swift_opt=Visibility=Internal \
    -I "$work/wheel/onnx" "$work/wheel/onnx/onnx.proto"
echo "written: Sources/LeNetExport/onnx.pb.swift (onnx $ONNX_VERSION, swift-protobuf $PROTOBUF_VERSION)"
