"""The ideal int8 of each detector in PyTorch against the fp32 reference fixtures, with the scales of an mrcnn
calibration file: the figures Int8AccuracyTests holds mrcnn's int8 to (Tests/MaskRCNNTests/Fixtures/int8_ideal.json,
with `--write`).

Ideal int8 (what oneDNN's int8 convolutions compute on a CPU with VNNI or AMX): batch norm folded into the
convolutions (as mrcnn does), then every Conv2d, Linear and ConvTranspose2d the calibration names (mrcnn's int8
layers: not the decision layers; the stem when the calibration has it, as mrcnn's have since it runs int8; the box head's fc6/fc7 and the mask deconvolution conv5_mask too when
the calibration has them) gets
  - its weights quantized symmetric s8 per output channel: step = max|w| / 127, q = round-half-even(w / step)
    (ConvTranspose2d: per output channel and kernel position, as mrcnn's sub-pixel 1×1 convolution has them);
  - its input quantized per tensor with the calibration's step (threshold / 127 signed, / 255 unsigned):
    q = saturate(round-half-even(x * (1 / step))) into [-128, 127] or [0, 255] (oneDNN multiplies by the inverse);
products summed exactly (fp32 on the dequantized values), bias, residual and ReLU in fp32, and (int8_ideal.json, what
CPUs with VNNI and bf16 units compute) the ResNet block outputs and FPN top-down sums stored bf16 (`emulate_bf16_sums`;
--float-sums keeps them fp32). Everything else stays fp32.
With --no-dot-products: what CPUs without VNNI/AMX compute (7-bit weights, see emulate_int8). Draw k > 0 scales each input by (1 ± 2^-20) before quantizing (bf16_emulation.Draw): another fp32 summation order
upstream, which flips a few roundings - the spread an exact int8 computation has by chance.

Run: /usr/bin/python3 tools/reference/int8_emulation.py --calibration FILE --model maskrcnn_resnet50_fpn [--write]
"""
import argparse
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bf16_emulation  # noqa: E402
from bf16_emulation import FIXTURES, POOLS, TWINS, Draw, without_masks  # noqa: E402


def fp32(v):
    return torch.tensor(v, dtype=torch.float32)


def emulate_int8(model, calibration, draw, dot_products=True):
    quantized = 0
    # The dimensions a weight's step is the maximum over: all but the output channel (and, for a transposed
    # convolution [in, out, k, k], its kernel position).
    reduce = {torch.nn.Conv2d: (1, 2, 3), torch.nn.Linear: (1,), torch.nn.ConvTranspose2d: (0,)}
    for name, m in model.named_modules():
        if type(m) not in reduce or name not in calibration["inputs"]:
            continue
        c = calibration["inputs"][name]
        w = m.weight.detach()
        # Without int8 dot products (AVX2, AVX-512 without VNNI): 7-bit weights - quantized to 63 levels for u8
        # inputs (mrcnn's Int8Convolution.weightLevels), halved by oneDNN's reorder for s8 inputs.
        levels_w = 63.0 if not dot_products and not c["signed"] else 127.0
        step_w = w.abs().amax(dim=reduce[type(m)], keepdim=True) / fp32(levels_w)
        step_w = torch.where(step_w > 0, step_w, torch.ones_like(step_w))
        q = torch.round(w / step_w)
        if not dot_products and c["signed"]:
            q = torch.round(q * 0.5) * 2
        m.weight.copy_(q * step_w)
        levels = 127.0 if c["signed"] else 255.0
        step = fp32(max(c["threshold"], 1.1754944e-38)) / fp32(levels)
        inverse = fp32(1.0) / step
        lo, hi = (-128.0, 127.0) if c["signed"] else (0.0, 255.0)

        def hook(mod, inp, step=step, inverse=inverse, lo=lo, hi=hi):
            x = draw.perturb(inp[0])
            return (torch.clamp(torch.round(x * inverse), lo, hi) * step,) + tuple(inp[1:])
        m.register_forward_pre_hook(hook)
        quantized += 1
    missing = set(calibration["inputs"]) - {n for n, _ in model.named_modules()}
    if missing:
        raise SystemExit(f"calibration names layers this model lacks: {sorted(missing)[:3]}")
    return quantized


def emulate_bf16_sums(model):
    """What mrcnn's int8 stores on CPUs with bf16 units (`Int8Convolution.sumsInBF16`): every sum an int8 convolution
    writes with a float residual rounded to bf16 - each ResNet block's output relu(conv3 + shortcut), whose projection
    shortcut is rounded before the sum, and each FPN top-down sum lateral + upsampled(previous sum), whose upsampled
    (or, from the top level, unrounded) map is rounded before the sum."""
    import torchvision.models.resnet as resnet
    from torchvision.ops.feature_pyramid_network import FeaturePyramidNetwork
    rounded = 0
    for m in model.modules():
        if isinstance(m, resnet.Bottleneck):
            m.register_forward_hook(lambda mod, inp, out: bf16_emulation.bf16(out))
            if m.downsample is not None:
                m.downsample.register_forward_hook(lambda mod, inp, out: bf16_emulation.bf16(out))
            rounded += 1
        if isinstance(m, FeaturePyramidNetwork):
            def forward(x, fpn=m):
                names = list(x.keys())
                x = list(x.values())
                last_inner = fpn.get_result_from_inner_blocks(x[-1], -1)
                results = [fpn.get_result_from_layer_blocks(last_inner, -1)]
                for idx in range(len(x) - 2, -1, -1):
                    inner_lateral = fpn.get_result_from_inner_blocks(x[idx], idx)
                    top_down = torch.nn.functional.interpolate(last_inner, size=inner_lateral.shape[-2:], mode="nearest")
                    last_inner = bf16_emulation.bf16(inner_lateral + bf16_emulation.bf16(top_down))
                    results.insert(0, fpn.get_result_from_layer_blocks(last_inner, idx))
                if fpn.extra_blocks is not None:
                    results, names = fpn.extra_blocks(results, x, names)
                from collections import OrderedDict
                return OrderedDict(list(zip(names, results)))
            m.forward = forward
    return rounded


class PerturbingDraw(Draw):
    def perturb(self, x):
        if self.k == 0:
            return x
        sign = torch.randint(0, 2, x.shape, generator=self.generator).to(x.dtype) * 2 - 1
        return x * (1 + sign * 2.0 ** -20)


def ideal(kind, calibration, draws, dot_products=True, bf16_sums=False):
    def emulate(model, _):
        draw = PerturbingDraw()
        print(f"{kind}: {emulate_int8(model, calibration, draw, dot_products)} layers int8", flush=True)
        if bf16_sums:
            print(f"{kind}: {emulate_bf16_sums(model)} blocks and the FPN's sums stored bf16", flush=True)
        return draw
    result = bf16_emulation.ideal(kind, draws, emulate, label="int8")
    result["calibration"] = calibration["weights"]
    return result


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--calibration", required=True, help="an mrcnn calibration file of this model's seeded:0 weights")
    ap.add_argument("--model", nargs="+", choices=sorted(POOLS), default=["maskrcnn_resnet50_fpn"])
    ap.add_argument("--draws", type=int, default=3)
    ap.add_argument("--no-dot-products", action="store_true",
                    help="the int8 of CPUs without VNNI/AMX (7-bit weights): Fixtures/int8_ideal_7bit.json")
    ap.add_argument("--float-sums", action="store_true",
                    help="keep the residual and FPN sums fp32 (CPUs with VNNI but no bf16 units; int8_ideal.json has them bf16)")
    ap.add_argument("--write", action="store_true", help="update these models in Fixtures/int8_ideal.json")
    a = ap.parse_args()
    calibration = json.load(open(a.calibration))
    path = os.path.join(FIXTURES, "int8_ideal_7bit.json" if a.no_dot_products else "int8_ideal.json")
    table = json.load(open(path)) if os.path.exists(path) else {}
    for kind in a.model:
        twin = TWINS.get(kind)
        if twin in table and twin in a.model:
            table[kind] = without_masks(table[twin])
        else:
            table[kind] = ideal(kind, calibration, a.draws, not a.no_dot_products,
                                bf16_sums=not a.no_dot_products and not a.float_sums)
    if a.write:
        with open(path, "w") as f:
            json.dump(table, f, indent=1, sort_keys=True)
            f.write("\n")


if __name__ == "__main__":
    main()
