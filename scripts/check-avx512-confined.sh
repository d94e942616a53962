#!/usr/bin/env bash
# The release binary runs on any x86-64 CPU since Haswell: AVX-512 instructions may appear only
# in the AVX-512 build of the products (MatrixProduct specialized for SIMD16<Float>, in
# LeNetKernels' names, and LeNetKernelsAVX512), which runs only where cpuid says the CPU has it,
# and in BoringSSL's own CPU-dispatched code. Lists any other function that has them and fails.
# Usage: scripts/check-avx512-confined.sh [path to lesson] (default .build/release/lesson)
set -euo pipefail
binary="${1:-.build/release/lesson}"
[ -x "$binary" ] || { echo "check-avx512-confined: no binary at $binary" >&2; exit 1; }
command -v objdump >/dev/null || { echo "check-avx512-confined: objdump (binutils) is missing" >&2; exit 1; }
# AVX-512's registers (zmm, xmm/ymm 16-31, the k masks) and instructions that exist only as EVEX.
evex='%zmm|%[xy]mm(1[6-9]|2[0-9]|3[01])\b|%k[0-7]\b|\{1to[0-9]+\}|\bk(mov|and|andn|or|xor|xnor|not|test|ortest|shiftl|shiftr|add|unpck)[bwdq]\b|\bvpternlog|\bvmovdq[au](8|16|32|64)\b|\bvperm[it]2|\bvpcompress|\bvpexpand|\bvcompressp|\bvexpandp|\b(vbroadcast|vextract|vinsert)[fi](32|64)x|\bvpro[lr][vdq]|\bvrndscale|\bvrange|\bvscalef|\bvgetexp|\bvgetmant|\bvfixupimm|\bvrcp14|\bvrsqrt14'
allowed='^(\$s12LeNetKernels13MatrixProduct.*SIMD16VySfG|\$s18LeNetKernelsAVX512|CCryptoBoringSSL_)'
found=$(objdump -d --no-show-raw-insn "$binary" |
    awk '/^[0-9a-f]+ <.*>:$/ { name = substr($2, 2, length($2) - 3); next } { print name "\t" $0 }' |
    grep -E "$evex" | cut -f1 | sort -u)
products=$(grep -cE '^\$s1[28]LeNetKernels' <<<"$found" || true)
[ "$products" -gt 0 ] || { echo "check-avx512-confined: $binary has no AVX-512 build of the products" >&2; exit 1; }
stray=$(grep -Ev "$allowed" <<<"$found" || true)
if [ -n "$stray" ]; then
    echo "check-avx512-confined: AVX-512 instructions outside the AVX-512 build of the products:" >&2
    swift demangle --simplified <<<"$stray" >&2 || echo "$stray" >&2
    exit 1
fi
echo "AVX-512 confined to $products functions of the products' AVX-512 build (and BoringSSL's own dispatch)"
