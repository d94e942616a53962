#!/usr/bin/env bash
# Fuzzes the IDX and safetensors readers (and checkpoints) and the figure kit with libFuzzer for a bounded time each
# (default 60 s; pass seconds as $1). Crashing inputs land in Fuzz/crashes/; turn each into
# a regression test in Tests/LeNetTrainingTests/FuzzRegressionTests.swift.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
bash scripts/setup.sh
swift build --package-path Fuzz --scratch-path .build-fuzz -c release \
    -Xswiftc -sanitize=fuzzer,address -Xswiftc -use-ld=lld
bin=$(swift build --package-path Fuzz --scratch-path .build-fuzz -c release --show-bin-path)
mkdir -p Fuzz/crashes .build-fuzz/corpus-idx .build-fuzz/corpus-safetensors .build-fuzz/corpus-figures
# Seeds: real files, so the fuzzer starts from valid structure.
cp Sources/LeNetData/Resources/mnist5k-labels-idx1-ubyte.gz .build-fuzz/corpus-idx/labels.gz
python3 - <<'PY'
import struct, gzip
open('.build-fuzz/corpus-idx/images', 'wb').write(struct.pack('>IIII', 0x803, 2, 2, 2) + bytes(range(8)))
open('.build-fuzz/corpus-idx/labels', 'wb').write(struct.pack('>II', 0x801, 3) + bytes([1, 2, 3]))
header = b'{"c1.bias":{"dtype":"F32","shape":[6],"data_offsets":[0,24]}}'
open('.build-fuzz/corpus-safetensors/small', 'wb').write(struct.pack('<Q', len(header)) + header + bytes(24))
PY
status=0
# A crash ends the fuzzer at once (Swift's backtracer would hold the process), and libFuzzer
# saves the input.
export SWIFT_BACKTRACE=enable=no
printf '\003\000\000\200\077\000\000\300\177\000\000\200\377' > .build-fuzz/corpus-figures/values
for target in FuzzIDX FuzzSafetensors FuzzFigures; do
    leaks=1
    case $target in FuzzIDX) corpus=.build-fuzz/corpus-idx ;; FuzzSafetensors) corpus=.build-fuzz/corpus-safetensors ;;
        # fontconfig keeps its caches for the life of the process: not leaks of ours.
        *) corpus=.build-fuzz/corpus-figures; leaks=0 ;; esac
    echo "== $target for ${seconds}s"
    ASAN_OPTIONS=detect_leaks=$leaks "$bin/$target" -max_total_time="$seconds" -detect_leaks=$leaks -max_len=65536 -artifact_prefix=Fuzz/crashes/$target- "$corpus" 2>&1 | tail -n 4 || status=1
done
exit $status
