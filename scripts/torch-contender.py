#!/usr/bin/env python3
"""PyTorch on the CPU as a contender of `npm run bench -- --torch` (scripts/bench.ts).

Not part of the product: the bench starts this script with Debian's python3 (python3-torch) and
talks to it in JSON lines on stdin/stdout, one request at a time:

  {"cmd": "setup", "sizes": [784, 256, 256, 256, 10], "batch": 64, "activation": "relu",
   "lr": 0.001, "samples": 4096}                    -> {"ok": true, "threads": 1, ...}
  {"cmd": "run", "seconds": 1.0}                    -> {"samplesPerSecond": 123456.0}

It trains the same multi-layer perceptron as the bench's engine contenders: the same sizes, batch,
init family (He normal for ReLU, Glorot uniform otherwise), plain SGD at the same learning rate,
softmax cross-entropy, on random inputs in [0, 1) with random labels, each minibatch gathered from
a shuffled order as the engine's trainer does. Plain training: no probes, no records. The thread
count comes from the environment (OPENBLAS_NUM_THREADS, OMP_NUM_THREADS, set by the bench before
this process starts); torch.set_num_threads takes the same number.
"""
import json
import os
import sys
import time

import torch
import torch.nn.functional as F


def build(sizes, activation):
    layers = []
    for k in range(len(sizes) - 1):
        lin = torch.nn.Linear(sizes[k], sizes[k + 1])
        if activation == "relu":
            torch.nn.init.kaiming_normal_(lin.weight, nonlinearity="relu")
        else:
            torch.nn.init.xavier_uniform_(lin.weight)
        torch.nn.init.zeros_(lin.bias)
        layers.append(lin)
        if k < len(sizes) - 2:
            layers.append(torch.nn.ReLU() if activation == "relu" else torch.nn.Sigmoid())
    return torch.nn.Sequential(*layers)


class Contender:
    def __init__(self, req):
        torch.manual_seed(1)
        sizes, self.batch = req["sizes"], req["batch"]
        n = max(req.get("samples", 4096), self.batch)
        self.model = build(sizes, req["activation"])
        self.opt = torch.optim.SGD(self.model.parameters(), lr=req["lr"])
        self.X = torch.rand(n, sizes[0])
        self.y = torch.randint(0, sizes[-1], (n,))
        self.order = torch.randperm(n)
        self.pos = 0
        self.step()

    def step(self):
        B = self.batch
        if self.pos + B > len(self.order):
            self.order = torch.randperm(len(self.order))
            self.pos = 0
        idx = self.order[self.pos:self.pos + B]
        self.pos += B
        xb, yb = self.X.index_select(0, idx), self.y.index_select(0, idx)
        self.opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(self.model(xb), yb)
        loss.backward()
        self.opt.step()

    def run(self, seconds):
        t0 = time.perf_counter()
        steps = 0
        while True:
            self.step()
            steps += 1
            dt = time.perf_counter() - t0
            if dt >= seconds:
                return steps * self.batch / dt


def main():
    threads = int(os.environ.get("OMP_NUM_THREADS", "1"))
    torch.set_num_threads(threads)
    contender = None
    out = sys.stdout
    out.write(json.dumps({"ready": True, "torch": torch.__version__, "threads": torch.get_num_threads(),
                          "coretype": os.environ.get("OPENBLAS_CORETYPE")}) + "\n")
    out.flush()
    for line in sys.stdin:
        req = json.loads(line)
        if req["cmd"] == "setup":
            contender = Contender(req)
            res = {"ok": True}
        elif req["cmd"] == "run":
            res = {"samplesPerSecond": contender.run(req["seconds"])}
        else:
            res = {"error": "unknown command " + str(req.get("cmd"))}
        out.write(json.dumps(res) + "\n")
        out.flush()


if __name__ == "__main__":
    main()
