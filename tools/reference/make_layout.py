"""Writes Tests/MaskRCNNTests/Fixtures/maskrcnn_layout.json: (name, shape) of the official checkpoint's
307 state-dict entries, in state-dict order, with the name each has in the official (2019) checkpoint file. Run: /usr/bin/python3 tools/reference/make_layout.py"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from reference_model import build_model, checkpoint_name, layout  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def main():
    entries = layout(build_model())
    assert len(entries) == 307, len(entries)
    path = os.path.join(ROOT, "Tests", "MaskRCNNTests", "Fixtures", "maskrcnn_layout.json")
    with open(path, "w") as f:
        f.write("[\n")
        f.write(",\n".join(json.dumps({"name": n, "shape": s, "checkpoint_name": checkpoint_name(n)}) for n, s in entries))
        f.write("\n]\n")
    total = sum(int(__import__("math").prod(s)) for _, s in entries)
    print(f"{len(entries)} entries, {total} values -> {os.path.relpath(path, ROOT)}")


if __name__ == "__main__":
    main()
