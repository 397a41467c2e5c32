"""Shared by the mlp_lens tests: the package on the path, record readers, a small network."""
import json
import os
import struct
import sys
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

import torch  # noqa: E402
from torch import nn  # noqa: E402

torch.set_num_threads(1)


def read_steps(path):
    """metrics.bin's step records as dicts of field -> value (tuples for arrays), CRCs checked."""
    with open(path, "rb") as f:
        raw = f.read()
    assert raw[:8] == b"MLPLSTP1"
    n = struct.unpack("<I", raw[8:12])[0]
    h = json.loads(raw[12:12 + n])
    codes = {"<u1": "B", "<u2": "H", "<u4": "I", "<f8": "d"}
    fmt = "<" + "".join("%d%s" % (f["shape"][0] if f["shape"] else 1, codes[f["dtype"]]) for f in h["fields"])
    assert struct.calcsize(fmt) == h["frameBytes"]
    frames = []
    for off in range(h["dataOffset"], len(raw) - h["frameBytes"] + 1, h["frameBytes"]):
        body = raw[off:off + h["frameBytes"]]
        vals = list(struct.unpack(fmt, body))
        rec = {}
        for f in h["fields"]:
            k = f["shape"][0] if f["shape"] else 0
            rec[f["name"]] = tuple(vals[:k]) if k else vals[0]
            vals = vals[k:] if k else vals[1:]
        assert rec["crc"] == zlib.crc32(body[:-4]) & 0xFFFFFFFF, "frame at %d: CRC" % off
        frames.append(rec)
    return h, frames


def read_json(path):
    with open(path) as f:
        return json.load(f)


def mlp(seed, sizes=(10, 24, 16, 12, 4), acts=(nn.Sigmoid, nn.ReLU, nn.Tanh), dtype=torch.float32):
    torch.manual_seed(seed)
    mods = []
    for k in range(len(sizes) - 1):
        mods.append(nn.Linear(sizes[k], sizes[k + 1]).to(dtype))
        if k < len(sizes) - 2:
            mods.append(acts[k % len(acts)]())
    return nn.Sequential(*mods)


def batches(seed, steps, rows, features=10, classes=4, dtype=torch.float32):
    g = torch.Generator().manual_seed(seed)
    return [(torch.randn(rows, features, generator=g, dtype=dtype) * 2, torch.randint(0, classes, (rows,), generator=g)) for _ in range(steps)]
