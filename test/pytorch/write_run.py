"""A small PyTorch training run recorded by mlp_lens.watch, for test/pytorch/records.test.ts.

usage: write_run.py OUT_DIR binary|jsonl [--pause FILE]
Trains a 6-12-10-3 tanh/relu network on 200 random examples for 3 epochs (batches of 32: the last
one short), probes every 2 steps, and prints the step and epoch records watch made as one JSON
list on stdout. --pause FILE: after the first epoch, wait (at most 120 s) until FILE exists.
"""
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "python"))
import torch  # noqa: E402
from torch import nn  # noqa: E402
import mlp_lens  # noqa: E402

out, fmt = sys.argv[1], sys.argv[2]
pause = sys.argv[sys.argv.index("--pause") + 1] if "--pause" in sys.argv else None
torch.manual_seed(1)
torch.set_num_threads(1)
model = nn.Sequential(nn.Linear(6, 12), nn.Tanh(), nn.Linear(12, 10), nn.ReLU(), nn.Linear(10, 3))
X, y = torch.randn(200, 6), torch.randint(0, 3, (200,))
Xt, yt = torch.randn(50, 6), torch.randint(0, 3, (50,))
opt = torch.optim.SGD(model.parameters(), lr=0.2, momentum=0.5)
records, last = [], None
with mlp_lens.watch(model, out, name="bridge", variant=fmt, every=2, epochs=3, steps_per_epoch=7, optimizer=opt,
                    record_format=fmt) as lens:
    for epoch in range(3):
        for i in range(0, 200, 32):
            xb, yb = X[i:i + 32], y[i:i + 32]
            opt.zero_grad()
            logits = model(xb)
            loss = nn.functional.cross_entropy(logits, yb)
            loss.backward()
            opt.step()
            lens.step(loss, (logits.argmax(1) == yb).float().mean())
            rec = getattr(lens, "last_record", None)
            if rec is not last:
                last = rec
                rows = 8 if rec["step"] % 7 == 0 else 32  # the last batch of an epoch has 8 rows
                records.append({**rec, "layers": [mlp_lens.record.json_probe(p, rows) for p in rec["layers"]]})
        with torch.no_grad():
            o = model(Xt)
            records.append(lens.epoch(test=(nn.functional.cross_entropy(o, yt).item(), (o.argmax(1) == yt).float().mean().item())))
        if pause and epoch == 0:
            t0 = time.time()
            while not os.path.exists(pause) and time.time() - t0 < 120:
                time.sleep(0.02)
print(json.dumps(records))
