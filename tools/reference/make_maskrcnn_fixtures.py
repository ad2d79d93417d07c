"""Reference outputs of torchvision's Mask R-CNN (R50-FPN, official checkpoint architecture) with seeded weights,
and with `--model` of its siblings: Mask R-CNN v2 and Faster R-CNN v1/v2 (fixture names prefixed, see PREFIX).

For each sample image writes Tests/MaskRCNNTests/Fixtures/<fixture>.json (`fixture_stem`: messi5.png ->
messi5, butterfly.jpg -> butterfly_jpg): sizes, 512 sampled values (plus sum and abs_sum) of every intermediate
tensor, all RPN proposals with their scores, and every final detection with its mask as uncompressed
column-major RLE. PNGs are read with torchvision.io.read_image; JPEG photos as torchvision users read them, with
PIL (`Image.open(p).convert("RGB")`, libjpeg-turbo) and `transforms.functional.to_tensor`, and their fixtures
also hold `decoded`: the SHA-256 of PIL's RGB bytes and sampled pixels, to test a JPEG decoder against PIL's.
Prints a summary and the score-gap report (gap_report.py).
Also writes the seeded state dict in the legacy (pre-1.6) torch.save layout and checks it reloads to the same
outputs.

For v2 models the seeded state dict (with BatchNorm2d's `num_batches_tracked`, as in the official v2 files) is
saved in both torch.save layouts, zip and legacy, each checked to reload (strict) to the same outputs.

Run: /usr/bin/python3 tools/reference/make_maskrcnn_fixtures.py [--model NAME] [--float64-check] [--legacy-pth PATH]
         [--images NAME ...]
"""
import argparse
import collections
import hashlib
import json
import math
import os
import subprocess
import sys

import numpy as np
import PIL
import torch
from PIL import Image, features
from torchvision.io import ImageReadMode, read_image
from torchvision.transforms import functional as TF

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gap_report  # noqa: E402
import seeded_weights  # noqa: E402
from fixture_capture import Capture  # noqa: E402
from reference_model import build, checkpoint_name, layout  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
# Lossless PNGs (decoded once from the OpenCV samples) and JPEG photos decoded by PIL (samples/SOURCES.md).
IMAGES = ["messi5.png", "fruits.png", "vtest_frame30.png", "messi5.jpg", "butterfly.jpg", "building_wide.jpg"]
SEED = 0
# Fixture name prefix, images and state-dict size of each model (the v1 Mask R-CNN's fixtures keep their names).
# Faster R-CNN v1's seeded weights are Mask R-CNN v1's minus the mask branch (a tensor's values depend on its name),
# so one PNG frame and one JPEG photo prove the boxes-only chain; likewise for the v2 pair.
MODELS = {
    "maskrcnn_resnet50_fpn": ("", IMAGES, 307),
    # v2 also on the two photos with many confident detections, for the bf16 accuracy test's pooled figures.
    "maskrcnn_resnet50_fpn_v2": ("v2_", ["vtest_frame30.png", "messi5.jpg", "butterfly.jpg", "building_wide.jpg"], 363),
    "fasterrcnn_resnet50_fpn": ("frcnn_", ["vtest_frame30.png", "messi5.jpg"], 295),
    "fasterrcnn_resnet50_fpn_v2": ("frcnn_v2_", ["vtest_frame30.png", "messi5.jpg"], 339),
}
SAMPLES = 512
PIXEL_SAMPLES = 64
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


def image_path(name):
    return os.path.join(ROOT, "samples", "images", name)


def fixture_stem(name):
    """messi5.png -> messi5 (the original fixtures), butterfly.jpg -> butterfly_jpg."""
    stem, ext = os.path.splitext(name)
    return stem if ext == ".png" else f"{stem}_{ext[1:]}"


def pil_rgb(name):
    """A JPEG as torchvision users read it: PIL (libjpeg-turbo, default options), converted to RGB."""
    with Image.open(image_path(name)) as im:
        return im.convert("RGB")


def load_image(name):
    """[3, H, W] float32 in [0, 1]: read_image for PNGs, PIL + to_tensor for JPEGs."""
    if name.endswith(".png"):
        image = read_image(image_path(name), ImageReadMode.RGB)
        return image.float() / 255
    return TF.to_tensor(pil_rgb(name))


def libjpeg_version():
    """PIL reports the libjpeg API (6.2); Debian's package says which libjpeg-turbo implements it."""
    try:
        version = subprocess.run(["dpkg-query", "-W", "-f", "${Version}", "libjpeg62-turbo"],
                                 capture_output=True, text=True, check=True).stdout
        return f"libjpeg62-turbo {version} (libjpeg API {features.version('jpg')})"
    except (OSError, subprocess.CalledProcessError):
        return f"libjpeg API {features.version('jpg')}, turbo {features.check_feature('libjpeg_turbo')}"


def decoded(name):
    """What PIL decoded, for testing a JPEG decoder: SHA-256 of the H*W*3 RGB bytes (row-major, interleaved)
    and PIXEL_SAMPLES pixels [y, x, r, g, b] at flat positions (k * 2654435761 + 12345) % (H * W)."""
    rgb = np.asarray(pil_rgb(name))
    h, w, _ = rgb.shape
    flat = rgb.reshape(-1, 3)
    pixels = []
    for k in range(PIXEL_SAMPLES):
        i = (k * 2654435761 + 12345) % (h * w)
        pixels.append([i // w, i % w] + flat[i].tolist())
    return {"decoder": f"PIL {PIL.__version__} Image.open(path).convert('RGB'), {libjpeg_version()}",
            "sha256": hashlib.sha256(rgb.tobytes()).hexdigest(), "size": [h, w],
            "channel_sums": [int(v) for v in flat.astype(np.int64).sum(0)], "pixels": pixels}


def fixture(name, output, t, original_size):
    proposals, proposal_scores = t["rpn.filter.out"]
    masks = output["masks"][:, 0] > 0.5 if "masks" in output else None
    detections = []
    for i in range(len(output["scores"])):
        detections.append({
            "box": [r7(v) for v in output["boxes"][i].tolist()], "score": r7(output["scores"][i]),
            "label": int(output["labels"][i]),
            **({"mask_area": int(masks[i].sum()), "mask": rle(masks[i])} if masks is not None else {}),
        })
    return with_decoded(name, {
        "image": f"samples/images/{name}", "seed": SEED,
        "original_size": list(original_size), "resized_size": list(t["image_sizes"][0]),
        "padded_size": list(t["transform.images"].shape[-2:]),
        "layers": {layer: sample_layer(t[layer]) for layer in LAYERS if layer in t},
        "proposals": [[r7(v) for v in box] for box in proposals[0].tolist()],
        "proposal_scores": [r7(v) for v in proposal_scores[0].tolist()],
        "detections": detections,
    })


def with_decoded(name, fixture_dict):
    """Adds `decoded` (after `image`) for JPEGs; PNG fixtures keep their original schema."""
    if name.endswith(".png"):
        return fixture_dict
    out = {"image": fixture_dict.pop("image"), "decoded": decoded(name)}
    out.update(fixture_dict)
    return out


def select_images(all_names, wanted):
    """`--images` filter: names as in IMAGES (messi5.jpg) or fixture stems (messi5_jpg)."""
    if not wanted:
        return list(all_names)
    chosen = [n for n in all_names if n in wanted or fixture_stem(n) in wanted]
    unknown = set(wanted) - set(chosen) - {fixture_stem(n) for n in chosen}
    if unknown:
        raise SystemExit(f"unknown images {sorted(unknown)}; choose from {all_names}")
    return chosen


def write_json(path, obj):
    with open(path, "w") as f:
        json.dump(obj, f, separators=(",", ":"))
        f.write("\n")


def summary_line(stem, output, size):
    s, labels = output["scores"], sorted(set(output["labels"].tolist()))
    rng = f"{float(s.min()):.3f}-{float(s.max()):.3f}" if len(s) else "-"
    areas = (output["masks"][:, 0] > 0.5).flatten(1).sum(1).tolist() if "masks" in output else []
    return (f"{stem}: {len(s)} detections, {len(labels)} classes {labels}, scores {rng}, "
            f"empty masks {sum(a == 0 for a in areas)}, fixture {size / 1024:.0f} KiB")


def resize_note(original_size, t):
    """Original and resized size, and what a float64 scale would have made (make_resize_table.py)."""
    h, w = original_size
    resized = list(t["image_sizes"][0])
    scale64 = min(800 / min(h, w), 1333 / max(h, w))
    double = [math.floor(h * scale64), math.floor(w * scale64)]
    note = f"; {h}x{w} -> {resized[0]}x{resized[1]}"
    return note + (f" (float64 scale: {double[0]}x{double[1]})" if double != resized else "")


def float64_check(model, name, output, kind):
    m64 = build(kind).double()
    m64.load_state_dict({k: v.double() for k, v in model.state_dict().items()})
    with torch.no_grad():
        o64 = m64([load_image(name).double()])[0]
    same = len(o64["scores"]) == len(output["scores"]) and torch.equal(o64["labels"], output["labels"])
    line = f"  float64 model: {len(o64['scores'])} detections, same labels/order {same}"
    if same and len(o64["scores"]):
        line += (f", max |box diff| {float((o64['boxes'] - output['boxes'].double()).abs().max()):.2g} px"
                 f", max |score diff| {float((o64['scores'] - output['scores'].double()).abs().max()):.2g}")
        if "masks" in output:
            line += f", mask pixels differing {int(((o64['masks'] > 0.5) != (output['masks'] > 0.5)).sum())}"
    print(line)


def legacy_pth_check(state_dict, path, reference_output, name, kind):
    """Saves the weights as the official file of `kind` holds them and checks torchvision reloads them (strict) to
    the same outputs. v1 files: the legacy torch.save layout with the 2019 key names. v2 files (published with
    torchvision 0.13): current names plus BatchNorm2d's num_batches_tracked, written in both layouts (the zip one
    to `path` with .zip.pth)."""
    v2 = kind.endswith("_v2")
    files = [(path, False)] + ([(path.replace(".pth", ".zip.pth"), True)] if v2 else [])
    for file, zipped in files:
        saved = state_dict if v2 else collections.OrderedDict((checkpoint_name(k), v) for k, v in state_dict.items())
        torch.save(saved, file, _use_new_zipfile_serialization=zipped)
        fresh = build(kind)
        fresh.load_state_dict(torch.load(file))
        with torch.no_grad():
            out = fresh([load_image(name)])[0]
        keys = ("boxes", "scores", "labels") + (("masks",) if "masks" in out else ())
        same = all(torch.equal(out[k], reference_output[k]) for k in keys)
        print(f"{'zip' if zipped else 'legacy'} .pth ({os.path.getsize(file) / 2**20:.0f} MiB, "
              f"{len(saved)} entries{'' if v2 else ', 2019 key names'}) -> {file}; reloaded outputs on {name} identical: {same}")
        assert same


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default="maskrcnn_resnet50_fpn", choices=sorted(MODELS))
    parser.add_argument("--float64-check", action="store_true", help="also run the model in float64 and compare")
    parser.add_argument("--legacy-pth", default=None, help="default /tmp/<model>_seeded0_legacy.pth; '' for none")
    parser.add_argument("--images", nargs="+", help="only these (default: the model's images)")
    args = parser.parse_args()
    prefix, model_images, count = MODELS[args.model]
    legacy_path = f"/tmp/{args.model.split('_')[0]}{'_v2' if args.model.endswith('_v2') else ''}_seeded0_legacy.pth" \
        if args.legacy_pth is None else args.legacy_pth
    images = select_images(model_images, args.images)
    torch.set_num_threads(1)  # a fixed summation order: reruns give identical files
    model = build(args.model)
    entries = layout(model)
    assert len(entries) == count, len(entries)
    state_dict = model.state_dict()  # keeps BatchNorm2d's num_batches_tracked (v2), as the official files do
    state_dict.update(seeded_weights.state_dict(entries, SEED))
    model.load_state_dict(state_dict)
    capture = Capture(model)
    out_dir = os.path.join(ROOT, "Tests", "MaskRCNNTests", "Fixtures")
    reports, first_output = {}, None
    for name in images:
        image = load_image(name)
        original_size = tuple(image.shape[-2:])
        output, t = capture.run(image)
        first_output = first_output or output
        stem = prefix + fixture_stem(name)
        path = os.path.join(out_dir, f"{stem}.json")
        write_json(path, fixture(name, output, t, original_size))
        print(summary_line(stem, output, os.path.getsize(path)) + resize_note(original_size, t))
        scale = resize_scale(*original_size, model.transform)
        reports[stem] = gap_report.full_report(model, output, t, original_size, scale)
        print("  " + json.dumps(reports[stem]))
        if args.float64_check:
            float64_check(model, name, output, args.model)
    if legacy_path:
        legacy_pth_check(state_dict, legacy_path, first_output, images[0], args.model)


if __name__ == "__main__":
    main()
