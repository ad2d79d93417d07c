#!/usr/bin/env python3
"""Reference COCO RLE encodings for Pipeline's `COCORLE`, computed by pycocotools.

Run from the repository root with the pyenv `python3` (needs numpy and pycocotools, `python3 -m pip install
pycocotools`; not Debian's /usr/bin/python3). Deterministic (numpy seeded). Writes
Tests/PipelineTests/Fixtures/rle_cases.json (~100 KB), read by Tests/PipelineTests/COCORLETests.swift.

Format: {"generator", "pycocotools_version", "bits_format", "cases": [case, ...]}, each case:
- `name`; `height`, `width`: the image size.
- `crop`: null (no mask at all: `COCORLE.encode(nil, ...)`) or the `InstanceMask` placed in the image:
  `x`, `y` (top-left, may be negative or overhang the image: pixels outside the image are dropped),
  `width`, `height`, and `rows`: one hex string per crop row, top to bottom. A row is its `width` bits
  (0/1, left to right) packed most significant bit first into ceil(width / 8) bytes, the last byte
  zero-padded on the right (numpy.packbits, bitorder="big"), written as lowercase hex, two digits a byte.
  Example: width 10, bits 1,0,1,1,0,0,0,0,1,1 -> bytes 0xb0 0xc0 -> "b0c0".
- `counts`: pycocotools `mask.encode(np.asfortranarray(full_mask))["counts"]` decoded as ASCII.
- `area`: pycocotools `mask.area` of that RLE.
- `runs`: the uncompressed runs over the image in column-major order, first run counting zeros (computed
  here with numpy, checked against `mask.decode`, and re-encoded through `mask.frPyObjects` to the same
  `counts`).
"""
import json
import os

import numpy as np
import pycocotools
from pycocotools import mask as cocomask

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "Tests", "PipelineTests", "Fixtures", "rle_cases.json")
rng = np.random.default_rng(20261125)


def runs_of(full):
    """Column-major runs of a 0/1 image, first run zeros (pycocotools' convention)."""
    flat = np.asarray(full, dtype=np.uint8).flatten(order="F")
    runs = []
    if flat.size:
        change = np.flatnonzero(np.diff(flat)) + 1
        bounds = np.concatenate(([0], change, [flat.size]))
        lengths = np.diff(bounds).tolist()
        if flat[0] == 1:
            runs.append(0)
        runs.extend(int(v) for v in lengths)
    else:
        runs.append(0)
    return runs


def rasterise_runs(runs, h, w):
    flat = np.zeros(h * w, dtype=np.uint8)
    p, v = 0, 0
    for r in runs:
        flat[p:p + r] = v
        p += r
        v ^= 1
    assert p == h * w
    return flat.reshape((h, w), order="F")


def paste(h, w, crop):
    """The full image-sized mask of a crop (x, y, bits[ch, cw]); pixels outside the image are dropped."""
    full = np.zeros((h, w), dtype=np.uint8)
    if crop is None:
        return full
    x, y, bits = crop
    ch, cw = bits.shape
    for cy in range(ch):
        for cx in range(cw):
            px, py = x + cx, y + cy
            if 0 <= px < w and 0 <= py < h:
                full[py, px] = bits[cy, cx]
    return full


def encode_rows(bits):
    return [np.packbits(row.astype(np.uint8), bitorder="big").tobytes().hex() for row in bits]


def make_case(name, h, w, crop):
    """crop: None or (x, y, bits) with bits a uint8 0/1 array [crop_height, crop_width]."""
    full = paste(h, w, crop)
    rle = cocomask.encode(np.asfortranarray(full))
    counts = rle["counts"].decode("ascii")
    assert rle["size"] == [h, w]
    area = int(cocomask.area(rle))
    runs = runs_of(full)
    # Our run list against pycocotools, both ways.
    decoded = cocomask.decode(rle)
    assert decoded.shape == (h, w) and np.array_equal(decoded, full), name
    assert np.array_equal(rasterise_runs(runs, h, w), decoded), name
    again = cocomask.frPyObjects({"size": [h, w], "counts": runs}, h, w)
    assert again["counts"].decode("ascii") == counts, name
    assert area == int(full.sum()) == sum(runs[1::2]), name
    case = {"name": name, "height": h, "width": w, "crop": None, "counts": counts, "area": area, "runs": runs}
    if crop is not None:
        x, y, bits = crop
        bits = np.asarray(bits, dtype=np.uint8)
        assert set(np.unique(bits).tolist()) <= {0, 1}
        # The rows must round-trip through the documented hex format.
        rows = encode_rows(bits)
        back = np.array([np.unpackbits(np.frombuffer(bytes.fromhex(r), dtype=np.uint8))[:bits.shape[1]]
                         for r in rows]).reshape(bits.shape)
        assert np.array_equal(back, bits), name
        case["crop"] = {"x": x, "y": y, "width": int(bits.shape[1]), "height": int(bits.shape[0]), "rows": rows}
    return case


def ellipse(h, w, cy, cx, ry, rx):
    yy, xx = np.mgrid[0:h, 0:w]
    return (((yy - cy) / ry) ** 2 + ((xx - cx) / rx) ** 2 <= 1.0).astype(np.uint8)


def blobs(h, w, density):
    """Random blobs: seeded noise, box-blurred a few times, thresholded."""
    a = rng.random((h, w))
    for _ in range(3):
        p = np.pad(a, 2, mode="edge")
        a = sum(p[dy:dy + h, dx:dx + w] for dy in range(5) for dx in range(5)) / 25.0
    return (a > np.quantile(a, 1.0 - density)).astype(np.uint8)


def cases():
    out = []
    H, W = 13, 17
    out.append(make_case("no_mask_nil", 7, 5, None))
    out.append(make_case("empty_zero_crop", H, W, (3, 2, np.zeros((6, 9), np.uint8))))
    out.append(make_case("full_image", H, W, (0, 0, np.ones((H, W), np.uint8))))
    for name, (x, y) in {"corner_top_left": (0, 0), "corner_top_right": (W - 1, 0),
                         "corner_bottom_left": (0, H - 1), "corner_bottom_right": (W - 1, H - 1)}.items():
        out.append(make_case(name, H, W, (x, y, np.ones((1, 1), np.uint8))))
    # All four corners at once, one crop covering the whole image.
    corners = np.zeros((H, W), np.uint8)
    corners[0, 0] = corners[0, -1] = corners[-1, 0] = corners[-1, -1] = 1
    out.append(make_case("all_four_corners", H, W, (0, 0, corners)))
    # Touches every image border: random bits with the outer frame forced on in places.
    b = (rng.random((31, 23)) < 0.5).astype(np.uint8)
    b[0, 3:9] = 1; b[-1, 10:20] = 1; b[5:12, 0] = 1; b[20:31, -1] = 1
    out.append(make_case("touches_borders", 31, 23, (0, 0, b)))
    out.append(make_case("random_blobs", 60, 80, (0, 0, blobs(60, 80, 0.35))))
    out.append(make_case("offset_crop", 48, 64, (19, 11, blobs(23, 29, 0.5))))
    # Crop partly outside the image on the left/top and on the right/bottom.
    out.append(make_case("crop_overhangs_top_left", 20, 30, (-4, -3, (rng.random((9, 11)) < 0.6).astype(np.uint8))))
    out.append(make_case("crop_overhangs_bottom_right", 20, 30, (24, 15, (rng.random((9, 11)) < 0.6).astype(np.uint8))))
    out.append(make_case("one_pixel_on", 1, 1, (0, 0, np.ones((1, 1), np.uint8))))
    out.append(make_case("one_pixel_off", 1, 1, (0, 0, np.zeros((1, 1), np.uint8))))
    out.append(make_case("row_1x37", 1, 37, (0, 0, (rng.random((1, 37)) < 0.5).astype(np.uint8))))
    out.append(make_case("column_41x1", 41, 1, (0, 0, (rng.random((41, 1)) < 0.5).astype(np.uint8))))
    out.append(make_case("checkerboard", 9, 11, (0, 0, (np.indices((9, 11)).sum(0) % 2).astype(np.uint8))))
    # 342x548 with a few regions: two ellipses, a rectangle, a blob patch; crop = their bounding box.
    h, w = 342, 548
    big = ellipse(h, w, 120, 150, 90, 60) | ellipse(h, w, 250, 400, 70, 130)
    big[20:60, 300:520] = 1
    big[200:260, 40:140] |= blobs(60, 100, 0.4)
    ys, xs = np.nonzero(big)
    y0, y1, x0, x1 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
    out.append(make_case("regions_342x548", h, w, (int(x0), int(y0), big[y0:y1, x0:x1])))
    out.append(make_case("empty_342x548", h, w, (100, 100, np.zeros((5, 5), np.uint8))))
    # Vertical stripes of very different widths: runs of whole columns, so long runs (> 2^10, > 2^15) and
    # large negative and positive deltas against the run two back.
    h, widths = 200, [3, 200, 1, 170, 5, 2, 180, 1, 6, 40]
    w = sum(widths)
    stripes = np.zeros((h, w), np.uint8)
    p, v = 0, 0
    for k in widths:
        stripes[:, p:p + k] = v
        p += k
        v ^= 1
    stripes[17, 300] ^= 1  # one odd pixel inside a long run
    out.append(make_case("long_stripes", h, w, (0, 0, stripes)))
    return out


def main():
    all_cases = cases()
    # Coverage of the compressed format's corner cases.
    deltas = [c["runs"][i] - c["runs"][i - 2] for c in all_cases for i in range(3, len(c["runs"]))]
    assert min(deltas) < -(1 << 15) and max(deltas) > (1 << 15), (min(deltas), max(deltas))
    assert max(r for c in all_cases for r in c["runs"]) > (1 << 15)
    doc = {
        "generator": "tools/reference/make_rle_fixtures.py",
        "pycocotools_version": getattr(pycocotools, "__version__", None) or _dist_version(),
        "bits_format": "crop.rows: one hex string per row, the row's width bits packed MSB first into "
                       "ceil(width/8) bytes, last byte zero-padded (numpy.packbits bitorder=big)",
        "cases": all_cases,
    }
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        json.dump(doc, f, separators=(",", ":"))
        f.write("\n")
    print(f"{OUT}: {len(all_cases)} cases, {os.path.getsize(OUT)} bytes")
    for c in all_cases:
        print(f"  {c['name']:28s} {c['height']}x{c['width']} runs={len(c['runs'])} area={c['area']} "
              f"counts={c['counts'][:40]}{'...' if len(c['counts']) > 40 else ''}")


def _dist_version():
    from importlib.metadata import version
    return version("pycocotools")


if __name__ == "__main__":
    main()
