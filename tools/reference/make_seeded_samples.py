"""Writes Tests/CheckpointTests/Fixtures/seeded_samples.json: for seed 0, the whole Mask R-CNN layout with a
checksum of every seeded tensor (sum of the float32 bit patterns mod 2^64, as hex) and the exact first and
last values of a few tensors, one per weight rule; then the same for the Keypoint R-CNN layout
(`keypoint_samples`, `keypoint_layout`). Swift's SeededWeights must reproduce them bit for bit.
Run: /usr/bin/python3 tools/reference/make_seeded_samples.py"""
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import seeded_weights  # noqa: E402
from reference_model import build_keypoint_model, build_model, layout  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SEED = 0
SAMPLED = [
    "backbone.body.conv1.weight",
    "backbone.body.bn1.weight",
    "backbone.body.bn1.running_var",
    "backbone.body.layer1.0.bn3.weight",
    "backbone.body.layer2.0.downsample.0.weight",
    "backbone.body.layer2.0.downsample.1.bias",
    "backbone.body.layer4.2.bn2.running_mean",
    "backbone.fpn.inner_blocks.3.0.weight",
    "rpn.head.cls_logits.bias",
    "rpn.head.bbox_pred.weight",
    "roi_heads.box_head.fc6.weight",
    "roi_heads.box_head.fc6.bias",
    "roi_heads.box_predictor.cls_score.bias",
    "roi_heads.mask_predictor.conv5_mask.weight",
]
KEYPOINT_SAMPLED = [
    "roi_heads.box_predictor.cls_score.weight",
    "roi_heads.box_predictor.cls_score.bias",
    "roi_heads.box_predictor.bbox_pred.weight",
    "roi_heads.keypoint_head.0.weight",
    "roi_heads.keypoint_head.14.bias",
    "roi_heads.keypoint_predictor.kps_score_lowres.weight",
    "roi_heads.keypoint_predictor.kps_score_lowres.bias",
]
EDGE = 6


def bits(values):
    return [int(b) for b in np.asarray(values, dtype=np.float32).view(np.uint32)]


def checksums(entries):
    out = []
    for name, shape in entries:
        v = seeded_weights.tensor(name, shape, SEED).reshape(-1)
        total = int(v.view(np.uint32).astype(np.uint64).sum(dtype=np.uint64))
        out.append({"name": name, "shape": shape, "bits_sum": f"{total:016x}"})
    return out


def samples(entries, names):
    shapes = dict(entries)
    out = []
    for name in names:
        v = seeded_weights.tensor(name, shapes[name], SEED).reshape(-1)
        out.append({
            "name": name, "shape": shapes[name], "rule": seeded_weights.rule(name, shapes[name])[2],
            "first_bits": bits(v[:EDGE]), "last_bits": bits(v[-EDGE:]),
            "first": [float(x) for x in v[:EDGE]], "last": [float(x) for x in v[-EDGE:]],
        })
    return out


def main():
    entries = layout(build_model())
    keypoint_entries = layout(build_keypoint_model())
    assert len(entries) == 307 and len(keypoint_entries) == 313
    path = os.path.join(ROOT, "Tests", "CheckpointTests", "Fixtures", "seeded_samples.json")
    with open(path, "w") as f:
        f.write('{"seed": %d,\n"samples": [\n' % SEED)
        f.write(",\n".join(json.dumps(e) for e in samples(entries, SAMPLED)))
        f.write('\n],\n"layout": [\n')
        f.write(",\n".join(json.dumps(e) for e in checksums(entries)))
        f.write('\n],\n"keypoint_samples": [\n')
        f.write(",\n".join(json.dumps(e) for e in samples(keypoint_entries, KEYPOINT_SAMPLED)))
        f.write('\n],\n"keypoint_layout": [\n')
        f.write(",\n".join(json.dumps(e) for e in checksums(keypoint_entries)))
        f.write("\n]}\n")
    print(f"{len(entries)} + {len(keypoint_entries)} checksums, {len(SAMPLED)} + {len(KEYPOINT_SAMPLED)} sampled "
          f"tensors -> {os.path.relpath(path, ROOT)}")


if __name__ == "__main__":
    main()
