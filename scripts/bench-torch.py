"""The cost of mlp_lens.watch's probes on W2 (784-256-256-256-10, ReLU, batch 64, SGD) in
PyTorch on the CPU. Run by `npm run bench:torch` (scripts/bench-torch.mjs picks the python with
torch and sets one OpenMP/OpenBLAS thread unless the environment says otherwise).

Two identical models train side by side, step after step in rotation (plain, recorded, plain,
unrecorded: every step follows one of the other model): one without watch, one with watch on a
step it records and on a step it does not. Each step's CPU time of this process
is taken (what the probes cost; a busy machine stretches wall time, and a slow drift of the
machine's speed hits the three kinds of step alike). From the medians:
  every=1:  recorded / plain − 1
  every=10: (recorded + 9 × unrecorded) / (10 × plain) − 1
Each step's parts (forward, loss and backward, optimizer, lens.step) are timed too: the
recorded step's forward and backward against the plain step's are the hooks' cost; then recorded
steps of the watched model alone time two parts of lens.step (the hidden layers' counts and sums,
writing the record).
A last pass trains both models for real in blocks of 10 steps (plain, every=1, plain, every=10)
and reports wall and CPU time: there each model's steps follow its own, as in a real run.

usage: python3 scripts/bench-torch.py [--steps N] [--threads N]
"""
import argparse
import copy
import datetime
import os
import platform
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
import torch  # noqa: E402
from torch import nn  # noqa: E402
import mlp_lens  # noqa: E402


def cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=600, help="steps of each kind (default 600)")
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    sizes = [784, 256, 256, 256, 10]
    plain = nn.Sequential(*[m for k in range(4) for m in ((nn.Linear(sizes[k], sizes[k + 1]),) + ((nn.ReLU(),) if k < 3 else ()))])
    watched = copy.deepcopy(plain)
    opts = {id(m): torch.optim.SGD(m.parameters(), lr=0.01) for m in (plain, watched)}
    data = [(torch.rand(64, 784), torch.randint(0, 10, (64,))) for _ in range(16)]
    tmp = tempfile.TemporaryDirectory()
    lens = mlp_lens.watch(watched, os.path.join(tmp.name, "run"), name="bench", variant="W2", every=1, epochs=1,
                          optimizer=opts[id(watched)])
    i = [0]

    def step(model, record):
        X, y = data[i[0] % len(data)]
        i[0] += 1
        opt = opts[id(model)]
        t0 = time.process_time()
        if model is watched:
            # the lens's own choice of step, made here: a recorded step attaches the measuring
            # hooks (timed with it, as lens.step attaches them before a recorded step when
            # training for real) and lens.step detaches them after it
            lens._arm(record)
        opt.zero_grad()
        logits = model(X)
        t1 = time.process_time()
        loss = nn.functional.cross_entropy(logits, y)
        loss.backward()
        t2 = time.process_time()
        opt.step()
        t3 = time.process_time()
        if model is watched:
            lens.step(loss)
        t4 = time.process_time()
        return t4 - t0, (t1 - t0, t2 - t1, t3 - t2, t4 - t3)

    kinds = {"plain": (plain, False), "recorded": (watched, True), "unrecorded": (watched, False)}
    lens.every = 10 ** 9  # lens.step itself records nothing after step 1: the rotation chooses
    # every step follows a step of the other model (the caches hold the other one's weights)
    cycle = ["plain", "recorded", "plain", "unrecorded"]
    for _ in range(30):  # warm up
        for k in cycle:
            step(*kinds[k])
    times = {k: [] for k in kinds}
    parts = {k: [] for k in kinds}
    for _ in range(args.steps):
        for k in cycle:
            t, ps = step(*kinds[k])
            times[k].append(t)
            parts[k].append(ps)
    med = {k: statistics.median(v) for k, v in times.items()}
    # inside lens.step: the hidden layers' counts and sums, and writing the record, timed on their
    # own over recorded steps of the watched model alone (the rest: norms, gathering, Python)
    inner = {"lens.step": [], "hidden": [], "write": []}

    def timed(fn, key):
        def f(*a, **kw):
            t0 = time.process_time()
            r = fn(*a, **kw)
            inner[key].append(time.process_time() - t0)
            return r
        return f

    lens._hidden_stats = timed(lens._hidden_stats, "hidden")
    lens.writer.step_values = timed(lens.writer.step_values, "write")
    for _ in range(max(50, args.steps // 3)):
        inner["lens.step"].append(step(watched, True)[1][3])
    del lens._hidden_stats, lens.writer.step_values
    # every=1 and every=10 for real: wall and CPU time of 10-step blocks of each model in turn
    # (plain, every=1, plain, every=10), so each model's steps follow its own
    blocks = {"plain": [], "every=1": [], "every=10": []}
    for _ in range(max(3, args.steps // 20)):
        for name in ("plain", "every=1", "plain", "every=10"):
            model = plain if name == "plain" else watched
            if model is watched:
                lens.every = 1 if name == "every=1" else 10
                lens._arm(lens._recorded(lens.step_count + 1))
            w0, c0 = time.perf_counter(), time.process_time()
            for _ in range(10):
                X, y = data[i[0] % len(data)]
                i[0] += 1
                opt = opts[id(model)]
                opt.zero_grad()
                loss = nn.functional.cross_entropy(model(X), y)
                loss.backward()
                opt.step()
                if model is watched:
                    lens.step(loss)
            blocks[name].append((time.perf_counter() - w0, time.process_time() - c0))
    lens.close("completed")
    tmp.cleanup()

    env = " ".join("%s=%s" % (k, os.environ[k]) for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "OPENBLAS_CORETYPE", "OMP_WAIT_POLICY") if k in os.environ)
    print("bench:torch  %s" % datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"))
    print("machine: %s, %d cores, load average %s; torch %s, %d thread(s); %s" % (
        cpu_name(), os.cpu_count(), " ".join("%.1f" % x for x in os.getloadavg()), torch.__version__, torch.get_num_threads(), env or "no thread variables set"))
    print("command: python3 scripts/bench-torch.py %s" % " ".join(sys.argv[1:]))
    print("W2 784-256-256-256-10 ReLU, batch 64, SGD; %d steps of each kind in rotation; median CPU ms per step:" % args.steps)
    print("  %-10s %6s   %s" % ("", "step", "forward  loss+backward  optimizer  lens.step (medians of each part)"))
    for k in kinds:
        pm = [1000 * statistics.median(p[j] for p in parts[k]) for j in range(4)]
        print("  %-10s %6.3f   %7.3f  %13.3f  %9.3f  %9.3f" % (k, 1000 * med[k], *pm))
    im = {k: 1000 * statistics.median(v) for k, v in inner.items()}
    print("inside a recorded lens.step (%d steps of the watched model alone, medians): %.3f ms, of which %.3f the hidden "
          "layers' counts and sums, %.3f writing the record, %.3f the rest (norms of dW and db, the output layer, "
          "one vector to the host, the record in Python)" % (len(inner["lens.step"]), im["lens.step"], im["hidden"], im["write"],
                                                            im["lens.step"] - im["hidden"] - im["write"]))
    e1 = med["recorded"] / med["plain"] - 1
    e10 = (med["recorded"] + 9 * med["unrecorded"]) / (10 * med["plain"]) - 1
    print("probe cost: every=1 %+.1f%% of a step (goal <= 10%%), every=10 %+.1f%% (goal <= 2%%)" % (100 * e1, 100 * e10))
    for every in ("every=1", "every=10"):
        for what, j in (("wall", 0), ("cpu", 1)):
            p = statistics.median(b[j] for b in blocks["plain"]) / 10
            w = statistics.median(b[j] for b in blocks[every]) / 10
            print("%s trained for real, %s: %.3f ms/step against %.3f plain (%+.1f%%; %d blocks of 10 steps)" % (
                every, what, 1000 * w, 1000 * p, 100 * (w / p - 1), len(blocks[every])))


if __name__ == "__main__":
    main()
