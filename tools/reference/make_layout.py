"""Writes Tests/MaskRCNNTests/Fixtures/maskrcnn_layout.json, keypointrcnn_layout.json and maskrcnn_v2_layout.json: (name, shape) of the
official checkpoints' state-dict entries (307 for maskrcnn_resnet50_fpn_coco-bf2d0c1e.pth, 313 for
keypointrcnn_resnet50_fpn_coco-fc266e95.pth), in state-dict order, with the name each has in the official
checkpoint file. Run: /usr/bin/python3 tools/reference/make_layout.py"""
import json
import math
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from reference_model import build, build_keypoint_model, build_model, checkpoint_name, layout  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def write(model, count, filename, rename=True):
    entries = layout(model)
    name_in_file = checkpoint_name if rename else (lambda n: n)
    assert len(entries) == count, len(entries)
    path = os.path.join(ROOT, "Tests", "MaskRCNNTests", "Fixtures", filename)
    with open(path, "w") as f:
        f.write("[\n")
        f.write(",\n".join(json.dumps({"name": n, "shape": s, "checkpoint_name": name_in_file(n)}) for n, s in entries))
        f.write("\n]\n")
    total = sum(math.prod(s) for _, s in entries)
    renamed = sum(n != name_in_file(n) for n, _ in entries)
    print(f"{len(entries)} entries ({renamed} renamed in the checkpoint file), {total} values -> "
          f"{os.path.relpath(path, ROOT)}")


def main():
    write(build_model(), 307, "maskrcnn_layout.json")
    write(build_keypoint_model(), 313, "keypointrcnn_layout.json")
    # v2 files were published with torchvision 0.13: no renamed keys (checkpoint_name is the name itself); the
    # 69 BatchNorm2d num_batches_tracked counters are left out (int64, unused at inference).
    write(build("maskrcnn_resnet50_fpn_v2"), 363, "maskrcnn_v2_layout.json", rename=False)


if __name__ == "__main__":
    main()
