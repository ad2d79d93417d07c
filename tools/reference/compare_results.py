"""Compares two COCO results files of the same images (e.g. `mrcnn detect --precision fp32` and `--precision int8`
on the official checkpoint) with the figures of the accuracy tests: reference detections (the first file) scoring
>= --cut matched greedily, in descending score order per image, to the unused detection of the same class in the
second file with the best box IoU, found when that IoU >= 0.9; then the median mask IoU of the matched and the worst
score difference. Standard library only (COCO's compressed RLE decoded here).

Run: python3 tools/reference/compare_results.py fp32.json int8.json [--cut 0.5]
"""
import argparse
import json
from collections import defaultdict


def rle_decode(seg):
    """COCO's compressed RLE (the `counts` string) → the set of foreground pixel indices (column-major)."""
    s, counts, p = seg["counts"], [], 0
    while p < len(s):
        x, k, more = 0, 0, True
        while more:
            c = ord(s[p]) - 48
            x |= (c & 0x1F) << (5 * k)
            more = bool(c & 0x20)
            p, k = p + 1, k + 1
            if not more and (c & 0x10):
                x |= -1 << (5 * k)
        if len(counts) > 2:
            x += counts[-2]
        counts.append(x)
    pixels, pos = set(), 0
    for i, n in enumerate(counts):
        if i % 2:
            pixels.update(range(pos, pos + n))
        pos += n
    return pixels


def box_iou(a, b):
    ax2, ay2, bx2, by2 = a[0] + a[2], a[1] + a[3], b[0] + b[2], b[1] + b[3]
    iw, ih = max(0.0, min(ax2, bx2) - max(a[0], b[0])), max(0.0, min(ay2, by2) - max(a[1], b[1]))
    inter = iw * ih
    union = a[2] * a[3] + b[2] * b[3] - inter
    return inter / union if union > 0 else 0.0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("reference")
    ap.add_argument("other")
    ap.add_argument("--cut", type=float, default=0.5)
    a = ap.parse_args()
    ref, other = defaultdict(list), defaultdict(list)
    for d in json.load(open(a.reference)):
        ref[d["image_id"]].append(d)
    for d in json.load(open(a.other)):
        other[d["image_id"]].append(d)
    wanted = found = 0
    ious, worst = [], 0.0
    for image, dets in ref.items():
        used = set()
        for r in sorted(dets, key=lambda d: -d["score"]):
            if r["score"] < a.cut:
                continue
            wanted += 1
            best, best_iou = -1, 0.0
            for i, d in enumerate(other[image]):
                if i not in used and d["category_id"] == r["category_id"]:
                    iou = box_iou(r["bbox"], d["bbox"])
                    if iou > best_iou:
                        best, best_iou = i, iou
            if best < 0 or best_iou < 0.9:
                continue
            used.add(best)
            found += 1
            d = other[image][best]
            worst = max(worst, abs(d["score"] - r["score"]))
            if "segmentation" in r and "segmentation" in d:
                m, n = rle_decode(r["segmentation"]), rle_decode(d["segmentation"])
                ious.append(len(m & n) / len(m | n) if m | n else 1.0)
    ious.sort()
    print(f"found {found} of {wanted} ({100 * found / max(wanted, 1):.1f}%) at box IoU >= 0.9; "
          f"median mask IoU {ious[len(ious) // 2] if ious else float('nan'):.4f}; worst score difference {worst:.4f}")


if __name__ == "__main__":
    main()
