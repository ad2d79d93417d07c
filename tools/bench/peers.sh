#!/usr/bin/env bash
# One command, one sitting: `mrcnn bench` (fp32 on OpenBLAS only = the pre-engine path, fp32 auto with NCHW between
# layers = the engine before blocked chains, fp32 auto with oneDNN's direct 3×3 = before Winograd F(4×4,3×3),
# fp32 auto, bf16, int8 with the committed calibration of the seeded weights) and the
# peers of /work/shared/peers (ONNX Runtime + OpenVINO f32/bf16, PyTorch eager) and OpenVINO int8 (NNCF post-training
# quantization, tools/bench/ov_int8_peer.py; needs `pip install nncf` in the venv) on the same vtest frames at
# short sides 800 and 480, one after another with the build lock held for the whole run (2 cores: nothing else
# runs meanwhile, never two timings at once); then tools/bench/peers_table.py prints the per-component table and
# ratios. Builds nothing. mrcnn reads the peers' clip (vtest.avi) when it is there.
#
# usage: tools/bench/peers.sh [FRAMES] [OUTDIR]
#   env: PEERS=/work/shared/peers  PY=~/.cache/mrcnn-peers/venv/bin/python  LAYERS=1 (also `mrcnn bench --layers`)
#        CALIBRATION=FILE (mrcnn's int8 scales; default the test fixture for seeded:0)
set -euo pipefail
self=$(realpath "$0")
cd "$(dirname "$self")/../.."
frames=${1:-3}
out=${2:-$(mktemp -d)}
peers=${PEERS:-/work/shared/peers}
py=${PY:-$HOME/.cache/mrcnn-peers/venv/bin/python}
bin=.build/release/mrcnn
lock=${LOCK:-/tmp/mrcnn-build.lock}
mkdir -p "$out"
# Take the lock once and re-run this script inside it (flock -o: a hung child must not keep the lock).
if [ -z "${PEERS_LOCK_HELD:-}" ]; then
  echo "== waiting for $lock"
  PEERS_LOCK_HELD=1 exec flock -o "$lock" "$self" "$frames" "$(realpath "$out")"
fi
clip=$HOME/.cache/mrcnn-peers/media/vtest.avi
[ -f "$clip" ] || clip=samples/vtest.mp4
echo "== $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, load:$(uptime | sed 's/.*load average://'); results in $out"
run() { local name=$1; shift; echo "== $(date -u +%H:%M:%S) $name: $*"; "$@" > "$out/$name.txt" 2> "$out/$name.err" || echo "   ($name failed, see $out/$name.err)"; }
gcc -O2 -mavx2 -mfma -pthread -o "$out/fma_peak" tools/bench/fma_peak_avx2.c
run fma-peak "$out/fma_peak"
peak=$(sed -n 's/.* \([0-9.]*\) GFLOP.s.*/\1/p' "$out/fma-peak.txt")
run mrcnn-openblas "$bin" bench --input "$clip" --frames "$frames" --min-sizes 800,480 --backend openblas --precision fp32 --peak "$peak"
run mrcnn-nchw "$bin" bench --input "$clip" --frames "$frames" --min-sizes 800,480 --precision fp32 --layout nchw --peak "$peak"
run mrcnn-direct "$bin" bench --input "$clip" --frames "$frames" --min-sizes 800,480 --precision fp32 --kernels direct --peak "$peak"
run mrcnn-fp32 "$bin" bench --input "$clip" --frames "$frames" --min-sizes 800,480 --precision fp32 --peak "$peak"
run mrcnn-bf16 "$bin" bench --input "$clip" --frames "$frames" --min-sizes 800,480 --precision bf16 --peak "$peak"
calibration=${CALIBRATION:-Tests/MaskRCNNTests/Fixtures/int8_calibration_maskrcnn.json}
run mrcnn-int8 "$bin" bench --input "$clip" --frames "$frames" --min-sizes 800,480 --precision int8 --calibration "$calibration" --peak "$peak"
[ -n "${LAYERS:-}" ] && run mrcnn-layers "$bin" bench --layers
run ort "$py" "$peers/ort_peer.py" --model mask --sizes 800,480 --frames "$frames" --warmup 1 --openvino --out "$out/ort.json"
run torch "$py" "$peers/torch_peer.py" --model mask --sizes 800,480 --frames "$frames" --warmup 1 --out "$out/torch.json"
run ov-int8 "$py" tools/bench/ov_int8_peer.py --sizes 800,480 --frames "$frames" --warmup 1 --out "$out/ov_int8.json"
echo "== $(date -u +%H:%M:%S) done"
python3 tools/bench/peers_table.py "$out" | tee "$out/table.md"
