#!/usr/bin/env bash
# Many streams, one model: total and per-stream frames/s, latency p50/p95 per stream and peak RSS for 1, 2, 4 (and 8)
# streams in one `mrcnn run`, each stream the sample clip looped to SECONDS s and read at its own frame rate
# (--latest: as a camera delivers it, so every stream carries the same load). Seeded weights (they cost what the
# official ones cost), short side 480, detector + mask + render. A benchmark, not a test: run it alone on the machine.
#
#   tools/bench/streams.sh [COUNTS] [SECONDS] [EXTRA mrcnn run options…]
#   tools/bench/streams.sh "1 2 4 8" 60 --batch-size 4
#   POLICY=lossless FRAMES=30 tools/bench/streams.sh "1 4"   # every frame of each stream (the first FRAMES): the model's
#                                                           # rate without live decoding of frames that are dropped
# MRCNN=path/to/mrcnn compares another build (the same clip, the same sitting).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
COUNTS="${1:-1 2 4}"; SECONDS_LONG="${2:-60}"; shift 2 || true
POLICY="${POLICY:-latest}"; FRAMES="${FRAMES:-30}"
POLICY_ARGS=(--latest)
if [ "$POLICY" = lossless ]; then POLICY_ARGS=(--lossless --max-frames "$FRAMES"); fi
MRCNN="${MRCNN:-.build/release/mrcnn}"
WORK="$(mktemp -d)"; trap 'rm -rf "$WORK"' EXIT
LOOPS=$(( (SECONDS_LONG + 9) / 10 - 1 ))
ffmpeg -v error -stream_loop "$LOOPS" -i samples/vtest.mp4 -t "$SECONDS_LONG" -c:v libx264 -preset ultrafast -g 10 \
  -pix_fmt yuv420p -an "$WORK/clip.mp4"
echo "CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores; clip $SECONDS_LONG s of samples/vtest.mp4 (768x576, 10 fps) per stream"
for n in $COUNTS; do
  inputs=()
  for k in $(seq 1 "$n"); do inputs+=("cam$k=$WORK/clip.mp4"); done
  rm -rf "$WORK/out"
  if [ "$n" = 1 ]; then
    # One stream: the same run as a list of one, together (the single-source path is the same code).
    printf '%s\n' "$WORK/clip.mp4" > "$WORK/one.txt"
    inputs=("$WORK/one.txt" --together)
  fi
  /usr/bin/time -f "peak RSS %M KiB" "$MRCNN" run "${inputs[@]}" -o "$WORK/out/" --weights seeded:0 --min-size 480 \
    --stages detector,mask,render "${POLICY_ARGS[@]}" "$@" 2> "$WORK/err.txt" || { cat "$WORK/err.txt"; exit 1; }
  echo "== $n stream(s), $POLICY"
  grep -E "streams,|fps .*dropped|peak RSS|model: computing" "$WORK/err.txt"
done
