#!/usr/bin/python3
"""Reference outputs of the individual tensor ops mrcnn implements, computed by PyTorch/torchvision's own kernels.

Run with Debian's /usr/bin/python3 (python3-torchvision). Writes Tests/TensorTests/Fixtures/ops.json and
Tests/MaskRCNNTests/Fixtures/roi_ops.json (small: a few KB each)."""
import json, os
import torch
import torch.nn.functional as F
import torchvision

torch.manual_seed(0)
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def t(x):
    return {"shape": list(x.shape), "data": [float(v) for v in x.detach().reshape(-1).tolist()]}


def conv_case(n, cin, cout, h, w, k, s, p, relu, residual):
    x = torch.randn(n, cin, h, w)
    wt = torch.randn(cout, cin, k, k) * 0.3
    b = torch.randn(cout)
    y = F.conv2d(x, wt, b, stride=s, padding=p)
    r = torch.randn_like(y) if residual else None
    if r is not None:
        y = y + r
    if relu:
        y = F.relu(y)
    return {"x": t(x), "weight": t(wt), "bias": t(b), "stride": s, "padding": p, "relu": relu,
            "residual": t(r) if r is not None else None, "y": t(y)}


def main():
    ops = {}
    ops["conv"] = [
        conv_case(1, 3, 4, 9, 11, 7, 2, 3, True, False),
        conv_case(2, 5, 6, 8, 7, 3, 1, 1, False, True),
        conv_case(1, 4, 8, 10, 10, 3, 2, 1, True, False),
        conv_case(1, 6, 3, 5, 6, 1, 1, 0, False, False),
    ]
    x = torch.randn(2, 3, 4, 5)
    wt = torch.randn(3, 4, 2, 2)
    b = torch.randn(4)
    ops["deconv"] = [{"x": t(x), "weight": t(wt), "bias": t(b), "stride": 2, "padding": 0,
                      "y": t(F.conv_transpose2d(x, wt, b, stride=2))}]
    x = torch.randn(1, 3, 5, 6)
    wt = torch.randn(3, 2, 4, 4)
    b = torch.randn(2)
    ops["deconv"].append({"x": t(x), "weight": t(wt), "bias": t(b), "stride": 2, "padding": 1,
                          "y": t(F.conv_transpose2d(x, wt, b, stride=2, padding=1))})
    x = torch.randn(3, 7)
    wt = torch.randn(5, 7)
    b = torch.randn(5)
    ops["linear"] = [{"x": t(x), "weight": t(wt), "bias": t(b), "y": t(F.linear(x, wt, b))}]
    x = torch.randn(1, 2, 9, 7)
    ops["maxpool"] = [{"x": t(x), "kernel": 3, "stride": 2, "padding": 1, "y": t(F.max_pool2d(x, 3, 2, 1))},
                      {"x": t(x), "kernel": 1, "stride": 2, "padding": 0, "y": t(F.max_pool2d(x, 1, 2, 0))}]
    x = torch.randn(1, 2, 3, 4)
    ops["nearest"] = [{"x": t(x), "h": 6, "w": 8, "y": t(F.interpolate(x, size=(6, 8), mode="nearest"))},
                      {"x": t(x), "h": 5, "w": 9, "y": t(F.interpolate(x, size=(5, 9), mode="nearest"))}]
    x = torch.randn(1, 3, 13, 17)
    ops["bilinear"] = []
    for scale in [800 / 333, 1.7, 0.61]:
        y = F.interpolate(x, scale_factor=scale, mode="bilinear", recompute_scale_factor=True, align_corners=False)
        ops["bilinear"].append({"x": t(x), "h": y.shape[2], "w": y.shape[3], "y": t(y)})
    y = F.interpolate(x, size=(31, 5), mode="bilinear", align_corners=False)
    ops["bilinear"].append({"x": t(x), "h": 31, "w": 5, "y": t(y)})
    with open(os.path.join(ROOT, "Tests/TensorTests/Fixtures/ops.json"), "w") as f:
        json.dump(ops, f)

    # RoIAlign (aligned=False, sampling 2) on one level, boxes crossing borders, tiny and large.
    feat = torch.randn(1, 3, 12, 16)
    boxes = torch.tensor([[0.0, 0.0, 20.0, 30.0], [-10.0, 5.5, 40.3, 47.9], [60.2, 40.1, 63.0, 47.5],
                          [3.3, 3.3, 3.4, 3.4], [50.0, 30.0, 90.0, 70.0]])
    roi = torchvision.ops.roi_align(feat, [boxes], output_size=7, spatial_scale=0.25, sampling_ratio=2, aligned=False)
    nms_boxes = torch.rand(60, 2) * 50
    nms_boxes = torch.cat([nms_boxes, nms_boxes + torch.rand(60, 2) * 30 + 1], dim=1)
    nms_scores = torch.rand(60)
    groups = torch.randint(0, 3, (60,))
    roi_ops = {"roi_align": {"feature": t(feat), "boxes": t(boxes), "scale": 0.25, "output": 7, "y": t(roi)},
               "nms": {"boxes": t(nms_boxes), "scores": t(nms_scores), "groups": groups.tolist(),
                       "keep_nms": torchvision.ops.nms(nms_boxes, nms_scores, 0.5).tolist(),
                       "keep_batched": torchvision.ops.batched_nms(nms_boxes, nms_scores, groups, 0.5).tolist()}}
    with open(os.path.join(ROOT, "Tests/MaskRCNNTests/Fixtures/roi_ops.json"), "w") as f:
        json.dump(roi_ops, f)
    print("wrote ops.json and roi_ops.json")


if __name__ == "__main__":
    main()
