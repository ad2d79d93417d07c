"""Reference outputs of torchvision's Mask R-CNN (R50-FPN, official checkpoint architecture) with seeded weights.

For each sample image writes Tests/MaskRCNNTests/Fixtures/<stem>.json: sizes, 512 sampled values (plus sum and
abs_sum) of every intermediate tensor, all RPN proposals with their scores, and every final detection with its
mask as uncompressed column-major RLE. Prints a summary and the score-gap report (gap_report.py).
Also writes the seeded state dict in the legacy (pre-1.6) torch.save layout and checks it reloads to the same
outputs.

Run: /usr/bin/python3 tools/reference/make_maskrcnn_fixtures.py [--float64-check] [--legacy-pth PATH]
"""
import argparse
import collections
import json
import os
import sys

import torch
from torchvision.io import ImageReadMode, read_image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gap_report  # noqa: E402
import seeded_weights  # noqa: E402
from fixture_capture import Capture  # noqa: E402
from reference_model import build_model, checkpoint_name, layout  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
STEMS = ["messi5", "fruits", "vtest_frame30"]
SEED = 0
SAMPLES = 512
LAYERS = (["transform.images"] + [f"body.{i}" for i in range(4)] + [f"fpn.{k}" for k in ("0", "1", "2", "3", "pool")]
          + [f"rpn.objectness.{i}" for i in range(5)] + [f"rpn.pred_bbox_deltas.{i}" for i in range(5)]
          + ["roi_heads.box_roi_pool", "roi_heads.class_logits", "roi_heads.box_regression",
             "roi_heads.mask_roi_pool", "roi_heads.mask_logits"])


def r7(x):
    """Rounds to 7 significant digits (as a JSON number)."""
    return float(f"{float(x):.7g}")


def sample_layer(t):
    flat = t.detach().reshape(-1)
    n = flat.numel()
    index = [(k * 2654435761 + 12345) % n for k in range(SAMPLES)]
    values = flat[torch.tensor(index)]
    return {"shape": list(t.shape), "index": index, "value": [r7(v) for v in values.tolist()],
            "sum": float(flat.double().sum()), "abs_sum": float(flat.double().abs().sum())}


def rle(mask):
    """Uncompressed COCO RLE: column-major runs, starting with a (possibly empty) run of zeros."""
    h, w = mask.shape
    flat = mask.t().reshape(-1).to(torch.int8)
    change = torch.where(flat[1:] != flat[:-1])[0] + 1
    bounds = [0] + change.tolist() + [flat.numel()]
    counts = [b - a for a, b in zip(bounds[:-1], bounds[1:])]
    if flat.numel() and flat[0] == 1:
        counts = [0] + counts
    return {"size": [h, w], "counts": counts}


def resize_scale(h, w, transform):
    """The scale torchvision's transform computes (float32 division, then .item())."""
    im_shape = torch.tensor([h, w])
    min_size = torch.min(im_shape).to(dtype=torch.float32)
    max_size = torch.max(im_shape).to(dtype=torch.float32)
    return torch.min(float(transform.min_size[-1]) / min_size, float(transform.max_size) / max_size).item()


def load_image(stem):
    image = read_image(os.path.join(ROOT, "samples", "images", f"{stem}.png"), ImageReadMode.RGB)
    return image.float() / 255


def fixture(stem, output, t, original_size):
    proposals, proposal_scores = t["rpn.filter.out"]
    masks = output["masks"][:, 0] > 0.5
    detections = []
    for i in range(len(output["scores"])):
        detections.append({
            "box": [r7(v) for v in output["boxes"][i].tolist()], "score": r7(output["scores"][i]),
            "label": int(output["labels"][i]), "mask_area": int(masks[i].sum()), "mask": rle(masks[i]),
        })
    return {
        "image": f"samples/images/{stem}.png", "seed": SEED,
        "original_size": list(original_size), "resized_size": list(t["image_sizes"][0]),
        "padded_size": list(t["transform.images"].shape[-2:]),
        "layers": {name: sample_layer(t[name]) for name in LAYERS},
        "proposals": [[r7(v) for v in box] for box in proposals[0].tolist()],
        "proposal_scores": [r7(v) for v in proposal_scores[0].tolist()],
        "detections": detections,
    }


def write_json(path, obj):
    with open(path, "w") as f:
        json.dump(obj, f, separators=(",", ":"))
        f.write("\n")


def summary_line(stem, output, size):
    s, labels = output["scores"], sorted(set(output["labels"].tolist()))
    rng = f"{float(s.min()):.3f}-{float(s.max()):.3f}" if len(s) else "-"
    areas = (output["masks"][:, 0] > 0.5).flatten(1).sum(1).tolist()
    return (f"{stem}: {len(s)} detections, {len(labels)} classes {labels}, scores {rng}, "
            f"empty masks {sum(a == 0 for a in areas)}, fixture {size / 1024:.0f} KiB")


def float64_check(model, stem, output):
    m64 = build_model().double()
    m64.load_state_dict({k: v.double() for k, v in model.state_dict().items()})
    with torch.no_grad():
        o64 = m64([load_image(stem).double()])[0]
    same = len(o64["scores"]) == len(output["scores"]) and torch.equal(o64["labels"], output["labels"])
    line = f"  float64 model: {len(o64['scores'])} detections, same labels/order {same}"
    if same and len(o64["scores"]):
        line += (f", max |box diff| {float((o64['boxes'] - output['boxes'].double()).abs().max()):.2g} px"
                 f", max |score diff| {float((o64['scores'] - output['scores'].double()).abs().max()):.2g}"
                 f", mask pixels differing {int(((o64['masks'] > 0.5) != (output['masks'] > 0.5)).sum())}")
    print(line)


def legacy_pth_check(state_dict, path, reference_output, stem):
    legacy = collections.OrderedDict((checkpoint_name(k), v) for k, v in state_dict.items())
    torch.save(legacy, path, _use_new_zipfile_serialization=False)
    fresh = build_model()
    fresh.load_state_dict(torch.load(path))
    with torch.no_grad():
        out = fresh([load_image(stem)])[0]
    same = all(torch.equal(out[k], reference_output[k]) for k in ("boxes", "scores", "labels", "masks"))
    print(f"legacy .pth ({os.path.getsize(path) / 2**20:.0f} MiB, 2019 key names) -> {path}; "
          f"reloaded outputs on {stem} identical: {same}")
    assert same


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--float64-check", action="store_true", help="also run the model in float64 and compare")
    parser.add_argument("--legacy-pth", default="/tmp/maskrcnn_seeded0_legacy.pth")
    args = parser.parse_args()
    torch.set_num_threads(1)  # a fixed summation order: reruns give identical files
    model = build_model()
    entries = layout(model)
    assert len(entries) == 307
    state_dict = seeded_weights.state_dict(entries, SEED)
    model.load_state_dict(state_dict)
    capture = Capture(model)
    out_dir = os.path.join(ROOT, "Tests", "MaskRCNNTests", "Fixtures")
    reports, first_output = {}, None
    for stem in STEMS:
        image = load_image(stem)
        original_size = tuple(image.shape[-2:])
        output, t = capture.run(image)
        first_output = first_output or output
        path = os.path.join(out_dir, f"{stem}.json")
        write_json(path, fixture(stem, output, t, original_size))
        print(summary_line(stem, output, os.path.getsize(path)))
        scale = resize_scale(*original_size, model.transform)
        reports[stem] = gap_report.full_report(model, output, t, original_size, scale)
        print("  " + json.dumps(reports[stem]))
        if args.float64_check:
            float64_check(model, stem, output)
    if args.legacy_pth:
        legacy_pth_check(state_dict, args.legacy_pth, first_output, STEMS[0])


if __name__ == "__main__":
    main()
