#!/usr/bin/env bash
# Long-run memory check: runs mrcnn over a long input and samples its resident memory (VmRSS) every second.
#   tools/soak.sh [render-frames] [model-frames]        (defaults 10000 and 1000; 0 skips a part)
#   part 1: `--stages render` with --json over a render-frames-long 640x480 testsrc clip (decode, render,
#           fragmented H.264 encode, JSON Lines, the pipeline's buffers);
#   part 2: `--stages detector,mask,tracker,render` with seeded weights at --min-size 320 (score threshold
#           0.05 so the mask head and the tracker have work) over model-frames frames of samples/vtest.mp4 looped.
# Each part runs under the shared build lock (SOAK_LOCK, default /tmp/mrcnn-build.lock). Writes
# SOAK_OUT/rss-PART.csv (seconds, frames done, RSS MiB) and prints, per part, the first sample and the floor and
# peak RSS of frames 10-20 % and 90-100 % with the floor's growth per 1000 frames between them (`summarize`).
# Needs a release build (swift build -c release).
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
    summarize "$part" "$frames" "$csv"
}

# RSS of a run that allocates per frame rises and falls within each frame (the heads' workspaces), so a single
# sample says little: the summary compares the floor (lowest RSS) and the peak of the windows 10-20 % and 90-100 %
# of the frames, and gives the floor's growth per 1000 frames between them.
summarize() {
    awk -F, -v part="$1" -v total="$2" 'NR > 1 && $2 > 0 {
            n++; if (n == 1) { first = $3; firstFrame = $2 }
            if ($3 > peak) peak = $3
            if ($2 >= total * 0.1 && $2 < total * 0.2) { if (!a || $3 < aLow) aLow = $3; if ($3 > aHigh) aHigh = $3; a = 1 }
            if ($2 >= total * 0.9) { if (!b || $3 < bLow) bLow = $3; if ($3 > bHigh) bHigh = $3; b = 1 }
            last = $2
        }
        END {
            if (n == 0) { print part ": no samples"; exit }
            if (!a || !b) { printf "%s: %d frames, too few to compare windows; RSS first %d MiB, peak %d MiB\n", part, last, first, peak; exit }
            printf "%s: %d frames; RSS %d MiB at frame %d; frames 10-20 %%: floor %d, peak %d MiB; frames 90-100 %%: floor %d, peak %d MiB; overall peak %d MiB; floor %+.1f MiB per 1000 frames between the windows\n",
                part, last, first, firstFrame, aLow, aHigh, bLow, bHigh, peak, (bLow - aLow) * 1000 / (total * 0.8)
        }' "$3"
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
