"""Slim fp32 reference fixtures for the bf16 accuracy pools: torchvision's float32 output on more images, holding
only what BF16AccuracyTests reads — the sampled FPN levels and the detections scoring >= the pool's cut (box,
score, label, mask as uncompressed RLE). The parity fixtures (make_maskrcnn_fixtures.py) hold every layer and
every detection; these are a tenth of their size, so a pool of >= 150 reference detections per model stays small.

Writes Tests/MaskRCNNTests/Fixtures/bf16_<prefix><stem>.json (prefix "" for Mask R-CNN v1, "v2_" for v2, "kp_" for
Keypoint R-CNN, whose detections carry keypoints and their scores instead of masks, on the video frames only — the
four of the Mask R-CNN pools and four more, vtest_frame10/40/60/80, for a pool of >= 200 people; stem as in the parity
fixtures: vtest_frame20.jpg -> vtest_frame20_jpg). Images are read as the parity fixtures read them
(JPEG: PIL + to_tensor). One thread: reruns give identical files.

Faster R-CNN v1 / v2 have no fixtures of their own: their seeded tensors are the Mask R-CNN v1 / v2 ones minus the
mask branch (a tensor's values depend on its name), so their reference detections are these without the masks.
`--check-faster` runs the Faster R-CNN twins and prints the largest box and score difference to prove it.

Run: /usr/bin/python3 tools/reference/make_bf16_fixtures.py [--model NAME] [--images NAME ...] [--check-faster]
"""
import argparse
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import seeded_weights  # noqa: E402
from make_maskrcnn_fixtures import ROOT, fixture_stem, load_image, r7, rle, sample_layer, write_json  # noqa: E402
from reference_model import build, layout  # noqa: E402

SEED = 0
# The images added for the pools (samples/SOURCES.md) and each model's fixture prefix and cut (the v2 seeded
# weights score lower: no reference detection reaches 0.7, so its pool takes those >= 0.3).
IMAGES = ["vtest_frame20.jpg", "vtest_frame50.jpg", "vtest_frame70.jpg", "vtest_frame90.jpg", "aero1.jpg"]
MODELS = {"maskrcnn_resnet50_fpn": ("", 0.5, "fasterrcnn_resnet50_fpn"),
          "maskrcnn_resnet50_fpn_v2": ("v2_", 0.3, "fasterrcnn_resnet50_fpn_v2"),
          "keypointrcnn_resnet50_fpn": ("kp_", 0.05, None)}
# Keypoint R-CNN only on video frames (people; aero1 has none): the Mask R-CNN pools' four and four of its own (with
# the four, its pool held 149 people, where one person is 0.67 points of a bound 3 points wide).
KEYPOINT_FRAMES = ["vtest_frame10.jpg", "vtest_frame40.jpg", "vtest_frame60.jpg", "vtest_frame80.jpg"]
KEYPOINT_IMAGES = [n for n in IMAGES if n.startswith("vtest")] + KEYPOINT_FRAMES
FPN = ["fpn.0", "fpn.1", "fpn.2", "fpn.3", "fpn.pool"]


def seeded(kind):
    model = build(kind)
    state_dict = model.state_dict()
    state_dict.update(seeded_weights.state_dict(layout(model), SEED))
    model.load_state_dict(state_dict)
    return model


def run(model, image):
    captured = {}
    hook = model.backbone.register_forward_hook(
        lambda mod, inp, out: captured.update({f"fpn.{k}": v for k, v in out.items()}))
    sizes = {}
    transform_hook = model.transform.register_forward_hook(
        lambda mod, inp, out: sizes.update(resized=list(out[0].image_sizes[0]), padded=list(out[0].tensors.shape[-2:])))
    with torch.no_grad():
        out = model([image])[0]
    hook.remove()
    transform_hook.remove()
    return out, captured, sizes


def detection(out, i):
    """Box, score and label; the mask as RLE, or the keypoints ([x, y, 1] × 17) and their heatmap scores."""
    d = {"box": [r7(v) for v in out["boxes"][i].tolist()], "score": r7(out["scores"][i]), "label": int(out["labels"][i])}
    if "masks" in out:
        d["mask"] = rle(out["masks"][i, 0] > 0.5)
    if "keypoints" in out:
        d["keypoints"] = [[r7(v) for v in kp] for kp in out["keypoints"][i].tolist()]
        d["keypoint_scores"] = [r7(v) for v in out["keypoints_scores"][i].tolist()]
    return d


def fixture(name, out, captured, sizes, original_size, cut):
    detections = [detection(out, i) for i in range(len(out["scores"])) if float(out["scores"][i]) >= cut]
    return {"image": f"samples/images/{name}", "seed": SEED, "cut": cut, "original_size": list(original_size),
            "resized_size": sizes["resized"], "padded_size": sizes["padded"],
            "layers": {level: sample_layer(captured[level]) for level in FPN}, "detections": detections}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", choices=sorted(MODELS), nargs="+", default=sorted(MODELS))
    parser.add_argument("--images", nargs="+", default=IMAGES + KEYPOINT_FRAMES)
    parser.add_argument("--check-faster", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(1)
    out_dir = os.path.join(ROOT, "Tests", "MaskRCNNTests", "Fixtures")
    for kind in args.model:
        prefix, cut, faster = MODELS[kind]
        model = seeded(kind)
        twin = seeded(faster) if args.check_faster and faster else None
        for name in [n for n in args.images if n in (IMAGES if faster else KEYPOINT_IMAGES)]:
            image = load_image(name)
            out, captured, sizes = run(model, image)
            path = os.path.join(out_dir, f"bf16_{prefix}{fixture_stem(name)}.json")
            f = fixture(name, out, captured, sizes, tuple(image.shape[-2:]), cut)
            write_json(path, f)
            line = (f"{os.path.basename(path)}: {len(f['detections'])} detections >= {cut} of {len(out['scores'])}, "
                    f"{os.path.getsize(path) / 1024:.0f} KiB")
            if twin is not None:
                o2, _, _ = run(twin, image)
                same = len(o2["scores"]) == len(out["scores"]) and torch.equal(o2["labels"], out["labels"])
                line += f"; {faster}: same labels/order {same}"
                if same and len(out["scores"]):
                    line += (f", max |box diff| {float((o2['boxes'] - out['boxes']).abs().max()):.2g} px, "
                             f"max |score diff| {float((o2['scores'] - out['scores']).abs().max()):.2g}")
            print(line, flush=True)


if __name__ == "__main__":
    main()
