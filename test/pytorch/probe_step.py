"""One training step of a network given as a gradient dump input (docs/dump-format.md section 1,
format mlp-oracle/v1, with "leaky_relu" hidden layers allowed and an optional "leakyReluSlope"),
in PyTorch with mlp_lens.watch: plain SGD at the input's lr on its batch X, y. Writes the run
record to OUT_DIR. Used by test/pytorch/bridge.test.ts to compare step 1 with the engine's.

usage: probe_step.py INPUT.json OUT_DIR float32|float64 [INPUT.json OUT_DIR DTYPE ...]
(several runs in one process: torch takes seconds to import)
"""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "python"))
import torch  # noqa: E402
from torch import nn  # noqa: E402
import mlp_lens  # noqa: E402

torch.set_num_threads(1)


def run(src, out, dtype):
    d = json.load(open(src))
    dt = {"float32": torch.float32, "float64": torch.float64}[dtype]
    sizes, acts = d["layer_sizes"], d["activations"]
    slope = d.get("leakyReluSlope", 0.01)
    MODULES = {"sigmoid": nn.Sigmoid, "tanh": nn.Tanh, "relu": nn.ReLU, "linear": nn.Identity,
               "leaky_relu": lambda: nn.LeakyReLU(slope)}
    mods = []
    for k in range(len(sizes) - 1):
        lin = nn.Linear(sizes[k], sizes[k + 1]).to(dt)
        with torch.no_grad():
            lin.weight.copy_(torch.tensor(d["weights"][k], dtype=dt).reshape(sizes[k + 1], sizes[k]))
            lin.bias.copy_(torch.tensor(d["biases"][k], dtype=dt))
        mods.append(lin)
        if k < len(sizes) - 2:
            mods.append(MODULES[acts[k]]())
    model = nn.Sequential(*mods)
    y = torch.tensor(d["y"], dtype=torch.long)
    X = torch.tensor(d["X"], dtype=dt).reshape(len(y), sizes[0])
    opt = torch.optim.SGD(model.parameters(), lr=d["lr"])
    lens = mlp_lens.watch(model, out, name="probe-step", variant=dtype, every=1, bins=d.get("bins", 20),
                          epochs=1, steps_per_epoch=1, optimizer=opt, record_format="binary")
    opt.zero_grad()
    logits = model(X)
    loss = nn.functional.cross_entropy(logits, y)
    loss.backward()
    opt.step()
    # the engine's accuracy: ties to the lowest index, as argmax does
    lens.step(loss, (logits.argmax(1) == y).to(dt).mean())
    lens.close("completed")


args = sys.argv[1:]
for i in range(0, len(args), 3):
    run(*args[i:i + 3])
