"""An ideal bf16 Mask R-CNN in PyTorch against the fp32 reference fixtures: the figures BF16AccuracyTests checks.

Every Conv2d, ConvTranspose2d and Linear gets its weight and its input rounded to bf16 (round to nearest even),
products accumulated in fp32; RoIAlign, NMS, box decoding, softmax/sigmoid and mask pasting stay fp32. Same seeded
weights (seed 0) and images as the parity fixtures; same metrics and matching as the Swift test: relative L2 of
the sampled FPN values, reference detections >= 0.5 found (same class, box IoU >= 0.9, greedy in reference
order), median mask IoU and worst score difference on the matched ones, per image and pooled.

  --fold   fold FrozenBatchNorm into the convolutions first and round the folded weights (what mrcnn and
           deployment runtimes do) instead of rounding the raw convolution weights
  --images STEM ...   fixture stems (default: the parity tests' six; with --model v2: its four v2_ fixtures)
  --model NAME        a torchvision builder name (default maskrcnn_resnet50_fpn; e.g. maskrcnn_resnet50_fpn_v2)
  --cut S             reference detections scoring >= S are matched (default 0.5; the Swift test uses 0.3 for v2)

Run: /usr/bin/python3 tools/reference/bf16_emulation.py [--fold] [--images ...]   (~1 min per image on 2 cores)
"""
import argparse
import json
import os
import sys

import torch
from torchvision.ops.misc import FrozenBatchNorm2d

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import seeded_weights  # noqa: E402
from make_maskrcnn_fixtures import ROOT, load_image  # noqa: E402
from reference_model import build, layout  # noqa: E402

STEMS = ["messi5", "fruits", "vtest_frame30", "messi5_jpg", "butterfly_jpg", "building_wide_jpg"]
V2_STEMS = ["v2_vtest_frame30", "v2_messi5_jpg", "v2_butterfly_jpg", "v2_building_wide_jpg"]
FPN = ["fpn.0", "fpn.1", "fpn.2", "fpn.3", "fpn.pool"]


def bf16(t):
    return t.to(torch.bfloat16).to(torch.float32)


def fold_batch_norms(model):
    """Each batch norm (frozen or eval BatchNorm2d) is folded into the convolution registered just before it (the
    conv → norm pairs of ResNet blocks, downsample branches and v2's Conv2dNormActivation), which then carries the
    scaled weights and the shift; the norm becomes the identity."""
    conv = None
    for _, m in model.named_modules():
        if isinstance(m, torch.nn.Conv2d):
            conv = m
        elif isinstance(m, (FrozenBatchNorm2d, torch.nn.BatchNorm2d)) and conv is not None:
            scale = m.weight * (m.running_var + m.eps).rsqrt()
            conv.weight.mul_(scale.reshape(-1, 1, 1, 1))
            shift = m.bias - m.running_mean * scale
            if conv.bias is not None:
                shift = shift + conv.bias * scale
                conv.bias.zero_()
            m.bias.copy_(shift)
            m.weight.fill_(1)
            m.running_mean.fill_(0)
            m.running_var.fill_(1 - m.eps)
            conv = None


def emulate_bf16(model):
    for m in model.modules():
        if isinstance(m, (torch.nn.Conv2d, torch.nn.ConvTranspose2d, torch.nn.Linear)):
            m.weight.copy_(bf16(m.weight))
            m.register_forward_pre_hook(lambda mod, inp: (bf16(inp[0]),) + tuple(inp[1:]))


def rle_mask(r):
    h, w = r["size"]
    flat = torch.zeros(h * w, dtype=torch.bool)
    pos, one = 0, False
    for c in r["counts"]:
        if one:
            flat[pos:pos + c] = True
        pos, one = pos + c, not one
    return flat.reshape(w, h).t()


def box_iou(a, b):
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--fold", action="store_true")
    ap.add_argument("--images", nargs="+")
    ap.add_argument("--model", default="maskrcnn_resnet50_fpn")
    ap.add_argument("--cut", type=float, default=0.5)
    a = ap.parse_args()
    a.images = a.images or (V2_STEMS if a.model.endswith("_v2") else STEMS)
    torch.set_num_threads(2)
    model = build(a.model)
    state_dict = model.state_dict()  # v2 keeps BatchNorm2d's num_batches_tracked, as the fixtures' model did
    state_dict.update(seeded_weights.state_dict(layout(model), 0))
    model.load_state_dict(state_dict)
    captured = {}
    model.backbone.register_forward_hook(lambda mod, inp, out: captured.update({f"fpn.{k}": v for k, v in out.items()}))
    with torch.no_grad():
        if a.fold:
            fold_batch_norms(model)
        emulate_bf16(model)
    wanted = found = 0
    ious, worst_score, worst_fpn = [], 0.0, 0.0
    for stem in a.images:
        ref = json.load(open(os.path.join(ROOT, "Tests", "MaskRCNNTests", "Fixtures", f"{stem}.json")))
        with torch.no_grad():
            out = model([load_image(os.path.basename(ref["image"]))])[0]
        for level in FPN:
            layer = ref["layers"][level]
            got = captured[level].reshape(-1)[torch.tensor(layer["index"])].double()
            want = torch.tensor(layer["value"], dtype=torch.float64)
            worst_fpn = max(worst_fpn, float((got - want).norm() / want.norm()))
        masks = out["masks"][:, 0] > 0.5 if "masks" in out else None
        used, s_wanted, s_ious = set(), 0, []
        for r in ref["detections"]:
            if r["score"] < a.cut:
                continue
            s_wanted += 1
            best, best_iou = -1, 0.0
            for i in range(len(out["scores"])):
                if int(out["labels"][i]) == r["label"] and i not in used:
                    iou = box_iou(out["boxes"][i].tolist(), r["box"])
                    if iou > best_iou:
                        best, best_iou = i, iou
            if best < 0 or best_iou < 0.9:
                continue
            used.add(best)
            if masks is None:
                s_ious.append(1.0)  # boxes-only model: counted as found
            else:
                ref_mask, mask = rle_mask(r["mask"]), masks[best]
                union = int((ref_mask | mask).sum())
                s_ious.append(int((ref_mask & mask).sum()) / union if union else 1.0)
            worst_score = max(worst_score, abs(float(out["scores"][best]) - r["score"]))
        s_ious.sort()
        med = f"{s_ious[len(s_ious) // 2]:.4f}" if s_ious else "-"
        print(f"  {stem}: found {len(s_ious)} of {s_wanted} reference detections >= {a.cut}; median mask IoU {med}", flush=True)
        wanted, found, ious = wanted + s_wanted, found + len(s_ious), ious + s_ious
    ious.sort()
    print(f"ideal bf16 {a.model} ({'folded' if a.fold else 'raw'} conv weights rounded): worst FPN rel-L2 {worst_fpn:.2e}; "
          f"found {found} of {wanted} ({100 * found / max(wanted, 1):.1f}%); "
          f"median mask IoU {ious[len(ious) // 2] if ious else 0:.4f}; worst score delta {worst_score:.4f}")


if __name__ == "__main__":
    main()
