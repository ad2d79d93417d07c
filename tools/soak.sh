#!/usr/bin/env bash
# Long-run memory check: runs mrcnn over a long input and samples its resident memory (VmRSS) every second.
#   tools/soak.sh [render-frames] [model-frames]        (defaults 10000 and 1000; 0 skips a part)
#   part 1: `--stages render` with --json over a render-frames-long 640x480 testsrc clip (decode, render,
#           fragmented H.264 encode, JSON Lines, the pipeline's buffers);
#   part 2: `--stages detector,mask,tracker,render` with seeded weights at --min-size 320 (score threshold
#           0.05 so the mask head and the tracker have work) over model-frames frames of samples/vtest.mp4 looped.
# Each part runs under the shared build lock (SOAK_LOCK, default /tmp/mrcnn-build.lock). Writes
# SOAK_OUT/rss-PART.csv (seconds, frames done, RSS MiB) and prints start / after warm-up (10% of the frames) /
# end / peak RSS and the growth per 1000 frames after warm-up. Needs a release build (swift build -c release).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
render_frames=${1:-10000}
model_frames=${2:-1000}
out=${SOAK_OUT:-$root/.build-soak}
lock=${SOAK_LOCK:-/tmp/mrcnn-build.lock}
binary=${MRCNN:-$root/.build/release/mrcnn}
[[ -x $binary ]] || { echo "soak.sh: build first (swift build -c release); no $binary" >&2; exit 2; }
mkdir -p "$out"

# Runs mrcnn with the given arguments, sampling RSS and the JSON Lines count until it exits.
soak() {
    local part=$1 frames=$2; shift 2
    local csv=$out/rss-$part.csv json=$out/$part.jsonl
    rm -f "$json" "$out/$part.mp4" "$out/$part.mp4.mrcnn-state.json"
    echo "seconds,frames,rss_mib" >"$csv"
    flock -o "$lock" bash -c '
        "$@" >/dev/null 2>"'"$out/$part.log"'" &
        pid=$!
        start=$(date +%s)
        while kill -0 $pid 2>/dev/null; do
            rss=$(awk "/VmRSS/ {print int(\$2/1024)}" /proc/$pid/status 2>/dev/null || true)
            done_frames=$( { wc -l <"'"$json"'"; } 2>/dev/null || echo 0)
            [[ -n $rss ]] && echo "$(( $(date +%s) - start )),$done_frames,$rss" >>"'"$csv"'"
            sleep 1
        done
        wait $pid' _ "$binary" run "$@" -o "$out/$part.mp4" --json "$json" --max-frames "$frames"
    awk -F, -v part="$part" -v total="$frames" 'NR > 1 && $2 > 0 {
            n++; f[n] = $2; r[n] = $3; if ($3 > peak) peak = $3
            if (!warm && $2 >= total / 10) { warm = n }
        }
        END {
            if (n == 0) { print part ": no samples"; exit }
            if (!warm) warm = 1
            growth = (f[n] > f[warm]) ? (r[n] - r[warm]) * 1000 / (f[n] - f[warm]) : 0
            printf "%s: %d frames; RSS start %d MiB (frame %d), after warm-up %d MiB (frame %d), end %d MiB (frame %d), peak %d MiB; %+.1f MiB per 1000 frames after warm-up\n",
                part, f[n], r[1], f[1], r[warm], f[warm], r[n], f[n], peak, growth
        }' "$csv"
}

if (( render_frames > 0 )); then
    clip=$out/testsrc-$render_frames.mp4
    [[ -f $clip ]] || ffmpeg -v error -y -f lavfi -i "testsrc=size=640x480:rate=25" -frames:v "$render_frames" \
        -c:v libx264 -preset ultrafast -pix_fmt yuv420p "$clip"
    soak render "$render_frames" "$clip" --stages render
fi
if (( model_frames > 0 )); then
    clip=$out/vtest-loop-$model_frames.mp4
    [[ -f $clip ]] || ffmpeg -v error -y -stream_loop -1 -i "$root/samples/vtest.mp4" -frames:v "$model_frames" \
        -c:v libx264 -preset ultrafast -pix_fmt yuv420p -an "$clip"
    soak model "$model_frames" "$clip" --stages detector,mask,tracker,render --weights seeded:0 --min-size 320 \
        --score-threshold 0.05
fi
