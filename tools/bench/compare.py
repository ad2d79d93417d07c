"""Side-by-side table from the output of `mrcnn bench` and of one or more `pytorch_bench.py` runs.

usage: compare.py SWIFT_OUTPUT TORCH_OUTPUT [TORCH_OUTPUT ...]
Ratio = PyTorch ms / Swift ms (above 1: Swift is faster); for frames/s it is Swift / PyTorch, the same sense.
"""
import re
import sys


def parse(path):
    label, sections, cur = None, {}, None
    for line in open(path, encoding="utf-8"):
        if label is None and line.startswith("torch "):
            label = line.split(",")[0]
        m = re.match(r"short side (\d+):.*?(\d+) detections", line)
        if m:
            cur = sections.setdefault(int(m.group(1)), {"detections": int(m.group(2)), "ms": {}})
            continue
        if cur is None:
            continue
        m = re.match(r"  end-to-end: ([\d.]+) ms/frame, ([\d.]+) frames/s", line)
        if m:
            cur["e2e_ms"], cur["fps"] = float(m.group(1)), float(m.group(2))
            continue
        m = re.match(r"  (\S.*?)\s+([\d.]+)$", line)
        if m and m.group(1) != "component":
            cur["ms"][m.group(1)] = float(m.group(2))
    return label, sections


def main():
    swift_label, swift = parse(sys.argv[1])
    torches = [parse(p) for p in sys.argv[2:]]
    for size in sorted(swift, reverse=True):
        s = swift[size]
        cols = [(label or "pytorch", t[size]) for label, t in torches if size in t]
        head = f"  {'component':<18}{'Swift':>10}" + "".join(f"{lab:>20}{'ratio':>8}" for lab, _ in cols)
        dets = ", ".join(f"{lab}: {t['detections']}" for lab, t in cols)
        print(f"\nshort side {size}: ms/frame (ratio = PyTorch / Swift; detections Swift: {s['detections']}, {dets})")
        print(head)
        for comp in s["ms"]:
            row = f"  {comp:<18}{s['ms'][comp]:10.1f}"
            for _, t in cols:
                v = t["ms"].get(comp)
                row += f"{v:20.1f}{v / s['ms'][comp]:8.2f}" if v is not None and s["ms"][comp] > 0 else f"{'-':>20}{'-':>8}"
            print(row)
        row = f"  {'sum of components':<18}{sum(s['ms'].values()):10.1f}"
        for _, t in cols:
            row += f"{sum(t['ms'].values()):20.1f}{sum(t['ms'].values()) / sum(s['ms'].values()):8.2f}"
        print(row)
        row = f"  {'end-to-end ms':<18}{s['e2e_ms']:10.0f}"
        for _, t in cols:
            row += f"{t['e2e_ms']:20.0f}{t['e2e_ms'] / s['e2e_ms']:8.2f}"
        print(row)
        row = f"  {'frames/s':<18}{s['fps']:10.2f}"
        for _, t in cols:
            row += f"{t['fps']:20.2f}{s['fps'] / t['fps']:8.2f}"
        print(row)


if __name__ == "__main__":
    main()
