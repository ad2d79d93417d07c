"""torchvision's two compiled ops that Mask R-CNN inference needs, `torchvision::nms` and `torchvision::roi_align`,
as pure-PyTorch CPU kernels, for a torchvision whose compiled `_C` cannot be loaded (PyPI's torchvision wheel is
linked against CUDA libraries that a CPU-only torch does not ship).

Call `install()` BEFORE the first `import torchvision`. It returns how the ops are provided:
  "compiled"     torchvision's own `_C` loads; nothing is replaced (unless force_python=True)
  "python"       `_C` does not load; the ops are defined here and torchvision is told it has them
  "python-over"  `_C` loads but force_python=True: our CPU kernels override the compiled ones

nms: the CPU kernel's algorithm exactly (stable descending sort by score, IoU in float32 without +1, suppress
     when IoU > threshold), the greedy pass done on a precomputed suppression matrix.
roi_align: sampling_ratio > 0 only (Mask R-CNN uses 2). Each RoI's sample points form a separable grid, so one
     `grid_sample` (bilinear, border clamp, align_corners=True) per feature map gathers every sample, then the
     samples of a bin are averaged (avg_pool2d, channels-last). Border clamp + zeroing samples outside [-1, H] x [-1, W] is the CPU kernel's
     boundary rule; the normalised-coordinate round trip costs ~1e-6 relative (see `self_check`).
"""
import glob
import importlib.util
import os

import numpy as np
import torch

_LIB = None  # keep the Library object alive: dropping it unregisters the ops
_MODE = None


def nms_cpu(dets: torch.Tensor, scores: torch.Tensor, iou_threshold: float) -> torch.Tensor:
    if dets.numel() == 0:
        return torch.empty(0, dtype=torch.long)
    order = torch.sort(scores, stable=True, descending=True)[1]
    b = dets[order]
    x1, y1, x2, y2 = b[:, 0], b[:, 1], b[:, 2], b[:, 3]
    areas = (x2 - x1) * (y2 - y1)
    w = (torch.minimum(x2[:, None], x2[None, :]) - torch.maximum(x1[:, None], x1[None, :])).clamp(min=0)
    h = (torch.minimum(y2[:, None], y2[None, :]) - torch.maximum(y1[:, None], y1[None, :])).clamp(min=0)
    inter = w * h
    over = (inter / (areas[:, None] + areas[None, :] - inter) > iou_threshold).numpy()
    n = over.shape[0]
    removed = np.zeros(n, dtype=bool)
    keep = []
    for i in range(n):
        if removed[i]:
            continue
        keep.append(i)
        removed |= over[i]
    return order[torch.as_tensor(keep, dtype=torch.long)]


def roi_align_cpu(input, rois, spatial_scale: float, pooled_height: int, pooled_width: int,
                  sampling_ratio: int, aligned: bool) -> torch.Tensor:
    if sampling_ratio <= 0:
        raise NotImplementedError("tv_ops.roi_align: adaptive sampling (sampling_ratio <= 0) is not implemented")
    n_img, channels, height, width = input.shape
    k = rois.shape[0]
    out = input.new_zeros((k if n_img > 1 else 0, channels, pooled_height, pooled_width))
    if k == 0:
        return out
    ph, pw, s = pooled_height, pooled_width, sampling_ratio
    offset = 0.5 if aligned else 0.0
    start_w = rois[:, 1] * spatial_scale - offset
    start_h = rois[:, 2] * spatial_scale - offset
    roi_w = rois[:, 3] * spatial_scale - offset - start_w
    roi_h = rois[:, 4] * spatial_scale - offset - start_h
    if not aligned:
        roi_w = roi_w.clamp(min=1.0)
        roi_h = roi_h.clamp(min=1.0)
    bin_h, bin_w = roi_h / ph, roi_w / pw
    # sample j of bin p sits at start + p * bin + (j + 0.5) * bin / s, as the CPU kernel computes it
    p_h = torch.arange(ph, dtype=input.dtype).repeat_interleave(s)
    j_h = (torch.arange(s, dtype=input.dtype) + 0.5).repeat(ph)
    p_w = torch.arange(pw, dtype=input.dtype).repeat_interleave(s)
    j_w = (torch.arange(s, dtype=input.dtype) + 0.5).repeat(pw)
    ys = start_h[:, None] + p_h[None, :] * bin_h[:, None] + j_h[None, :] * (bin_h / s)[:, None]  # [K, ph*s]
    xs = start_w[:, None] + p_w[None, :] * bin_w[:, None] + j_w[None, :] * (bin_w / s)[:, None]  # [K, pw*s]
    valid = ((ys >= -1.0) & (ys <= height))[:, :, None] & ((xs >= -1.0) & (xs <= width))[:, None, :]
    gy = ys * (2.0 / (height - 1)) - 1.0 if height > 1 else torch.zeros_like(ys)
    gx = xs * (2.0 / (width - 1)) - 1.0 if width > 1 else torch.zeros_like(xs)
    grid = torch.stack(torch.broadcast_tensors(gx[:, None, :], gy[:, :, None]), dim=-1)  # [K, ph*s, pw*s, 2]
    batch = rois[:, 0].to(torch.long)
    all_valid = bool(valid.all())
    for b in range(n_img):
        idx = (batch == b).nonzero().flatten() if n_img > 1 else None
        g = grid if idx is None else grid[idx]
        kb = g.shape[0]
        if kb == 0:
            continue
        # channels-last: grid_sample and avg_pool2d then vectorise over channels
        feat = input[b:b + 1].contiguous(memory_format=torch.channels_last)
        samples = torch.nn.functional.grid_sample(
            feat, g.reshape(1, kb * ph * s, pw * s, 2), mode="bilinear", padding_mode="border",
            align_corners=True)  # [1, C, K*ph*s, pw*s]
        if not all_valid:
            v = valid if idx is None else valid[idx]
            samples = samples * v.reshape(1, 1, kb * ph * s, pw * s).to(samples.dtype)
        pooled = torch.nn.functional.avg_pool2d(samples, s)  # [1, C, K*ph, pw]: sum of a bin's samples / s^2
        pooled = pooled.permute(0, 2, 3, 1).reshape(kb, ph, pw, channels).permute(0, 3, 1, 2)
        if idx is None:
            out = pooled.contiguous()
        else:
            out[idx] = pooled
    return out


def _compiled_lib_path():
    spec = importlib.util.find_spec("torchvision")
    if spec is None or not spec.submodule_search_locations:
        return None
    for d in spec.submodule_search_locations:
        hits = sorted(glob.glob(os.path.join(d, "_C*.so")))
        if hits:
            return hits[0]
    return None


def install(force_python: bool = False) -> str:
    """Make torchvision::nms and torchvision::roi_align usable on CPU; call before importing torchvision."""
    global _LIB, _MODE
    if _MODE is not None:
        return _MODE
    path = _compiled_lib_path()
    compiled = False
    if path is not None:
        try:
            torch.ops.load_library(path)
            compiled = True
        except (OSError, RuntimeError):
            compiled = False
    if compiled and not force_python:
        _MODE = "compiled"
        return _MODE
    if compiled:
        _LIB = torch.library.Library("torchvision", "IMPL")
        _MODE = "python-over"
    else:
        _LIB = torch.library.Library("torchvision", "DEF")
        _LIB.define("nms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor")
        _LIB.define("qnms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor")
        _LIB.define("roi_align(Tensor input, Tensor rois, float spatial_scale, int pooled_height, "
                    "int pooled_width, int sampling_ratio, bool aligned) -> Tensor")
        _MODE = "python"
    _LIB.impl("nms", nms_cpu, "CPU")
    _LIB.impl("roi_align", roi_align_cpu, "CPU")
    if _MODE == "python":
        import sys
        import torchvision.extension
        import torchvision.ops.roi_align  # noqa: F401
        # nms and roi_align check for the compiled extension before calling torch.ops.torchvision.*; without this,
        # nms raises and roi_align takes torchvision's torch.compile'd fallback instead of our kernel.
        # (`torchvision.ops.roi_align` is the function there, so patch the module through sys.modules.)
        torchvision.extension._has_ops = lambda: True
        roi_align_module = sys.modules["torchvision.ops.roi_align"]
        if hasattr(roi_align_module, "_has_ops"):
            roi_align_module._has_ops = lambda: True
    return _MODE


def self_check(seed: int = 0) -> str:
    """Max differences of our kernels against the compiled ones (needs a torchvision whose `_C` loads).

    Run BEFORE install(force_python=True): it calls both directly."""
    path = _compiled_lib_path()
    torch.ops.load_library(path)
    g = torch.Generator().manual_seed(seed)
    feats = torch.randn(1, 256, 50, 68, generator=g)
    xy = torch.rand(1000, 2, generator=g) * torch.tensor([250.0, 180.0])
    wh = torch.rand(1000, 2, generator=g) * 150 + 1
    boxes = torch.cat([xy, (xy + wh).clamp(max=torch.tensor([271.0, 199.0]))], 1)
    rois = torch.cat([torch.zeros(1000, 1), boxes], 1)
    lines = []
    for scale, ps in ((0.25, 7), (0.25, 14)):
        a = torch.ops.torchvision.roi_align(feats, rois, scale, ps, ps, 2, False)
        b = roi_align_cpu(feats, rois, scale, ps, ps, 2, False)
        lines.append(f"roi_align {ps}x{ps}: max |diff| {float((a - b).abs().max()):.2e} (max |out| {float(a.abs().max()):.2f})")
    scores = torch.rand(1000, generator=g)
    a = torch.ops.torchvision.nms(boxes, scores, 0.7)
    b = nms_cpu(boxes, scores, 0.7)
    lines.append(f"nms: {len(a)} kept, identical: {bool(torch.equal(a, b))}")
    return "; ".join(lines)
