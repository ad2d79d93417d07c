#!/usr/bin/env python3
"""OpenVINO int8 as a peer: NNCF post-training quantization (nncf.quantize, its defaults: per-channel symmetric s8
weights, per-tensor activations, min/max-style range estimation on the calibration subset) of the per-component
graphs that /work/shared/peers/ort_peer.py exports (backbone+FPN, box head MLP on 1000 pooled RoIs, mask head convs
on 100 pooled RoIs), calibrated on vtest frames other than the timed ones, then timed as ort_peer.py times OpenVINO
(2 threads, one stream, latency hint; median of clean runs) and compared with torch fp32 (max relative error).
Writes JSON in ort_peer.py's shape (sizes → runtimes → "ov_int8" → component → median ms) so peers_table.py shows
it beside the others. Run ort_peer.py first at the same sizes (it writes the ONNX graphs this script quantizes).

usage: PY tools/bench/ov_int8_peer.py --sizes 800,480 --frames 3 --warmup 1 --calib 8 --out ov_int8.json
"""
import argparse
import json
import time
import os
import sys

sys.path.insert(0, os.environ.get("PEERS", "/work/shared/peers"))
import peer_common as pc  # noqa: E402  (before torchvision)

pc.setup_ops()
import numpy as np  # noqa: E402
import torch  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="800,480")
    ap.add_argument("--frames", type=int, default=3)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--calib", type=int, default=8, help="calibration frames (NNCF subset)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--max-size", type=int, default=1333)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    import nncf
    import openvino as ov

    torch.set_num_threads(a.threads)
    timed = a.frames + a.warmup
    frames = pc.load_frames("vtest", n=1 + timed + a.calib)
    seed_frame, timed_frames, calib_frames = frames[0], frames[1:1 + timed], frames[1 + timed:]
    core = ov.Core()
    onnx_dir = os.path.join(pc.WORK, "onnx")
    res = {"model": "mask", "threads": a.threads, "openvino": ov.__version__, "nncf": nncf.__version__, "sizes": {}}
    for S in [int(s) for s in a.sizes.split(",")]:
        model = pc.build_model("mask", seed_frame, min_size=S, max_size=a.max_size)
        rh, tr = model.roi_heads, model.transform

        def inputs(fr):
            """The graphs' inputs on one frame and torch's fp32 outputs."""
            with torch.inference_mode():
                images, _ = tr([pc.to_tensor(fr)])
                feats = model.backbone(images.tensors)
                props, _ = model.rpn(images, feats)
                bpool = rh.box_roi_pool(feats, props, images.image_sizes)
                logits, reg = rh.box_predictor(rh.box_head(bpool))
                boxes, _, _ = rh.postprocess_detections(logits, reg, props, images.image_sizes)
                hpool = rh.mask_roi_pool(feats, boxes, images.image_sizes)
                head = rh.mask_predictor(rh.mask_head(hpool))
            return {"backbone": (images.tensors.contiguous().numpy(), [v.numpy() for v in feats.values()]),
                    "box_mlp": (bpool.numpy(), [logits.numpy()]),
                    "mask_convs": (hpool.numpy(), [head.numpy()])}

        calib = [inputs(f) for f in calib_frames]
        ref = [inputs(f) for f in timed_frames]
        comps = {}
        for name, port in [("backbone", "img"), ("box_mlp", "pooled"), ("mask_convs", "pooled")]:
            path = os.path.join(onnx_dir, f"mask_{S}_{name}.onnx")
            if not os.path.exists(path):
                comps[name] = {"error": f"{path} missing: run ort_peer.py --graphs backbone,pooled first"}
                print(comps[name]["error"], flush=True)
                continue
            quantized = nncf.quantize(core.read_model(path), nncf.Dataset([c[name][0] for c in calib]),
                                      subset_size=len(calib))
            cfg = {"INFERENCE_NUM_THREADS": a.threads, "NUM_STREAMS": 1, "PERFORMANCE_HINT": "LATENCY"}
            cm = core.compile_model(quantized, "CPU", cfg)
            req = cm.create_infer_request()
            errs = []

            def one(r):
                x, want = r[name]
                t0 = time.perf_counter()
                out = req.infer({0: x})
                dt = time.perf_counter() - t0
                got = [out[o] for o in cm.outputs]
                errs.append(max(float(np.abs(np.asarray(g) - w).max() / (np.abs(w).max() + 1e-12)) for g, w in zip(got, want)))
                return dt

            ts, disc, foreign = pc.clean_runs(ref, one, a.warmup, a.frames)
            st = pc.stats_ms(ts)
            info = {"precision": "int8 (NNCF)", "inference precision": str(cm.get_property("INFERENCE_PRECISION_HINT"))}
            comps[name] = dict(st, max_rel_err_vs_torch=max(errs), discarded_runs=disc, foreign_load_cores_max=max(foreign),
                               info=info)
            print(f"ov_int8 mask S={S} {name:10s} ms min {st['min']:8.1f} med {st['median']:8.1f} max {st['max']:8.1f} "
                  f"relerr {max(errs):.3g} discarded {disc}", flush=True)
        res["sizes"][str(S)] = {"runtimes": {"ov_int8": comps}}
        with open(a.out, "w") as f:
            json.dump(res, f, indent=1)


if __name__ == "__main__":
    main()
