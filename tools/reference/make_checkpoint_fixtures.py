#!/usr/bin/python3
"""Writes the tiny checkpoint fixtures of Tests/CheckpointTests/Fixtures/ with real `torch.save`.

Run with Debian's /usr/bin/python3 (torch 1.13). Idempotent: same seed, same bytes (zip timestamps aside,
torch's zip writer stores none). Every file is a few KB.

Good files
  tiny_legacy.pth      state dict, legacy layout (_use_new_zipfile_serialization=False)
  tiny_zip.pth         the same state dict, zip layout
  tiny_zip_proto4.pth  the same, zip layout with pickle protocol 4
  tiny_expected.json   names (in order), shapes, float32 values (as uint32 bit patterns) computed by torch
  wrapped_model_zip.pth          {"model": {"module."+name: tensor}, "epoch": 3, ...}   (zip)
  wrapped_state_dict_legacy.pth  {"state_dict": {"module."+name: tensor}, "step": 10}  (legacy)
  tiny.safetensors     written by hand below (the `safetensors` package is not installed here), holding
                       F32, F16, BF16, F64, I64 tensors and a __metadata__ block; expected values in
  tiny_safetensors_expected.json
Bad files
  random.bin, empty.pth, video_head.mp4 (first 2 KB of the sample video), truncated_zip.pth,
  truncated_legacy.pth, evil_os_system_legacy.pth, evil_os_system_zip.pth (a __reduce__ to os.system),
  evil_eval_zip.pth, evil_eval_proto4_zip.pth (a __reduce__ to eval), bad_opcode_legacy.pth (an invalid opcode 0xff),
  complex_zip.pth (a complex64 tensor: unsupported dtype), missing_storage_zip.pth (data/0 removed),
  bad_dtype.safetensors (dtype "C64"), truncated.safetensors
"""
import collections
import io
import json
import os
import struct
import zipfile

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.normpath(os.path.join(HERE, "..", "..", "Tests", "CheckpointTests", "Fixtures"))
# What the evil fixtures would run if they were ever executed; the tests check it never appears.
PWNED = "/tmp/mrcnn_checkpoint_fixture_pwned"


def path(name):
    return os.path.join(OUT, name)


def tiny_state_dict():
    """A handful of tensors named like maskrcnn_resnet50_fpn_coco, covering every layout case."""
    g = torch.Generator().manual_seed(1234)
    sd = collections.OrderedDict()  # what state_dict() returns, with its _metadata attribute (pickled by BUILD)
    sd._metadata = collections.OrderedDict([("", {"version": 1}), ("backbone.body.bn1", {"version": 2})])
    sd["backbone.body.conv1.weight"] = torch.randn(4, 3, 7, 7, generator=g)
    sd["backbone.body.bn1.weight"] = torch.rand(4, generator=g)
    sd["backbone.body.bn1.bias"] = torch.randn(4, generator=g)
    sd["backbone.body.bn1.running_mean"] = torch.randn(4, generator=g)
    sd["backbone.body.bn1.running_var"] = torch.rand(4, generator=g) + 0.5
    sd["backbone.body.bn1.num_batches_tracked"] = torch.tensor(7, dtype=torch.int64)  # 0-d int64
    # A Parameter pickles through torch._utils._rebuild_parameter.
    sd["rpn.head.conv.weight"] = torch.nn.Parameter(torch.randn(4, 4, 3, 3, generator=g))
    sd["rpn.head.conv.bias"] = torch.randn(4, generator=g)
    # Two tensors sharing one storage, the second at a storage offset.
    shared = torch.randn(20, generator=g)
    sd["rpn.head.cls_logits.weight"] = shared[0:6].view(2, 3)
    sd["rpn.head.bbox_pred.weight"] = shared[8:20].view(3, 4)
    # A transposed (non-contiguous) view: shape [5, 6], strides (1, 5).
    sd["roi_heads.box_head.fc6.weight"] = torch.randn(6, 5, generator=g).t()
    # A strided slice of a 3-d tensor at an offset, strides (30, 6, 2).
    sd["roi_heads.box_head.fc7.weight"] = torch.randn(3, 5, 6, generator=g)[:, :, 1::2]
    sd["roi_heads.box_predictor.bbox_pred.bias"] = torch.randn(8, generator=g, dtype=torch.float64)
    sd["roi_heads.box_predictor.cls_score.bias"] = torch.randn(5, generator=g).half()
    sd["roi_heads.mask_predictor.mask_fcn_logits.bias"] = torch.randn(3, generator=g).bfloat16()
    sd["extra.int32"] = torch.tensor([[-3, 0], [5, 2147483647]], dtype=torch.int32)
    sd["extra.uint8"] = torch.tensor([0, 1, 255], dtype=torch.uint8)
    sd["extra.bool"] = torch.tensor([True, False, True])
    sd["extra.int64_big"] = torch.tensor([-(2 ** 40), 2 ** 24 + 1], dtype=torch.int64)
    sd["extra.empty"] = torch.zeros(0, 3)
    sd["extra.expanded"] = torch.arange(3.0).expand(4, 3)  # stride (0, 1): 12 elements on a 3-element storage
    return sd


def expected_json(sd):
    entries = []
    for name, t in sd.items():
        f = t.detach().to(torch.float32).contiguous().reshape(-1)
        bits = f.numpy().view(np.uint32).tolist()
        entries.append({"name": name, "shape": list(t.shape), "bits": bits})
    return {"tensors": entries}


def save(obj, name, legacy, protocol=2):
    torch.save(obj, path(name), _use_new_zipfile_serialization=not legacy, pickle_protocol=protocol)


def write_bytes(name, data):
    with open(path(name), "wb") as f:
        f.write(data)


class EvilReduce:
    """Pickles as a call to `fn(arg)`; torch.save writes it, only an unsafe loader would run it."""

    def __init__(self, fn, arg):
        self.fn, self.arg = fn, arg

    def __reduce__(self):
        return (self.fn, (self.arg,))


def safetensors_bytes(tensors, metadata=None, dtype_override=None):
    """The safetensors format by hand: u64 LE header size, JSON header, raw little-endian data."""
    codes = {torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16", torch.float64: "F64",
             torch.int64: "I64", torch.int32: "I32", torch.uint8: "U8", torch.bool: "BOOL"}
    header, blobs, offset = {}, [], 0
    if metadata is not None:
        header["__metadata__"] = metadata
    for name, t in tensors.items():
        t = t.contiguous()
        if t.dtype == torch.bfloat16:
            raw = t.view(torch.int16).numpy().tobytes()
        else:
            raw = t.numpy().tobytes()
        dtype = (dtype_override or {}).get(name, codes[t.dtype])
        header[name] = {"dtype": dtype, "shape": list(t.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - (8 + len(text)) % 8) % 8)
    return struct.pack("<Q", len(text)) + text + b"".join(blobs)


def main():
    os.makedirs(OUT, exist_ok=True)
    sd = tiny_state_dict()
    save(sd, "tiny_legacy.pth", legacy=True)
    save(sd, "tiny_zip.pth", legacy=False)
    # Pickle protocol 4: FRAME, MEMOIZE, SHORT_BINUNICODE, STACK_GLOBAL instead of protocol 2's opcodes.
    save(sd, "tiny_zip_proto4.pth", legacy=False, protocol=4)
    with open(path("tiny_expected.json"), "w") as f:
        json.dump(expected_json(sd), f, indent=0)
    # Check torch reads its own files back exactly as the JSON says.
    for name in ("tiny_legacy.pth", "tiny_zip.pth", "tiny_zip_proto4.pth"):
        back = torch.load(path(name))
        assert list(back.keys()) == list(sd.keys())
        assert all(torch.equal(back[k], sd[k]) for k in sd)

    small = {k: sd[k] for k in ("backbone.body.conv1.weight", "backbone.body.bn1.num_batches_tracked",
                                 "rpn.head.conv.bias")}
    save({"model": {"module." + k: v for k, v in small.items()}, "epoch": 3, "lr": 0.02, "names": ["a", "b"]},
         "wrapped_model_zip.pth", legacy=False)
    save({"state_dict": {"module." + k: v for k, v in small.items()}, "step": 10, "flag": True, "note": None},
         "wrapped_state_dict_legacy.pth", legacy=True)

    g = torch.Generator().manual_seed(99)
    st = {
        "backbone.body.conv1.weight": torch.randn(2, 3, 3, 3, generator=g),
        "rpn.head.conv.bias": torch.randn(4, generator=g).half(),
        "roi_heads.box_predictor.cls_score.bias": torch.randn(3, generator=g).bfloat16(),
        "roi_heads.box_predictor.bbox_pred.bias": torch.randn(5, generator=g, dtype=torch.float64),
        "backbone.body.bn1.num_batches_tracked": torch.tensor(12, dtype=torch.int64),
    }
    write_bytes("tiny.safetensors", safetensors_bytes(st, metadata={"format": "pt", "source": "fixture"}))
    with open(path("tiny_safetensors_expected.json"), "w") as f:
        json.dump(expected_json(st), f, indent=0)
    write_bytes("bad_dtype.safetensors",
                safetensors_bytes({"x": torch.zeros(2)}, dtype_override={"x": "C64"}))
    whole = safetensors_bytes(st)
    write_bytes("truncated.safetensors", whole[: len(whole) - 40])

    # Bad files.
    write_bytes("random.bin", np.random.default_rng(7).integers(0, 256, 1024, dtype=np.uint8).tobytes())
    write_bytes("empty.pth", b"")
    with open(os.path.join(HERE, "..", "..", "samples", "vtest.mp4"), "rb") as f:
        write_bytes("video_head.mp4", f.read(2048))
    with open(path("tiny_zip.pth"), "rb") as f:
        z = f.read()
    write_bytes("truncated_zip.pth", z[: len(z) // 2])
    with open(path("tiny_legacy.pth"), "rb") as f:
        legacy = f.read()
    write_bytes("truncated_legacy.pth", legacy[: len(legacy) - 100])  # cut inside the last storage

    evil = {"backbone.body.conv1.weight": sd["rpn.head.conv.bias"], "payload": EvilReduce(os.system,
                                                                                         "touch " + PWNED)}
    save(evil, "evil_os_system_legacy.pth", legacy=True)
    save(evil, "evil_os_system_zip.pth", legacy=False)
    # Protocol 2 names it __builtin__.eval (Python 2 spelling), protocol 4 builtins.eval via STACK_GLOBAL.
    save({"payload": EvilReduce(eval, "open('%s', 'w')" % PWNED)}, "evil_eval_zip.pth", legacy=False)
    save({"payload": EvilReduce(eval, "open('%s', 'w')" % PWNED)}, "evil_eval_proto4_zip.pth", legacy=False,
         protocol=4)

    # A legacy file whose state-dict pickle holds the invalid opcode 0xff (after PROTO and EMPTY_DICT).
    buf = io.BytesIO()
    torch.save({}, buf, _use_new_zipfile_serialization=False)
    raw = buf.getvalue()
    head = raw.index(b"\x80\x02}", 40)  # the 4th pickle: the (empty) state dict
    write_bytes("bad_opcode_legacy.pth", raw[:head] + b"\x80\x02}\xff.")

    save({"z": torch.tensor([1 + 2j, 3 - 4j], dtype=torch.complex64)}, "complex_zip.pth", legacy=False)

    with zipfile.ZipFile(path("tiny_zip.pth")) as src, \
            zipfile.ZipFile(path("missing_storage_zip.pth"), "w", zipfile.ZIP_STORED) as dst:
        for info in src.infolist():
            if not info.filename.endswith("/data/0"):
                dst.writestr(info, src.read(info.filename))

    if os.path.exists(PWNED):
        raise SystemExit("fixture generation must not run the payload")


if __name__ == "__main__":
    main()
