"""Bit-exact NumPy replay of Keypoint R-CNN's post-head arithmetic on CPU (torch 1.13.1 as Debian builds it,
AVX2 kernels) and the margins of its discrete decisions.

`upsample2x` is KeypointRCNNPredictor's `F.interpolate(x, scale_factor=2.0, mode="bilinear",
align_corners=False, recompute_scale_factor=False)`; `bicubic` is `F.interpolate(m, size=(h, w),
mode="bicubic", align_corners=False)`; `heatmaps_to_keypoints` is torchvision 0.14's function of that name
followed by the transform's `resize_keypoints`. make_keypointrcnn_fixtures.py checks all three against
torchvision bit for bit, so the arithmetic written here (float32 roundings, where a fused multiply-add occurs,
float64 source coordinates) is the specification the Swift side follows.

FMA is emulated as float32(float64(a) * float64(b) + float64(c)): the product is exact in float64, so this
differs from a true fused operation only by a double rounding in the rare case of a float32 tie.
"""
import math

import numpy as np

F32 = np.float32


def _fma(a, b, c):
    return (a.astype(np.float64) * b.astype(np.float64) + c.astype(np.float64)).astype(F32)


def _dot(values, weights):
    """PyTorch's CPU interpolation sum over taps j = 0..n-1 (GCC contracts it this way):
    s = fma(v0, w0, round(v1 * w1)); s = fma(v_j, w_j, s) for j = 2..n-1."""
    s = _fma(values[0], weights[0], (values[1] * weights[1]).astype(F32))
    for v, w in zip(values[2:], weights[2:]):
        s = _fma(v, w, s)
    return s


def linear_weights_2x(n):
    """Source taps of the x2 bilinear upsampling (scale 1/2.0 = 0.5 exactly): src = max(0.5 * (o + 0.5) - 0.5, 0),
    i0 = int(src), i1 = i0 + 1 unless i0 is the last index, l1 = src - i0, l0 = 1 - l1 (all exact)."""
    o = np.arange(2 * n, dtype=np.float64)
    src = np.maximum(0.5 * (o + 0.5) - 0.5, 0.0)
    i0 = src.astype(np.int64)
    i1 = np.where(i0 < n - 1, i0 + 1, i0)
    l1 = (src - i0).astype(F32)
    l0 = (F32(1) - l1).astype(F32)
    return (i0, i1), (l0, l1)


def upsample2x(x):
    """[..., H, W] float32 -> [..., 2H, 2W]: rows (H) outer, columns (W) inner."""
    (h0, h1), (hl0, hl1) = linear_weights_2x(x.shape[-2])
    (w0, w1), (wl0, wl1) = linear_weights_2x(x.shape[-1])
    rows = []
    for h in (h0, h1):
        xr = x[..., h, :]
        rows.append(_dot([xr[..., w0], xr[..., w1]], [wl0[None, :], wl1[None, :]]))
    return _dot(rows, [hl0[:, None], hl1[:, None]])


def _cubic1(x, a):  # ((A + 2) x - (A + 3)) x x + 1, the first product-sum fused
    p = (_fma(F32(a + 2), x, F32(-(a + 3))) * x).astype(F32)
    return ((p * x).astype(F32) + F32(1)).astype(F32)


def _cubic2(x, a):  # ((A x - 5A) x + 8A) x - 4A, the first two product-sums fused
    p = _fma(F32(a), x, F32(-5 * a))
    p = _fma(p, x, F32(8 * a))
    return ((p * x).astype(F32) - F32(4 * a)).astype(F32)


def cubic_weights(in_size, out_size):
    """Taps and weights of bicubic (A = -0.75, align_corners=False) resizing along one axis.

    scale = float32(in) / float32(out) (float32 division); src = float64(scale) * (o + 0.5) - 0.5 in float64 (no
    clamping at 0); i = floor(src); t = float32(src - i); taps i-1..i+2 clamped into [0, in-1];
    weights [W2(t + 1), W1(t), W1(1 - t), W2(1 - t + 1)] in float32 (1 - t and the + 1 rounded to float32)."""
    a = -0.75
    scale = F32(in_size) / F32(out_size)
    src = np.float64(scale) * (np.arange(out_size, dtype=np.float64) + 0.5) - 0.5  # exact in float64
    i = np.floor(src.astype(F32)).astype(np.int64)
    t = (src - i).astype(F32)
    x2 = (F32(1) - t).astype(F32)
    weights = [_cubic2((t + F32(1)).astype(F32), a), _cubic1(t, a), _cubic1(x2, a), _cubic2((x2 + F32(1)).astype(F32), a)]
    taps = [np.clip(i + j - 1, 0, in_size - 1) for j in range(4)]
    return taps, weights


def bicubic(m, out_h, out_w):
    """[K, H, W] float32 -> [K, out_h, out_w]: for each of the 4 source rows the 4-tap sum along W, then the 4-tap
    sum of those along H (each with `_dot`'s contraction)."""
    hi, hw = cubic_weights(m.shape[-2], out_h)
    wi, ww = cubic_weights(m.shape[-1], out_w)
    rows = []
    for j in range(4):
        xr = m[:, hi[j], :]
        rows.append(_dot([xr[:, :, wi[k]] for k in range(4)], [ww[k][None, None, :] for k in range(4)]))
    return _dot(rows, [hw[j][None, :, None] for j in range(4)])


def heatmaps_to_keypoints(maps, boxes, resized_size, original_size):
    """torchvision 0.14 heatmaps_to_keypoints + resize_keypoints, for one image.

    maps [N, K, 56, 56] float32 (the predictor output), boxes [N, 4] float32 in resized-image coordinates (the
    detections before transform.postprocess). Returns keypoints [N, K, 3] (x, y, 1) in original-image
    coordinates, scores [N, K], and per-keypoint decision data for the margin report."""
    n, k = maps.shape[:2]
    keypoints = np.zeros((n, k, 3), F32)
    # (max - second largest) / |max| of each bicubic map: the argmax decision's relative margin
    scores = np.zeros((n, k), F32)
    ratio_h = F32(original_size[0]) / F32(resized_size[0])
    ratio_w = F32(original_size[1]) / F32(resized_size[1])
    gaps = []
    for r in range(n):
        x1, y1, x2, y2 = boxes[r]
        width = max((x2 - x1).astype(F32), F32(1))
        height = max((y2 - y1).astype(F32), F32(1))
        w_ceil, h_ceil = int(math.ceil(width)), int(math.ceil(height))
        width_correction = (width / F32(w_ceil)).astype(F32)
        height_correction = (height / F32(h_ceil)).astype(F32)
        roi_map = bicubic(maps[r], h_ceil, w_ceil)
        flat = roi_map.reshape(k, -1)
        pos = flat.argmax(axis=1)  # first maximum in row-major order, as torch.argmax
        x_int, y_int = pos % w_ceil, pos // w_ceil
        x = ((x_int.astype(F32) + F32(0.5)) * width_correction).astype(F32)
        y = ((y_int.astype(F32) + F32(0.5)) * height_correction).astype(F32)
        keypoints[r, :, 0] = ((x + x1).astype(F32) * ratio_w).astype(F32)
        keypoints[r, :, 1] = ((y + y1).astype(F32) * ratio_h).astype(F32)
        keypoints[r, :, 2] = 1
        scores[r] = flat[np.arange(k), pos]
        top2 = np.sort(flat, axis=1)[:, -2:]
        # how far (in original-image pixels) the argmax could move if values within 1e-4 relative of the
        # maximum (about 3x the float32-vs-float64 difference of the heatmaps) reordered
        near = flat >= (top2[:, 1:] - 1e-4 * np.abs(top2[:, 1:]))
        ys, xs = np.divmod(np.arange(flat.shape[1]), w_ceil)
        dx = np.abs(xs[None, :] - x_int[:, None]) * float(width_correction) * float(ratio_w)
        dy = np.abs(ys[None, :] - y_int[:, None]) * float(height_correction) * float(ratio_h)
        radius = np.where(near, np.hypot(dx, dy), 0.0).max(axis=1)
        gaps.append({"gap": (top2[:, 1] - top2[:, 0]).astype(np.float64), "max": top2[:, 1].astype(np.float64),
                     "ties": int((top2[:, 1] == top2[:, 0]).sum()), "near_max_radius": radius,
                     "ceil_margin": min(_ceil_margin(float(width)), _ceil_margin(float(height)))})
    return keypoints, scores, gaps


def _ceil_margin(v):
    """Distance of v to the nearest integer (where ceil(v) would change, for v just above it)."""
    return abs(v - round(v))
