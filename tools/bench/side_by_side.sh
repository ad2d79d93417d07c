#!/usr/bin/env bash
# Side-by-side benchmark: `mrcnn bench` (Swift) then tools/bench/pytorch_bench.py under each PyTorch found, one
# after another (never concurrently: the machine has 2 cores), same clip, frames and short sides; then both
# tables and the ratio per component and end-to-end. Builds nothing: run `swift build -c release` first.
#
# usage: tools/bench/side_by_side.sh [FRAMES]        (default 3 timed frames after 1 warm-up)
# env:   MIN_SIZES=800,480   INPUT=samples/vtest.mp4   WEIGHTS=seeded:0 (the PyTorch side uses seed 0)
#        TORCH_PYTHONS="/tmp/torchvenv/bin/python /usr/bin/python3"   interpreters to try; those without torch
#        are skipped. The default is both: the PyPI CPU wheel's venv (torch 2.13) and Debian's torch 1.13.
set -euo pipefail
cd "$(dirname "$0")/../.."

frames=${1:-3}
sizes=${MIN_SIZES:-800,480}
input=${INPUT:-samples/vtest.mp4}
weights=${WEIGHTS:-seeded:0}
pythons=${TORCH_PYTHONS:-/tmp/torchvenv/bin/python /usr/bin/python3}
bin=.build/release/mrcnn
[[ -x $bin ]] || { echo "side_by_side: $bin missing; run 'swift build -c release' first" >&2; exit 1; }
seed=${weights#seeded:}
[[ $seed =~ ^[0-9]+$ ]] || { echo "side_by_side: WEIGHTS must be seeded:N (the PyTorch side has no checkpoint loader)" >&2; exit 1; }

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
echo "== $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, load:$(uptime | sed 's/.*load average://'), OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-unset}"
echo "== Swift: $bin bench --frames $frames --min-sizes $sizes --weights $weights"
"$bin" bench --input "$input" --frames "$frames" --min-sizes "$sizes" --weights "$weights" | tee "$out/swift.txt"
runs=()
i=0
for py in $pythons; do
    if ! [[ -x $py ]] || ! "$py" -c 'import torch' >/dev/null 2>&1; then
        echo "== skipping $py: no torch"
        continue
    fi
    i=$((i + 1))
    echo
    echo "== PyTorch ($py), load:$(uptime | sed 's/.*load average://')"
    "$py" tools/bench/pytorch_bench.py --input "$input" --frames "$frames" --min-sizes "$sizes" --seed "$seed" \
        2> >(grep -v -e UserWarning -e '^  warnings.warn' >&2) | tee "$out/torch$i.txt"
    runs+=("$out/torch$i.txt")
done
[[ ${#runs[@]} -gt 0 ]] || { echo "side_by_side: no PyTorch found (TORCH_PYTHONS=$pythons)" >&2; exit 1; }
echo
echo "== side by side, load after:$(uptime | sed 's/.*load average://')"
python3 tools/bench/compare.py "$out/swift.txt" "${runs[@]}"
