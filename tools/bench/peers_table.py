#!/usr/bin/env python3
"""Side-by-side table from one tools/bench/peers.sh run: mrcnn (fp32 OpenBLAS-only, fp32 auto, bf16) against ONNX
Runtime, OpenVINO (f32 and its default precision) and PyTorch eager, per short side: backbone+FPN, RPN, box head
(1000 RoIs, without RoIAlign), mask head (100 RoIs, without RoIAlign) and end to end; mrcnn's mean ms/frame, the
peers' median ms, and the ratio peer / mrcnn fp32 auto (above 1: mrcnn faster). usage: peers_table.py OUTDIR"""
import json
import os
import re
import sys

out = sys.argv[1]


def mrcnn(name):
    """{size: {component: ms}} from `mrcnn bench` text."""
    path = os.path.join(out, name + ".txt")
    res, size = {}, None
    if not os.path.exists(path):
        return res
    for line in open(path):
        m = re.match(r"short side (\d+)[,:]", line)
        if m:
            size = m.group(1)
            res[size] = {}
            continue
        m = re.match(r"  end-to-end: (\d+) ms/frame", line)
        if m and size:
            res[size]["e2e"] = float(m.group(1))
            continue
        m = re.match(r"  ([a-z+ -]+?)\s+([0-9.]+)$", line)
        if m and size:
            res[size][m.group(1)] = float(m.group(2))
    return res


def peers():
    """{column: {size: {component: median ms}}} from the peers' JSON."""
    cols = {}
    for p in [os.path.join(out, "ort.json"), os.path.join(out, "ov_int8.json")]:
        if not os.path.exists(p):
            continue
        for size, s in json.load(open(p)).get("sizes", {}).items():
            for rt, comps in s.get("runtimes", {}).items():
                for name, c in comps.items():
                    if "median" in c:
                        cols.setdefault(rt, {}).setdefault(size, {})[name] = c["median"]
    p = os.path.join(out, "torch.json")
    if os.path.exists(p):
        for size, s in json.load(open(p)).get("sizes", {}).items():
            for name, c in s.get("components", {}).items():
                cols.setdefault("torch", {}).setdefault(size, {})[name] = c["median"]
    return cols


ours = {"mrcnn fp32 openblas": mrcnn("mrcnn-openblas")}
if os.path.exists(os.path.join(out, "mrcnn-nchw.txt")):
    ours["mrcnn fp32 auto NCHW"] = mrcnn("mrcnn-nchw")
if os.path.exists(os.path.join(out, "mrcnn-direct.txt")):
    ours["mrcnn fp32 auto direct"] = mrcnn("mrcnn-direct")
ours.update({"mrcnn fp32 auto": mrcnn("mrcnn-fp32"), "mrcnn bf16": mrcnn("mrcnn-bf16")})
if os.path.exists(os.path.join(out, "mrcnn-int8.txt")):
    ours["mrcnn int8"] = mrcnn("mrcnn-int8")
theirs = peers()
names = {"mrcnn fp32 auto NCHW": "mrcnn fp32 auto, NCHW between layers", "mrcnn fp32 auto direct": "mrcnn fp32 auto, direct 3×3 (before)", "ort": "ONNX Runtime", "ov_f32": "OpenVINO f32", "ov_default": "OpenVINO default", "ov_int8": "OpenVINO int8 (NNCF)", "torch": "PyTorch eager"}
bf16_text = os.path.join(out, "mrcnn-bf16.txt")
if os.path.exists(bf16_text) and "(bf16 requested)" in open(bf16_text).read():
    names["mrcnn bf16"] = "mrcnn bf16 (ran fp32: no bf16 units)"
# Component names per side: (mrcnn, peer candidates).
rows = [("backbone+FPN", "backbone+fpn", ["backbone"]),
        ("RPN", "rpn", ["rpn"]),
        ("box head (1000 RoIs)", "box head", ["box_mlp"]),
        ("mask head (100 RoIs)", "mask head", ["mask_convs"]),
        ("end to end", "e2e", ["e2e", "full"])]
for p in ["ort.json"]:
    path = os.path.join(out, p)
    if os.path.exists(path):
        for size, s in json.load(open(path)).get("sizes", {}).items():
            for comp in s.get("runtimes", {}).get("ov_default", {}).values():
                prec = comp.get("info", {}).get("precision")
                if prec:
                    prec = re.sub(r".*'(.*)'.*", r"\1", prec)  # "<Type: 'float32'>" -> float32
                    names["ov_default"] = f"OpenVINO default ({prec})"
for size in ["800", "480"]:
    cols = list(ours) + sorted(theirs)
    print(f"\nshort side {size}: median ms (ratio peer / mrcnn fp32 auto)")
    print("| component | " + " | ".join(names.get(c, c) for c in cols) + " |")
    print("|---|" + "---:|" * len(cols))
    for label, mine, cands in rows:
        base = ours["mrcnn fp32 auto"].get(size, {}).get(mine)
        cells = []
        for c in cols:
            if c in ours:
                v = ours[c].get(size, {}).get(mine)
                cells.append(f"{v:.0f}" if v else "–")
            else:
                comp = theirs[c].get(size, {})
                v = next((comp[k] for k in cands if k in comp), None)
                cells.append(f"{v:.0f} ({v / base:.2f})" if v and base else (f"{v:.0f}" if v else "–"))
        print(f"| {label} | " + " | ".join(cells) + " |")
