"""Reference outputs of torchvision's Keypoint R-CNN (R50-FPN, official COCO_V1 checkpoint architecture) with
seeded weights.

For each sample image writes Tests/MaskRCNNTests/Fixtures/kp_<fixture>.json in the schema of the Mask R-CNN
fixtures (make_maskrcnn_fixtures.py, which also reads the images: PNGs with read_image, JPEGs with PIL, plus
`decoded` for JPEGs): sizes, 512 sampled values (plus sum and abs_sum) of every intermediate
tensor, all RPN proposals with their scores, and every final detection with its 17 keypoints and their scores.
Replays the predictor's x2 upsampling and heatmaps_to_keypoints in NumPy (keypoint_replay.py) and checks the
replay is bit-identical to torchvision, then prints the score-gap report (gap_report.py plus the keypoint
decisions). `--float64-check` also runs the model in float64 and compares detections and keypoints.
Also writes the seeded state dict in the legacy (pre-1.6) torch.save layout under the official file's key names
(checkpoint_name) and checks torchvision loads it (strict) to the same outputs.

Run: /usr/bin/python3 tools/reference/make_keypointrcnn_fixtures.py [--float64-check] [--legacy-pth PATH]
         [--images NAME ...]
"""
import argparse
import collections
import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gap_report  # noqa: E402
import keypoint_replay  # noqa: E402
import seeded_weights  # noqa: E402
from fixture_capture import Capture  # noqa: E402
from make_maskrcnn_fixtures import (fixture_stem, load_image, r7, resize_note, resize_scale,  # noqa: E402
                                    sample_layer, select_images, with_decoded, write_json)
from reference_model import build_keypoint_model, checkpoint_name, layout  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
IMAGES = ["messi5.png", "vtest_frame30.png", "messi5.jpg"]
SEED = 0
LAYERS = (["transform.images"] + [f"body.{i}" for i in range(4)] + [f"fpn.{k}" for k in ("0", "1", "2", "3", "pool")]
          + [f"rpn.objectness.{i}" for i in range(5)] + [f"rpn.pred_bbox_deltas.{i}" for i in range(5)]
          + ["roi_heads.box_roi_pool", "roi_heads.class_logits", "roi_heads.box_regression",
             "roi_heads.keypoint_roi_pool", "roi_heads.keypoint_head", "roi_heads.keypoint_logits"])


def fixture(name, output, t, original_size, gaps):
    proposals, proposal_scores = t["rpn.filter.out"]
    detections = []
    for i in range(len(output["scores"])):
        relative_gap = gaps[i]["gap"] / np.abs(gaps[i]["max"])
        detections.append({
            "box": [r7(v) for v in output["boxes"][i].tolist()], "score": r7(output["scores"][i]),
            "label": int(output["labels"][i]),
            "keypoints": [[r7(v) for v in kp] for kp in output["keypoints"][i].tolist()],
            "keypoint_scores": [r7(v) for v in output["keypoints_scores"][i].tolist()],
            "keypoint_argmax_gaps": [float(f"{v:.3g}") for v in relative_gap.tolist()],
        })
    return with_decoded(name, {
        "image": f"samples/images/{name}", "seed": SEED,
        "original_size": list(original_size), "resized_size": list(t["image_sizes"][0]),
        "padded_size": list(t["transform.images"].shape[-2:]),
        "layers": {layer: sample_layer(t[layer]) for layer in LAYERS},
        "proposals": [[r7(v) for v in box] for box in proposals[0].tolist()],
        "proposal_scores": [r7(v) for v in proposal_scores[0].tolist()],
        "detections": detections,
    })


def replay_keypoints(output, t, lowres, original_size):
    """Checks keypoint_replay against torchvision bit for bit; returns the keypoint decision margins and the
    per-detection decision data."""
    logits = t["roi_heads.keypoint_logits"]
    assert lowres.is_contiguous()
    up = keypoint_replay.upsample2x(lowres.numpy())
    assert np.array_equal(up, logits.numpy()), "x2 bilinear replay differs from torchvision"
    boxes = t["roi_heads.postprocess.out"][0][0].numpy()
    kps, scores, gaps = keypoint_replay.heatmaps_to_keypoints(up, boxes, t["image_sizes"][0], original_size)
    assert np.array_equal(kps, output["keypoints"].numpy()), "keypoint replay differs from torchvision"
    assert np.array_equal(scores, output["keypoints_scores"].numpy()), "keypoint score replay differs"
    if not gaps:
        return {"detections": 0}, gaps
    gap = np.concatenate([g["gap"] for g in gaps])
    top = np.concatenate([g["max"] for g in gaps])
    rel = gap / np.maximum(np.abs(top), 1e-30)
    wh = [(b[2] - b[0], b[3] - b[1]) for b in boxes]
    return {
        "detections": len(gaps), "keypoints": int(gap.size),
        "roi_map_sizes": [int(min(min(w, h) for w, h in wh)) + 1, int(max(max(w, h) for w, h in wh)) + 1],
        "ceil_margin": min(g["ceil_margin"] for g in gaps),
        "argmax_gap_min": float(gap.min()), "argmax_gap_min_relative": float(rel.min()),
        "argmax_gaps_below": {f"{e:g}": int((gap < e).sum()) for e in (1e-5, 1e-4, 1e-3, 1e-2)},
        "argmax_exact_ties": sum(g["ties"] for g in gaps),
        "near_max_radius_px": float(max(g["near_max_radius"].max() for g in gaps)),
        "keypoints_with_near_max_elsewhere": int(sum((g["near_max_radius"] > 0).sum() for g in gaps)),
        "heatmap_max_range": [float(top.min()), float(top.max())],
        "replay_bit_identical": True,
    }, gaps


def summary_line(stem, output, size):
    s = output["scores"]
    rng = f"{float(s.min()):.3f}-{float(s.max()):.3f}" if len(s) else "-"
    ks = output["keypoints_scores"]
    krng = f"{float(ks.min()):.2f}-{float(ks.max()):.2f}" if len(s) else "-"
    return (f"{stem}: {len(s)} detections, labels {sorted(set(output['labels'].tolist()))}, scores {rng}, "
            f"keypoint scores {krng}, fixture {size / 1024:.0f} KiB")


def float64_check(model, name, output):
    m64 = build_keypoint_model().double()
    m64.load_state_dict({k: v.double() for k, v in model.state_dict().items()})
    with torch.no_grad():
        o64 = m64([load_image(name).double()])[0]
    same = len(o64["scores"]) == len(output["scores"]) and torch.equal(o64["labels"], output["labels"])
    line = f"  float64 model: {len(o64['scores'])} detections, same labels/order {same}"
    if same and len(o64["scores"]):
        dk = (o64["keypoints"][..., :2] - output["keypoints"][..., :2].double()).abs().amax(-1)
        line += (f", max |box diff| {float((o64['boxes'] - output['boxes'].double()).abs().max()):.2g} px"
                 f", max |score diff| {float((o64['scores'] - output['scores'].double()).abs().max()):.2g}"
                 f", keypoints moved >0.01 px: {int((dk > 0.01).sum())}/{dk.numel()} (max {float(dk.max()):.3g} px)"
                 f", max |keypoint score diff| "
                 f"{float((o64['keypoints_scores'] - output['keypoints_scores'].double()).abs().max()):.2g}")
    print(line)


def legacy_pth_check(state_dict, path, reference_output, name):
    legacy = collections.OrderedDict((checkpoint_name(k), v) for k, v in state_dict.items())
    torch.save(legacy, path, _use_new_zipfile_serialization=False)
    fresh = build_keypoint_model()
    fresh.load_state_dict(torch.load(path))
    with torch.no_grad():
        out = fresh([load_image(name)])[0]
    same = all(torch.equal(out[k], reference_output[k]) for k in ("boxes", "scores", "labels", "keypoints",
                                                                   "keypoints_scores"))
    print(f"legacy .pth ({os.path.getsize(path) / 2**20:.0f} MiB, official key names) -> {path}; "
          f"reloaded outputs on {name} identical: {same}")
    assert same


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--float64-check", action="store_true", help="also run the model in float64 and compare")
    parser.add_argument("--legacy-pth", default="/tmp/keypointrcnn_seeded0_legacy.pth")
    parser.add_argument("--images", nargs="+", help=f"only these (default all: {' '.join(IMAGES)})")
    args = parser.parse_args()
    images = select_images(IMAGES, args.images)
    torch.set_num_threads(1)  # a fixed summation order: reruns give identical files
    model = build_keypoint_model()
    entries = layout(model)
    assert len(entries) == 313
    state_dict = seeded_weights.state_dict(entries, SEED)
    model.load_state_dict(state_dict)
    capture = Capture(model)
    lowres = {}
    model.roi_heads.keypoint_predictor.kps_score_lowres.register_forward_hook(
        lambda module, inputs, out: lowres.__setitem__("x", out))
    out_dir = os.path.join(ROOT, "Tests", "MaskRCNNTests", "Fixtures")
    first_output = None
    for name in images:
        image = load_image(name)
        original_size = tuple(image.shape[-2:])
        output, t = capture.run(image)
        first_output = first_output or output
        keypoint_margins, gaps = replay_keypoints(output, t, lowres["x"], original_size)
        stem = fixture_stem(name)
        path = os.path.join(out_dir, f"kp_{stem}.json")
        write_json(path, fixture(name, output, t, original_size, gaps))
        print(summary_line(stem, output, os.path.getsize(path)) + resize_note(original_size, t))
        scale = resize_scale(*original_size, model.transform)
        report = gap_report.full_report(model, output, t, original_size, scale)
        report["keypoint"] = keypoint_margins
        print("  " + json.dumps(report))
        if args.float64_check:
            float64_check(model, name, output)
    if args.legacy_pth:
        legacy_pth_check(state_dict, args.legacy_pth, first_output, images[0])


if __name__ == "__main__":
    main()
