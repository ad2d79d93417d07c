"""OpenVINO int8 (NNCF post-training quantization) against the fp32 reference fixtures, with the figures of the ideal
int8 (bf16_emulation.measure/summary: reference detections >= the pool's cut found at box IoU >= 0.9, median mask IoU,
worst score delta, worst FPN rel-L2): what issue 25 asks mrcnn's int8 to beat. Writes
Tests/MaskRCNNTests/Fixtures/int8_openvino.json with `--write` (no test reads it; the figures are for the README).

The model is bf16_emulation.ideal's (torchvision's architecture, seeded:0 weights, batch norm folded) with three
components swapped for OpenVINO models converted from it (ov.convert_model, dynamic shapes):
  backbone     ResNet-50 body + FPN: padded image [1, 3, H, W] -> the five FPN levels
  box_head     TwoMLPHead, fc6 + ReLU + fc7 + ReLU: pooled RoIs [N, 256, 7, 7] -> [N, 1024]
  mask_head    the 4 conv + ReLU and conv5_mask (deconvolution) + ReLU: [N, 256, 14, 14] -> [N, 256, 28, 28]
the layers mrcnn runs int8, less its RPN conv (rpn.head.conv.0.0): the RPN head, the box predictor, the mask logits
(mask_fcn_logits), RoIAlign, NMS, box decoding and pasting stay torch fp32. Each component is quantized by
nncf.quantize with its defaults (preset PERFORMANCE: symmetric per-channel s8 weights, symmetric per-tensor
activations; fast bias correction; every Convolution/MatMul of the graph - in the backbone that includes the stem,
which mrcnn kept fp32 then) on the calibration frames of mrcnn's committed calibration (Fixtures/
int8_calibration_maskrcnn.json, `mrcnn calibrate samples/vtest.mp4 samples/images --frames 24` at commit d4494d2):
the backbone on the padded images, the box head on the pooled RoIs of each frame's 1000 proposals, the mask head on
those of its detections, all from the fp32 model. The script recomputes the picks as CalibrationJob does, decodes
the video frames with FFmpeg's swscale flags of mrcnn's FrameConverter and checks them: max |input| of each of the
calibration's 68 layers on these frames against the file's min/max thresholds.

Images as bf16_emulation loads them (PIL), resized by torchvision 0.14's rule (resize_as_torchvision_0_14; PyPI's
torchvision resizes two of the pool's images one pixel differently, which alone moved their FPN by 3-6 %).

Variants (each one run over the pool, one draw: OpenVINO is deterministic):
  ov_f32           the converted models, INFERENCE_PRECISION_HINT f32: the plumbing check (near the reference)
  ov_int8          NNCF int8, the layers NNCF leaves unquantized in f32 (hint f32): int8 alone, as the ideal
  ov_int8_default  NNCF int8 with OpenVINO's default hint (bf16 on CPUs with AVX512-BF16 or AMX): what a user gets
  ov_int8_fp32_stem  ov_int8 with the stem convolution in NNCF's ignored scope (mrcnn kept the stem fp32 then)
Faster R-CNN v1: the same boxes as the Mask R-CNN's (same seeded tensors, same backbone and box head), so its figures
are the Mask R-CNN's without the mask IoU.

Run (peers venv: torch 2.x, PyPI torchvision, openvino, nncf; ~6 min on 2 Zen 4 cores, ~2 min a variant after calibrating):
  ~/.cache/mrcnn-peers/venv/bin/python tools/reference/openvino_int8_figures.py [--variants ...] [--write]
"""
import argparse
import collections
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "bench"))
import tv_ops  # noqa: E402  (before torchvision: PyPI torchvision's compiled ops do not load on a CPU torch)

tv_ops.install()
import numpy as np  # noqa: E402
import torch  # noqa: E402
from PIL import Image  # noqa: E402
from torchvision.models.detection import transform  # noqa: E402
from torchvision.transforms import functional as TF  # noqa: E402

sys.path.insert(0, HERE)
import bf16_emulation  # noqa: E402
from bf16_emulation import FIXTURES, without_masks  # noqa: E402
from make_maskrcnn_fixtures import ROOT, image_path, pil_rgb  # noqa: E402

CALIBRATION = os.path.join(FIXTURES, "int8_calibration_maskrcnn.json")
# `mrcnn calibrate samples/vtest.mp4 samples/images --frames 24` (Int8AccuracyTests' doc comment), when
# samples/images held these files (commit d4494d2; vtest_frame10/40/60/80 came later), listed as InputList does.
VIDEO = "samples/vtest.mp4"
IMAGES = ["aero1.jpg", "building_wide.jpg", "butterfly.jpg", "fruits.png", "messi5.jpg", "messi5.png",
          "vtest_frame20.jpg", "vtest_frame30.png", "vtest_frame50.jpg", "vtest_frame70.jpg", "vtest_frame90.jpg"]
FRAMES = 24
SWS_FLAGS = "bilinear+accurate_rnd+full_chroma_int"   # Sources/VideoIO/FrameConverter.swift exactScaleFlags
# variant: (int8, inference precision hint, the stem left unquantized)
VARIANTS = {"ov_f32": (False, "f32", False), "ov_int8": (True, "f32", False), "ov_int8_default": (True, None, False),
            "ov_int8_fp32_stem": (True, "f32", True)}
STEM = "__module.backbone.body.conv1/aten::_convolution/Convolution"   # ov.convert_model's name of the stem


def load_image(name):
    """bf16_emulation's images, PNGs through PIL (lossless: the same bytes as read_image, whose PyPI build
    does not load here)."""
    return TF.to_tensor(pil_rgb(name))


def resize_as_torchvision_0_14(image, self_min_size, self_max_size, target=None, fixed_size=None):
    """GeneralizedRCNNTransform's resize as Debian's torchvision 0.14 (the fixtures') computes it: the scale from a
    float32 reciprocal of the side times the size (README.md, "Resized size"). PyPI's torchvision computes it in
    float64 and resizes butterfly.jpg to 800x1107 and building_wide.jpg to 737x1333 (0.14: 799x1107, 737x1332)."""
    assert target is None and fixed_size is None
    h, w = image.shape[-2:]
    one = np.float32(1)
    scale = min((one / np.float32(min(h, w))) * np.float32(self_min_size),
                (one / np.float32(max(h, w))) * np.float32(self_max_size))
    return torch.nn.functional.interpolate(image[None], scale_factor=float(scale), mode="bilinear",
                                           recompute_scale_factor=True, align_corners=False)[0], target


def calibration_frames():
    """The 24 frames CalibrationJob picked: (i + 0.5) * total / 24 over every frame of the inputs in order."""
    probe = dict(line.split("=", 1) for line in subprocess.check_output(
        ["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries", "stream=nb_frames,width,height",
         "-of", "default=nw=1", os.path.join(ROOT, VIDEO)]).decode().split())
    count, w, h = int(probe["nb_frames"]), int(probe["width"]), int(probe["height"])
    total = count + len(IMAGES)
    picks = sorted({int((i + 0.5) * total / FRAMES) for i in range(FRAMES)})
    video = [p for p in picks if p < count]
    select = "+".join(f"eq(n\\,{p})" for p in video)
    raw = subprocess.check_output(["ffmpeg", "-v", "error", "-i", os.path.join(ROOT, VIDEO), "-vf",
                                   f"select={select},scale=flags={SWS_FLAGS},format=rgb24", "-vsync", "0",
                                   "-f", "rawvideo", "-"])
    frames = np.frombuffer(raw, np.uint8).reshape(-1, h, w, 3)
    assert len(frames) == len(video), (len(frames), video)
    out = [(f"{VIDEO} frame {p}", torch.from_numpy(f.copy()).permute(2, 0, 1).float() / 255)
           for p, f in zip(video, frames)]
    for p in picks:
        if p >= count:
            name = IMAGES[p - count]
            img = Image.open(image_path(name)).convert("RGB") if name.endswith(".png") else pil_rgb(name)
            out.append((name, TF.to_tensor(img)))
    return out


class Calibration:
    """The components' calibration inputs from the folded fp32 model on the calibration frames, and the check that
    these are mrcnn's frames (max |input| of each calibrated layer against the file's min/max threshold)."""
    def __init__(self, model, calibration):
        self.backbone, self.box, self.mask = [], [], []
        peaks = collections.defaultdict(float)
        modules = dict(model.named_modules())
        hooks = [modules[n].register_forward_pre_hook(
            lambda m, inp, n=n: peaks.__setitem__(n, max(peaks[n], float(inp[0].abs().max()))))
            for n in calibration["inputs"]]
        rh = model.roi_heads
        hooks.append(model.backbone.register_forward_pre_hook(lambda m, inp: self.backbone.append(inp[0].numpy().copy())))
        hooks.append(rh.box_head.register_forward_pre_hook(lambda m, inp: self.box.append(inp[0].numpy().copy())))
        hooks.append(rh.mask_head.register_forward_pre_hook(
            lambda m, inp: self.mask.append(inp[0].numpy().copy()) if inp[0].shape[0] else None))
        frames = calibration_frames()
        with torch.no_grad():
            for k, (source, x) in enumerate(frames):
                out = model([x])[0]
                print(f"calibration frame {k + 1}/{len(frames)} {source}: {tuple(x.shape[1:])}, "
                      f"{len(out['scores'])} detections", flush=True)
        for h in hooks:
            h.remove()
        rel = {n: abs(peaks[n] - c["threshold"]) / c["threshold"] for n, c in calibration["inputs"].items()}
        worst = sorted(rel, key=rel.get)[-3:]
        self.check = {"frames": [s for s, _ in frames], "layers": len(rel), "worst_threshold_rel_diff":
                      {n: float(f"{rel[n]:.3g}") for n in reversed(worst)},
                      "median_threshold_rel_diff": float(f"{float(np.median(list(rel.values()))):.3g}")}
        print(f"calibration check: {json.dumps(self.check)}", flush=True)


class Components:
    """The three components as OpenVINO models (f32 and NNCF int8), converted once from the first model."""
    def __init__(self, model, calibration):
        import nncf
        import openvino as ov
        self.ov, self.nncf = ov, nncf
        rh = model.roi_heads
        backbone = _Tuple(model.backbone)
        box_head = rh.box_head
        mask_head = torch.nn.Sequential(rh.mask_head, rh.mask_predictor.conv5_mask, rh.mask_predictor.relu)
        data = Calibration(model, calibration)
        self.check = data.check
        self.f32, self.items, self.int8 = {}, {}, {}
        for name, module, example, shape, items in [
                ("backbone", backbone, data.backbone[0], [1, 3, -1, -1], data.backbone),
                ("box_head", box_head, data.box[0], [-1, 256, 7, 7], data.box),
                ("mask_head", mask_head, data.mask[0], [-1, 256, 14, 14], data.mask)]:
            with torch.no_grad():
                converted = ov.convert_model(module, example_input=torch.from_numpy(example),
                                             input=[ov.PartialShape(shape)])
            self.f32[name], self.items[name] = converted, items

    def quantized(self, name, fp32_stem):
        """nncf.quantize with its defaults (fp32_stem: the stem convolution in its ignored scope)."""
        key = (name, fp32_stem and name == "backbone")
        if key not in self.int8:
            items = self.items[name]
            print(f"{name}: quantizing on {len(items)} items{' (stem ignored)' if key[1] else ''}", flush=True)
            ignored = self.nncf.IgnoredScope(names=[STEM]) if key[1] else None
            self.int8[key] = self.nncf.quantize(self.f32[name].clone(), self.nncf.Dataset(items),
                                                subset_size=len(items), ignored_scope=ignored)
            fq = sum(op.get_type_name() == "FakeQuantize" for op in self.int8[key].get_ops())
            print(f"{name}: {fq} FakeQuantize nodes", flush=True)
        return self.int8[key]

    def compiled(self, int8, hint, fp32_stem=False):
        core = self.ov.Core()
        config = {"INFERENCE_NUM_THREADS": 2, "NUM_STREAMS": 1, "PERFORMANCE_HINT": "LATENCY"}
        if hint:
            config["INFERENCE_PRECISION_HINT"] = hint
        models = {n: self.quantized(n, fp32_stem) for n in self.f32} if int8 else self.f32
        out = {n: core.compile_model(m, "CPU", config) for n, m in models.items()}
        info = {n: str(c.get_property("INFERENCE_PRECISION_HINT")) for n, c in out.items()}
        return out, info


class _Tuple(torch.nn.Module):
    def __init__(self, backbone):
        super().__init__()
        self.backbone = backbone

    def forward(self, x):
        return tuple(self.backbone(x).values())


def runner(compiled):
    request = compiled.create_infer_request()

    def run(x):
        out = request.infer({0: x.contiguous().numpy()})
        return [torch.from_numpy(np.array(out[o])) for o in compiled.outputs]   # copies: the request reuses buffers
    return run


def swap(model, compiled):
    """The model's backbone, box head and mask head (with conv5_mask + ReLU) run on `compiled`'s models; the
    modules stay in place so bf16_emulation's FPN capture hook still fires."""
    rh = model.roi_heads
    backbone, box, mask = (runner(compiled[n]) for n in ("backbone", "box_head", "mask_head"))
    model.backbone.forward = lambda x: collections.OrderedDict(zip(["0", "1", "2", "3", "pool"], backbone(x)))
    rh.box_head.forward = lambda x: box(x)[0] if x.shape[0] else x.new_zeros((0, 1024))
    rh.mask_head.forward = lambda x: mask(x)[0] if x.shape[0] else x.new_zeros((0, 256, 28, 28))
    rh.mask_predictor.forward = lambda x: rh.mask_predictor.mask_fcn_logits(x)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--variants", nargs="+", choices=sorted(VARIANTS), default=list(VARIANTS))
    ap.add_argument("--write", action="store_true", help="update these variants in Fixtures/int8_openvino.json")
    a = ap.parse_args()
    import nncf
    import openvino as ov
    bf16_emulation.load_image = load_image
    transform._resize_image_and_masks = resize_as_torchvision_0_14
    calibration = json.load(open(CALIBRATION))
    state = {}
    path = os.path.join(FIXTURES, "int8_openvino.json")
    table = json.load(open(path)) if a.write and os.path.exists(path) else {"variants": {}}
    table.update({"openvino": ov.__version__, "nncf": nncf.__version__, "torch": torch.__version__,
                  "calibration": {k: calibration[k] for k in ("weights", "model", "frames", "shortSide")}})
    for variant in a.variants:
        int8, hint, fp32_stem = VARIANTS[variant]

        def emulate(model, _):
            if "components" not in state:
                state["components"] = Components(model, calibration)
                table["calibration"]["check"] = state["components"].check
            compiled, info = state["components"].compiled(int8, hint, fp32_stem)
            print(f"{variant}: inference precision {info}", flush=True)
            table["variants"][variant] = {"inference_precision": info}
            swap(model, compiled)
        result = bf16_emulation.ideal("maskrcnn_resnet50_fpn", 1, emulate, label=variant)
        table["variants"][variant]["maskrcnn_resnet50_fpn"] = result
        table["variants"][variant]["fasterrcnn_resnet50_fpn"] = without_masks(result)
        if a.write:   # after each variant: a later one failing keeps the earlier figures
            with open(path, "w") as f:
                json.dump(table, f, indent=1, sort_keys=True)
                f.write("\n")


if __name__ == "__main__":
    main()
