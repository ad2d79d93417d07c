"""The resized image size torchvision's GeneralizedRCNNTransform produces, for many input sizes and five
(min_size, max_size) settings, measured by calling the transform itself.

Writes Tests/MaskRCNNTests/Fixtures/resize_table.json:
- `sizes`: the input sizes [h, w];
- `configs`: one entry per (min_size, max_size) with `resized` (the [h, w] torchvision made, one per size, in
  the order of `sizes`) and `double_differs` (indices of the sizes where the same formula evaluated in float64
  gives another size: the cases a double-precision implementation gets wrong).

Every entry of `resized` comes from a real `GeneralizedRCNNTransform.resize` call on a zero image of that
size (one channel: the resized size does not depend on the channel count). The script then checks that the
rule `torchvision_rule` (documented in tools/reference/README.md, "Resized size") reproduces every entry, and
prints how often the float64 rule and a plain float32 division differ from it.

Run: /usr/bin/python3 tools/reference/make_resize_table.py
"""
import json
import math
import os
import sys
import time

import numpy as np
import torch
from torchvision.models.detection.transform import GeneralizedRCNNTransform

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OUT = os.path.join(ROOT, "Tests", "MaskRCNNTests", "Fixtures", "resize_table.json")
CONFIGS = [(800, 1333), (480, 800), (480, 1333), (320, 1333), (640, 1333)]

# Still-camera, video and screen sizes [h, w] (each also transposed), the repository's sample images, and
# held-out photos from issue 11 (a 640x424 photo).
NAMED = [
    (120, 160), (144, 176), (240, 320), (288, 352), (360, 480), (360, 640), (480, 640), (480, 848), (480, 854),
    (540, 960), (576, 720), (576, 768), (576, 1024), (600, 800), (720, 960), (720, 1280), (768, 1024),
    (768, 1366), (800, 1280), (900, 1600), (1024, 1280), (1080, 1440), (1080, 1920), (1200, 1600),
    (1200, 1920), (1440, 1920), (1440, 2560), (1536, 2048), (1600, 2560), (1944, 2592), (2048, 2732),
    (2160, 3840), (2448, 3264), (2736, 3648), (3000, 4000), (3024, 4032), (3456, 4608), (4000, 6000),
    (4320, 7680), (1080, 2400), (1080, 2340), (1440, 3200), (1080, 2560), (1440, 3440), (1200, 4000),
    (342, 548), (480, 512), (424, 640), (356, 493), (459, 612), (600, 868), (365, 588), (1, 1), (1, 2),
    (2, 3), (7, 5), (800, 800), (800, 1333), (799, 1333), (800, 1334), (1333, 1333), (480, 800), (6, 4000),
]
GRID_H = range(100, 1101, 7)
GRID_W = [160, 256, 320, 424, 480, 548, 640, 768, 1024, 1280, 1600, 1920]


def input_sizes():
    sizes = []
    for h, w in NAMED:
        sizes += [(h, w), (w, h)]
    sizes += [(h, w) for h in GRID_H for w in GRID_W]
    # Every short side 1..1200 at 4:3 (landscape), so each short side's scale is covered once.
    sizes += [(m, (4 * m + 2) // 3) for m in range(1, 1201)]
    # Long sides 100..4000 (step 3) at 21:9 (portrait): the max_size cap decides for most settings.
    sizes += [((21 * m) // 9, m) for m in range(43, 1715, 3)]
    seen, unique = set(), []
    for s in sizes:
        if s not in seen:
            seen.add(s)
            unique.append(s)
    return unique


def torchvision_resized(transform, h, w):
    image = torch.zeros(1, h, w)
    resized, _ = transform.resize(image, None)
    return list(resized.shape[-2:])


def f32(x):
    return np.float32(x)


def torchvision_rule(h, w, min_size, max_size):
    """The rule in tools/reference/README.md ("Resized size"): float32 reciprocal, float32 product, then the
    float64 product with the integer side, floored."""
    short, long = f32(min(h, w)), f32(max(h, w))
    s_min = f32(f32(1) / short) * f32(min_size)
    s_max = f32(f32(1) / long) * f32(max_size)
    scale = float(min(s_min, s_max))
    return [math.floor(h * scale), math.floor(w * scale)]


def double_rule(h, w, min_size, max_size):
    scale = min(min_size / min(h, w), max_size / max(h, w))
    return [math.floor(h * scale), math.floor(w * scale)]


def float32_division_rule(h, w, min_size, max_size):
    scale = float(min(f32(min_size) / f32(min(h, w)), f32(max_size) / f32(max(h, w))))
    return [math.floor(h * scale), math.floor(w * scale)]


def main():
    torch.set_num_threads(1)
    sizes = input_sizes()
    start = time.time()
    configs = []
    for min_size, max_size in CONFIGS:
        transform = GeneralizedRCNNTransform(min_size, max_size, [0.0] * 3, [1.0] * 3).eval()
        resized = [torchvision_resized(transform, h, w) for h, w in sizes]
        rule = [torchvision_rule(h, w, min_size, max_size) for h, w in sizes]
        mismatches = [(s, r, t) for s, r, t in zip(sizes, rule, resized) if r != t]
        assert not mismatches, f"rule differs from torchvision for {min_size}/{max_size}: {mismatches[:10]}"
        double = [i for i, (h, w) in enumerate(sizes) if double_rule(h, w, min_size, max_size) != resized[i]]
        division = [i for i, (h, w) in enumerate(sizes)
                    if float32_division_rule(h, w, min_size, max_size) != resized[i]]
        capped = sum(1 for h, w in sizes if max_size / max(h, w) < min_size / min(h, w))
        examples = ", ".join(f"{sizes[i][0]}x{sizes[i][1]} -> {resized[i][0]}x{resized[i][1]} "
                             f"(double {'x'.join(map(str, double_rule(*sizes[i], min_size, max_size)))})"
                             for i in double[:4])
        print(f"{min_size}/{max_size}: {len(sizes)} sizes ({capped} capped by max_size), rule exact on all; "
              f"float64 rule differs on {len(double)}, float32 division on {len(division)}; e.g. {examples}")
        configs.append({"min_size": min_size, "max_size": max_size, "resized": resized,
                        "double_differs": double})
    table = {
        "source": "torchvision 0.14.1 GeneralizedRCNNTransform.resize (torch 1.13.1 CPU), one call per size",
        "rule": "s = min(f32(f32(1/f32(short)) * f32(min_size)), f32(f32(1/f32(long)) * f32(max_size))); "
                "out = floor(Double(side) * Double(s)) for each side (see tools/reference/README.md)",
        "sizes": [list(s) for s in sizes],
        "configs": configs,
    }
    with open(OUT, "w") as f:
        f.write(json.dumps(table, separators=(",", ":")) + "\n")
    print(f"{len(sizes)} sizes x {len(CONFIGS)} settings in {time.time() - start:.0f} s -> "
          f"{os.path.relpath(OUT, ROOT)} ({os.path.getsize(OUT) / 1024:.0f} KiB)")


if __name__ == "__main__":
    sys.exit(main())
