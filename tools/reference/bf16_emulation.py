"""The ideal bf16 of each detector in PyTorch against the fp32 reference fixtures: the figures BF16AccuracyTests
holds mrcnn's real and emulated bf16 to (Tests/MaskRCNNTests/Fixtures/bf16_ideal.json, with `--write`).

Ideal bf16: batch norm folded into the convolutions (as mrcnn and deployment runtimes do), then every Conv2d,
ConvTranspose2d and Linear gets its weight and its input rounded to bf16 (round to nearest even), products
accumulated and outputs kept in fp32; RoIAlign, NMS, box decoding, softmax/sigmoid, mask pasting and keypoint
decoding stay fp32. Same seeded weights (seed 0) and images as the fixtures; the same matching as the Swift test:
reference detections scoring >= the pool's cut are matched greedily in reference order to the unused detection
of the same class with the best box IoU, found when that IoU >= 0.9. Figures per image and pooled: found / wanted,
median mask IoU of the matched, worst score difference, worst relative L2 of the sampled FPN values; Keypoint
R-CNN: the share of matched people whose visible keypoints (reference heatmap score > 2, the keypoint stage's
default) all lie within 1 px of the reference's, and the share of those visible keypoints within 1 px.

Pools (>= 150 reference detections per model; Faster R-CNN v1/v2 use the Mask R-CNN v1/v2 fixtures without the
masks: same seeded tensors, same detections, make_bf16_fixtures.py --check-faster):
  maskrcnn_resnet50_fpn / fasterrcnn_resnet50_fpn          cut 0.5: the six parity fixtures + bf16_<stem>
  maskrcnn_resnet50_fpn_v2 / fasterrcnn_resnet50_fpn_v2    cut 0.3: the four v2_ fixtures + bf16_v2_<stem>
  keypointrcnn_resnet50_fpn                                 cut 0.05: the three kp_ fixtures + bf16_kp_<video frame>
                                                            (eight frames, 257 people)

Run: /usr/bin/python3 tools/reference/bf16_emulation.py [--model NAME ...] [--write]   (~1 min per image, 2 cores)
"""
import argparse
import json
import os
import sys

import torch
from torchvision.ops.misc import FrozenBatchNorm2d

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import seeded_weights  # noqa: E402
from make_bf16_fixtures import IMAGES as EXTRA, KEYPOINT_IMAGES  # noqa: E402
from make_maskrcnn_fixtures import ROOT, fixture_stem, load_image  # noqa: E402
from reference_model import build, layout  # noqa: E402

FIXTURES = os.path.join(ROOT, "Tests", "MaskRCNNTests", "Fixtures")
V1 = ["messi5", "fruits", "vtest_frame30", "messi5_jpg", "butterfly_jpg", "building_wide_jpg"] + \
     [f"bf16_{fixture_stem(n)}" for n in EXTRA]
V2 = ["v2_vtest_frame30", "v2_messi5_jpg", "v2_butterfly_jpg", "v2_building_wide_jpg"] + \
     [f"bf16_v2_{fixture_stem(n)}" for n in EXTRA]
POOLS = {"maskrcnn_resnet50_fpn": (V1, 0.5), "fasterrcnn_resnet50_fpn": (V1, 0.5),
         "maskrcnn_resnet50_fpn_v2": (V2, 0.3), "fasterrcnn_resnet50_fpn_v2": (V2, 0.3),
         "keypointrcnn_resnet50_fpn": (["kp_messi5", "kp_vtest_frame30", "kp_messi5_jpg"] +
                                       [f"bf16_kp_{fixture_stem(n)}" for n in KEYPOINT_IMAGES], 0.05)}
# A Faster R-CNN's ideal is its Mask R-CNN twin's without the mask figures (same seeded tensors, same boxes).
TWINS = {"fasterrcnn_resnet50_fpn": "maskrcnn_resnet50_fpn", "fasterrcnn_resnet50_fpn_v2": "maskrcnn_resnet50_fpn_v2"}
FPN = ["fpn.0", "fpn.1", "fpn.2", "fpn.3", "fpn.pool"]
VISIBLE = 2.0


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


class Draw:
    """Which draw of the ideal runs: 0 rounds each layer input as it is; draw k > 0 first scales every input value by
    (1 ± 2^-20), signs from a generator seeded with k at each image — what another exact-fp32 summation order does to
    the fp32 values just before they are rounded (they differ by ~1e-7..1e-6 relative), so a few roundings flip."""
    def __init__(self):
        self.k, self.generator = 0, torch.Generator()

    def start(self, k):
        self.k = k
        self.generator.manual_seed(k)

    def round(self, x):
        if self.k == 0:
            return bf16(x)
        sign = torch.randint(0, 2, x.shape, generator=self.generator).to(x.dtype) * 2 - 1
        return bf16(x * (1 + sign * 2.0 ** -20))


def emulate_bf16(model, draw):
    for m in model.modules():
        if isinstance(m, (torch.nn.Conv2d, torch.nn.ConvTranspose2d, torch.nn.Linear)):
            m.weight.copy_(bf16(m.weight))
            m.register_forward_pre_hook(lambda mod, inp: (draw.round(inp[0]),) + tuple(inp[1:]))


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


def median(values):
    s = sorted(values)
    return s[len(s) // 2] if s else None


def measure(ref, out, captured, cut):
    """The figures of one image: found/wanted, mask IoUs, keypoint hits, worst score Δ and FPN rel-L2."""
    fpn = 0.0
    for level in FPN:
        layer = ref["layers"][level]
        got = captured[level].reshape(-1)[torch.tensor(layer["index"])].double()
        want = torch.tensor(layer["value"], dtype=torch.float64)
        fpn = max(fpn, float((got - want).norm() / want.norm()))
    masks = out["masks"][:, 0] > 0.5 if "masks" in out else None
    used, wanted, found, ious, keypoint_hits, worst = set(), 0, 0, [], [], 0.0
    for r in ref["detections"]:
        if r["score"] < cut:
            continue
        wanted += 1
        best, best_iou = -1, 0.0
        for i in range(len(out["scores"])):
            if int(out["labels"][i]) == r["label"] and i not in used:
                iou = box_iou(out["boxes"][i].tolist(), r["box"])
                if iou > best_iou:
                    best, best_iou = i, iou
        if best < 0 or best_iou < 0.9:
            continue
        used.add(best)
        found += 1
        if masks is not None and "mask" in r:
            ref_mask, mask = rle_mask(r["mask"]), masks[best]
            union = int((ref_mask | mask).sum())
            ious.append(int((ref_mask & mask).sum()) / union if union else 1.0)
        if "keypoints" in r:
            kp = out["keypoints"][best]
            keypoint_hits.append([float((kp[k, :2] - torch.tensor(r["keypoints"][k][:2])).norm()) <= 1.0
                                  for k in range(len(r["keypoints"])) if r["keypoint_scores"][k] > VISIBLE])
        worst = max(worst, abs(float(out["scores"][best]) - r["score"]))
    return {"wanted": wanted, "found": found, "mask_ious": ious, "keypoint_hits": keypoint_hits,
            "worst_score_delta": worst, "worst_fpn_rel_l2": fpn}


def summary(f):
    s = {"wanted": f["wanted"], "found": f["found"], "worst_score_delta": round(f["worst_score_delta"], 5),
         "worst_fpn_rel_l2": float(f"{f['worst_fpn_rel_l2']:.3g}")}
    if f["mask_ious"]:
        s["median_mask_iou"] = round(median(f["mask_ious"]), 5)
    if f["keypoint_hits"]:
        people, points = f["keypoint_hits"], [h for person in f["keypoint_hits"] for h in person]
        s["people_within_1px"] = round(sum(all(p) for p in people) / len(people), 5)
        s["keypoints_within_1px"] = round(sum(points) / max(len(points), 1), 5)
    return s


def ideal(kind, draws, emulate=None, label="bf16"):
    """The figures of `kind`'s ideal over `draws` draws; `emulate(model, draw)` makes the folded model the ideal
    (default: bf16, `emulate_bf16`) and may return a draw of its own kind (a `Draw` subclass)."""
    stems, cut = POOLS[kind]
    torch.set_num_threads(2)
    model = build(kind)
    state_dict = model.state_dict()  # v2 keeps BatchNorm2d's num_batches_tracked, as the fixtures' model did
    state_dict.update(seeded_weights.state_dict(layout(model), 0))
    model.load_state_dict(state_dict)
    captured = {}
    model.backbone.register_forward_hook(lambda mod, inp, out: captured.update({f"fpn.{k}": v for k, v in out.items()}))
    draw = Draw()
    with torch.no_grad():
        fold_batch_norms(model)
        draw = (emulate or emulate_bf16)(model, draw) or draw
    refs = {stem: json.load(open(os.path.join(FIXTURES, f"{stem}.json"))) for stem in stems}
    result = {"cut": cut, "fixtures": stems, "draws": []}
    for k in range(draws):
        pooled = {"wanted": 0, "found": 0, "mask_ious": [], "keypoint_hits": [], "worst_score_delta": 0.0,
                  "worst_fpn_rel_l2": 0.0}
        images = {}
        for stem in stems:
            draw.start(k)
            with torch.no_grad():
                out = model([load_image(os.path.basename(refs[stem]["image"]))])[0]
            f = measure(refs[stem], out, captured, cut)
            images[stem] = summary(f)
            print(f"  {kind} draw {k} {stem}: {json.dumps(images[stem])}", flush=True)
            for key in ("wanted", "found", "mask_ious", "keypoint_hits"):
                pooled[key] += f[key]
            for key in ("worst_score_delta", "worst_fpn_rel_l2"):
                pooled[key] = max(pooled[key], f[key])
        result["draws"].append({"pooled": summary(pooled), "images": images})
        print(f"ideal {label} {kind} draw {k}: {json.dumps(result['draws'][-1]['pooled'])}", flush=True)
    return result


def without_masks(result):
    def strip(figures):
        return {k: v for k, v in figures.items() if k != "median_mask_iou"}
    return {**result, "draws": [{"pooled": strip(d["pooled"]), "images": {s: strip(f) for s, f in d["images"].items()}}
                                for d in result["draws"]]}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", nargs="+", choices=sorted(POOLS),
                    default=["maskrcnn_resnet50_fpn", "fasterrcnn_resnet50_fpn", "maskrcnn_resnet50_fpn_v2",
                             "fasterrcnn_resnet50_fpn_v2", "keypointrcnn_resnet50_fpn"])
    ap.add_argument("--draws", type=int, default=4, help="draws of the ideal per model (see Draw)")
    ap.add_argument("--write", action="store_true", help="update these models in Fixtures/bf16_ideal.json")
    a = ap.parse_args()
    path = os.path.join(FIXTURES, "bf16_ideal.json")
    table = json.load(open(path)) if os.path.exists(path) else {}
    for kind in a.model:
        twin = TWINS.get(kind)
        if twin in table and twin in a.model:
            table[kind] = without_masks(table[twin])   # the same boxes: the mask branch changes none of them
        else:
            table[kind] = ideal(kind, a.draws)
    if a.write:
        with open(path, "w") as f:
            json.dump(table, f, indent=1, sort_keys=True)
            f.write("\n")


if __name__ == "__main__":
    main()
