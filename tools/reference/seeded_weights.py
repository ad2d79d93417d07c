"""Seeded weights for the Mask R-CNN and Keypoint R-CNN layouts, bit-identical to Sources/Checkpoint/SeededWeights.swift.

Every tensor gets its own SplitMix64 stream, seeded from the FNV-1a 64 hash of its state-dict name, and is
filled in flat row-major order with `lo + span * u`, u = (z >> 40) * 2^-24, all in IEEE float32.
The per-tensor (lo, span) rules are in `rule()`; tools/reference/SEEDED_WEIGHTS.md documents them.
"""
import math

import numpy as np

GOLDEN = np.uint64(0x9E3779B97F4A7C15)
MASK64 = (1 << 64) - 1


def fnv1a64(name: str) -> int:
    h = 0xCBF29CE484222325
    for b in name.encode("utf-8"):
        h ^= b
        h = (h * 0x100000001B3) & MASK64
    return h


def uniforms(name: str, seed: int, count: int) -> np.ndarray:
    """`count` float32 draws in [0, 1) from the tensor's SplitMix64 stream."""
    state0 = fnv1a64(name) ^ ((seed * 0x9E3779B97F4A7C15) & MASK64)
    k = np.arange(1, count + 1, dtype=np.uint64)
    with np.errstate(over="ignore"):
        z = np.uint64(state0) + k * GOLDEN
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    return (z >> np.uint64(40)).astype(np.float32) * np.float32(2.0 ** -24)


def _fan_in(shape):
    return int(np.prod(shape[1:]))


def is_v2_norm(name: str) -> bool:
    """The BatchNorm2d of a v2 Conv2dNormActivation block: `<block>.<i>.1.<param>` in the FPN, box head or mask head."""
    parts = name.split(".")
    return (name.startswith(("backbone.fpn.", "roi_heads.box_head.", "roi_heads.mask_head."))
            and len(parts) >= 3 and parts[-2] == "1")


def rule(name: str, shape):
    """(lo, span) as Python floats (rounded to float32 by the caller), plus the rule's label."""
    n = name
    if n.endswith(".running_var"):
        return 0.5, 1.0, "bn.running_var U[0.5,1.5)"
    if n.endswith(".running_mean"):
        return -0.1, 0.2, "bn.running_mean U[-0.1,0.1)"
    is_bn = ".bn" in n or ".downsample.1." in n or is_v2_norm(n)
    if is_bn and n.endswith(".weight"):
        if ".bn3." in n:
            return 0.1, 0.2, "bn3.weight U[0.1,0.3)"
        return 0.8, 0.4, "bn.weight U[0.8,1.2)"
    if is_bn and n.endswith(".bias"):
        return -0.1, 0.2, "bn.bias U[-0.1,0.1)"
    # Convolutions and linear layers: uniform(-a, a), a = gain * sqrt(3 / fan_in).
    if n.endswith(".weight"):
        gain = GAINS.get(n, math.sqrt(2.0))
        a = gain * math.sqrt(3.0 / _fan_in(shape))
        return -a, 2 * a, f"U(-a,a) a = {gain:.4g}*sqrt(3/fan_in)"
    if n.endswith(".bias"):
        lo, hi = BIASES.get(n, (-0.05, 0.05))
        return lo, hi - lo, f"bias U[{lo},{hi})"
    raise ValueError(f"no rule for {name}")


# Per-tensor gains (default sqrt(2): He for layers followed by ReLU).
GAINS = {
    "rpn.head.cls_logits.weight": 0.5,
    "rpn.head.bbox_pred.weight": 0.1,
    "roi_heads.box_predictor.cls_score.weight": 2.0,
    "roi_heads.box_predictor.bbox_pred.weight": 1.5,
    "roi_heads.mask_predictor.mask_fcn_logits.weight": 2.0,
    # v2 box head's FC after four conv+BN+ReLU blocks (whose seeded BN statistics do not normalise): a smaller gain
    # and negative bias keep the class scores spread over (0.1, 0.7) instead of saturating.
    "roi_heads.box_head.5.weight": 0.5,
}
for _l, _b in ((1, 3), (2, 4), (3, 6), (4, 3)):
    GAINS[f"backbone.body.layer{_l}.0.downsample.0.weight"] = 1.0
for _i in range(4):
    GAINS[f"backbone.fpn.inner_blocks.{_i}.0.weight"] = 1.0
    GAINS[f"backbone.fpn.layer_blocks.{_i}.0.weight"] = 1.0
# Per-tensor bias ranges [lo, hi) (default [-0.05, 0.05)). Negative box-head biases sparsify fc6/fc7, so
# the class logits depend on the RoI more than on the image's common features.
BIASES = {
    "roi_heads.box_head.fc6.bias": (-4.0, -3.5),
    "roi_heads.box_head.fc7.bias": (-2.0, -1.5),
    "roi_heads.box_head.5.bias": (-1.0, -0.5),
}
# After filling, these elements get a constant added (float32): the background class logit bias, so that most
# RoIs are background and the foreground scores spread over (0.05, 1).
OFFSETS = {
    "roi_heads.box_predictor.cls_score.bias": (0, 6.0),
}
# Offsets that apply to one shape only (they take precedence over OFFSETS): Keypoint R-CNN's 2-class
# (background, person) predictor. Its person score competes with the background logit alone, not with 89 other
# classes, and 5.0 gives a handful of person detections on messi5 and a few dozen on vtest_frame30.
SHAPE_OFFSETS = {
    ("roi_heads.box_predictor.cls_score.bias", (2,)): (0, 5.0),
}


def offset(name: str, shape):
    """(index, constant) added after filling, or None."""
    return SHAPE_OFFSETS.get((name, tuple(shape)), OFFSETS.get(name))


def tensor(name: str, shape, seed: int) -> np.ndarray:
    lo, span, _ = rule(name, shape)
    lo32, span32 = np.float32(lo), np.float32(span)
    u = uniforms(name, seed, int(np.prod(shape)) if len(shape) else 1)
    v = span32 * u          # float32 * float32 -> float32 (rounded)
    v = lo32 + v            # then float32 add (rounded): no FMA
    extra = offset(name, shape)
    if extra is not None:
        index, constant = extra
        v[index] = v[index] + np.float32(constant)
    assert v.dtype == np.float32
    return v.reshape(shape)


def state_dict(layout, seed: int):
    """OrderedDict name -> torch.Tensor (float32) for a [(name, shape)] layout."""
    import collections
    import torch
    sd = collections.OrderedDict()
    for name, shape in layout:
        sd[name] = torch.from_numpy(tensor(name, shape, seed))
    return sd
