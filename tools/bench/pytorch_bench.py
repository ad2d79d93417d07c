"""PyTorch side of `mrcnn bench`: torchvision's Mask R-CNN R50-FPN, per-component ms/frame and end-to-end frames/s.

The model is built exactly as the official COCO checkpoint's architecture (tools/reference/reference_model.py:
FrozenBatchNorm2d, eps 0) and loaded with the project's seeded weights (tools/reference/seeded_weights.py), the
same tensors `mrcnn bench --weights seeded:0` uses, so both sides see the same detection counts and hence the
same RoI-head workload. Frames come from `ffmpeg ... -pix_fmt rgb24`, one warm-up frame then --frames timed.

The forward pass is GeneralizedRCNN.forward / RoIHeads.forward (eval) written out stage by stage, timed with
the component names of the Swift bench:
  transform        uint8 HWC -> float CHW /255, then model.transform (normalize, resize, batch/pad)
  backbone+fpn     model.backbone
  rpn              model.rpn
  box roi-align    roi_heads.box_roi_pool
  box head         roi_heads.box_head + box_predictor
  box postprocess  roi_heads.postprocess_detections
  mask roi-align   roi_heads.mask_roi_pool
  mask head        roi_heads.mask_head + mask_predictor
  mask paste       maskrcnn_inference (select class, sigmoid) + model.transform.postprocess (rescale boxes,
                   paste masks into the original image)
The warm-up frame also runs model(...) as is and checks the staged pass gives the same detections.

Works with any torch/torchvision; if torchvision's compiled ops cannot load (PyPI's torchvision wheel needs CUDA
libraries), tv_ops.py provides pure-PyTorch nms and roi_align, and the output says so.
"""
import argparse
import os
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "tools", "reference"))

import numpy as np  # noqa: E402
import torch  # noqa: E402

import tv_ops  # noqa: E402

COMPONENTS = ["transform", "backbone+fpn", "rpn", "box roi-align", "box head", "box postprocess",
              "mask roi-align", "mask head", "mask paste"]


def read_frames(path, count):
    probe = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
                            "stream=width,height", "-of", "csv=p=0:s=x", path],
                           check=True, capture_output=True, text=True).stdout.strip().splitlines()[0]
    w, h = (int(v) for v in probe.split("x"))
    raw = bytearray(subprocess.run(["ffmpeg", "-v", "error", "-i", path, "-frames:v", str(count), "-f", "rawvideo",
                          "-pix_fmt", "rgb24", "-"], check=True, capture_output=True).stdout)
    n = len(raw) // (w * h * 3)
    return [np.frombuffer(raw, dtype=np.uint8, count=w * h * 3, offset=i * w * h * 3).reshape(h, w, 3)
            for i in range(n)], w, h


class Timer:
    def __init__(self):
        self.ms = {c: 0.0 for c in COMPONENTS}

    def __call__(self, name, fn, *args):
        t0 = time.perf_counter()
        out = fn(*args)
        self.ms[name] += (time.perf_counter() - t0) * 1000
        return out


def staged(model, frame, timer):
    from torchvision.models.detection.roi_heads import maskrcnn_inference
    rh = model.roi_heads

    def transform(f):
        x = torch.from_numpy(f).permute(2, 0, 1).float().div_(255)
        return model.transform([x])[0], [(f.shape[0], f.shape[1])]

    images, original_sizes = timer("transform", transform, frame)
    features = timer("backbone+fpn", model.backbone, images.tensors)
    proposals, _ = timer("rpn", model.rpn, images, features)
    shapes = images.image_sizes
    pooled = timer("box roi-align", rh.box_roi_pool, features, proposals, shapes)
    logits, deltas = timer("box head", lambda p: rh.box_predictor(rh.box_head(p)), pooled)
    boxes, scores, labels = timer("box postprocess", rh.postprocess_detections, logits, deltas, proposals, shapes)
    if rh.mask_roi_pool is None:  # Faster R-CNN: boxes only
        result = [{"boxes": b, "labels": lab, "scores": s} for b, lab, s in zip(boxes, labels, scores)]
        return timer("mask paste", model.transform.postprocess, result, shapes, original_sizes)[0]
    pooled = timer("mask roi-align", rh.mask_roi_pool, features, boxes, shapes)
    mask_logits = timer("mask head", lambda p: rh.mask_predictor(rh.mask_head(p)), pooled)

    def paste(ml):
        probs = maskrcnn_inference(ml, labels)
        result = [{"boxes": b, "labels": lab, "scores": s, "masks": m}
                  for b, lab, s, m in zip(boxes, labels, scores, probs)]
        return model.transform.postprocess(result, shapes, original_sizes)

    return timer("mask paste", paste, mask_logits)[0]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--input", default=os.path.join(ROOT, "samples", "vtest.mp4"))
    ap.add_argument("--frames", type=int, default=5, help="timed frames (after one warm-up frame)")
    ap.add_argument("--min-sizes", default="800,480")
    ap.add_argument("--seed", type=int, default=0, help="seeded weights (same as mrcnn --weights seeded:SEED)")
    ap.add_argument("--model", default="maskrcnn_resnet50_fpn",
                    help="torchvision builder name (as `mrcnn bench --model`): maskrcnn_resnet50_fpn, …_v2, "
                         "fasterrcnn_resnet50_fpn, fasterrcnn_resnet50_fpn_v2")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--python-ops", action="store_true",
                    help="use tv_ops' pure-PyTorch nms/roi_align even when torchvision's compiled ops load")
    args = ap.parse_args()

    ops = tv_ops.install(force_python=args.python_ops)
    import torchvision
    import seeded_weights
    from reference_model import build, layout

    torch.set_num_threads(args.threads)
    ops_text = {"compiled": "torchvision's compiled nms/roi_align",
                "python": "pure-PyTorch nms/roi_align from tools/bench/tv_ops.py (torchvision's _C does not load)",
                "python-over": "pure-PyTorch nms/roi_align from tools/bench/tv_ops.py (overriding the compiled ones)"}[ops]
    config = torch.__config__.show()
    blas = re.findall(r"CPU capability usage: \w+|BLAS_INFO=[^,\n]*|USE_MKLDNN=\w+", config)
    print(f"torch {torch.__version__}, torchvision {torchvision.__version__}, python {sys.version.split()[0]} "
          f"({sys.executable})")
    print(f"threads {torch.get_num_threads()} (interop {torch.get_num_interop_threads()}), "
          f"MKL-DNN available {torch.backends.mkldnn.is_available()} enabled {torch.backends.mkldnn.enabled}, "
          f"MKL {torch.backends.mkl.is_available()}; {', '.join(blas)}")
    print(f"ops: {ops_text}")

    frames, w, h = read_frames(args.input, args.frames + 1)
    if len(frames) < 2:
        raise SystemExit(f"{args.input}: not enough frames")
    rel = os.path.relpath(args.input, ROOT) if args.input.startswith(ROOT) else args.input
    print(f"clip {rel}: {w}×{h}, {len(frames) - 1} timed frames (+1 warm-up)")

    print(f"model: torchvision's {args.model}")
    model = build(args.model)
    state_dict = model.state_dict()  # v2 keeps BatchNorm2d's num_batches_tracked, as its official file does
    state_dict.update(seeded_weights.state_dict(layout(model), args.seed))
    model.load_state_dict(state_dict)
    model.eval()

    with torch.inference_mode():
        for min_size in (int(s) for s in args.min_sizes.split(",") if s):
            model.transform.min_size = (min_size,)
            # warm-up, and the staged pass against the model's own forward
            ref = model([torch.from_numpy(frames[0]).permute(2, 0, 1).float().div(255)])[0]
            got = staged(model, frames[0], Timer())
            same = (ref["boxes"].shape == got["boxes"].shape and torch.equal(ref["labels"], got["labels"])
                    and torch.allclose(ref["boxes"], got["boxes"])
                    and ("masks" not in ref or torch.allclose(ref["masks"], got["masks"])))
            if not same:
                print(f"WARNING: staged pass differs from model(...) at short side {min_size}")
            timer = Timer()
            detections = 0
            t0 = time.perf_counter()
            for f in frames[1:]:
                detections += len(staged(model, f, timer)["boxes"])
            wall = time.perf_counter() - t0
            n = len(frames) - 1
            scale = min_size / min(h, w)
            rw, rh = int(w * scale), int(h * scale)  # as GeneralizedRCNNTransform (max_size 1333 not reached)
            pw, phh = (rw + 31) // 32 * 32, (rh + 31) // 32 * 32
            print(f"\nshort side {min_size}: input {rw}×{rh} (padded {pw}×{phh}), {detections} detections"
                  f"{'' if same else ' (staged pass MISMATCH)'}")
            print("  component            ms/frame")
            for c in COMPONENTS:
                print(f"  {c:<20}{timer.ms[c] / n:9.1f}")
            print(f"  end-to-end: {wall * 1000 / n:.0f} ms/frame, {n / wall:.2f} frames/s")


if __name__ == "__main__":
    main()
