#!/usr/bin/python3
"""Writes the hostile checkpoint fixtures of Tests/CheckpointTests/Fixtures/ that test the readers' limits.

Run with Debian's /usr/bin/python3 (torch 1.13) after make_checkpoint_fixtures.py (it starts from tiny_zip.pth).
  bomb_zip.pth               tiny_zip.pth with storage record data/0 replaced by 64 MiB of zeros, deflated
                             (~64 KB on disk, ratio ~1000:1): a zip bomb, refused before anything is inflated
  short_storage_zip.pth      tiny_zip.pth with data/0 cut to 100 bytes (its tensors need 2352)
  short_storage_legacy.pth   a legacy file of one 10-float tensor whose storage record holds 4 floats
  oversized_record_zip.pth   tiny_zip.pth whose central directory declares data/0 as 3 GB (the file is ~8 KB)
"""
import os
import struct
import zipfile

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.normpath(os.path.join(HERE, "..", "..", "Tests", "CheckpointTests", "Fixtures"))


def path(name):
    return os.path.join(OUT, name)


def rewrite_zip(name, replace):
    """Copies tiny_zip.pth record by record; replace(info, data) returns (data, compress_type) or None."""
    with zipfile.ZipFile(path("tiny_zip.pth")) as src, zipfile.ZipFile(path(name), "w") as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            data, kind = replace(info, data) or (data, zipfile.ZIP_STORED)
            out = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            out.compress_type = kind
            dst.writestr(out, data)


def main():
    rewrite_zip("bomb_zip.pth", lambda info, data: (bytes(64 << 20), zipfile.ZIP_DEFLATED)
                if info.filename.endswith("/data/0") else None)
    rewrite_zip("short_storage_zip.pth", lambda info, data: (data[:100], zipfile.ZIP_STORED)
                if info.filename.endswith("/data/0") else None)

    # Central directory entry of data/0 claims 3 GB (both sizes); the local header stays honest.
    raw = bytearray(open(path("tiny_zip.pth"), "rb").read())
    name = b"tiny_zip/data/0"
    at = 0
    while True:
        at = raw.index(b"PK\x01\x02", at)
        n = struct.unpack_from("<H", raw, at + 28)[0]
        if bytes(raw[at + 46:at + 46 + n]) == name:
            struct.pack_into("<II", raw, at + 20, 3_000_000_000, 3_000_000_000)
            break
        at += 4
    open(path("oversized_record_zip.pth"), "wb").write(bytes(raw))

    # Legacy: the storage record's element count (8 bytes) says 4 and only 4 floats follow.
    torch.save({"w": torch.arange(10, dtype=torch.float32)}, path("short_storage_legacy.pth"),
               _use_new_zipfile_serialization=False)
    raw = open(path("short_storage_legacy.pth"), "rb").read()
    tail = struct.pack("<q", 10) + torch.arange(10, dtype=torch.float32).numpy().tobytes()
    assert raw.endswith(tail)
    raw = raw[:-len(tail)] + struct.pack("<q", 4) + tail[8:8 + 16]
    open(path("short_storage_legacy.pth"), "wb").write(raw)


if __name__ == "__main__":
    main()
