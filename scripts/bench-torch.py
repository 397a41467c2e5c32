"""The cost of mlp_lens.watch's probes on W2 (784-256-256-256-10, ReLU, batch 64, SGD) in
PyTorch on the CPU: training steps without watch, with watch every step and every 10 steps,
in interleaved rounds; the overhead is each mode's median round over the median of the rounds
without. Run by `npm run bench:torch` (scripts/bench-torch.mjs picks the python with torch).

usage: python3 scripts/bench-torch.py [--rounds N] [--steps N] [--threads N]
"""
import argparse
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
    ap.add_argument("--rounds", type=int, default=9)
    ap.add_argument("--steps", type=int, default=200)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    sizes = [784, 256, 256, 256, 10]
    model = nn.Sequential(*[m for k in range(4) for m in ((nn.Linear(sizes[k], sizes[k + 1]),) + ((nn.ReLU(),) if k < 3 else ()))])
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    data = [(torch.rand(64, 784), torch.randint(0, 10, (64,))) for _ in range(16)]
    tmp = tempfile.TemporaryDirectory()
    lenses = {"none": None}
    for every in (1, 10):
        lenses["every=%d" % every] = mlp_lens.watch(model, os.path.join(tmp.name, "e%d" % every), name="bench", variant="every=%d" % every,
                                                   every=every, epochs=1, optimizer=opt)
    state = {"i": 0}

    def steps(lens, n):
        for _ in range(n):
            X, y = data[state["i"] % len(data)]
            state["i"] += 1
            opt.zero_grad()
            logits = model(X)
            loss = nn.functional.cross_entropy(logits, y)
            loss.backward()
            opt.step()
            if lens is not None:
                lens.step(loss)

    # only the lens being measured records: the others are paused (their hooks return at once)
    def run(mode, n):
        for name, lens in lenses.items():
            if lens is not None:
                lens._rec = False if name != mode else lens._rec
        t0, c0 = time.perf_counter(), time.process_time()
        steps(lenses[mode], n)
        return (time.perf_counter() - t0) / n, (time.process_time() - c0) / n

    for mode in lenses:  # warm up
        run(mode, 20)
    times = {m: [] for m in lenses}
    for _ in range(args.rounds):
        for mode in lenses:
            times[mode].append(run(mode, args.steps))
    wall = {m: [t[0] for t in ts] for m, ts in times.items()}
    cpu = {m: [t[1] for t in ts] for m, ts in times.items()}
    env = " ".join("%s=%s" % (k, os.environ[k]) for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "OPENBLAS_CORETYPE", "OMP_WAIT_POLICY") if k in os.environ)
    print("bench:torch  %s" % datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"))
    print("machine: %s, %d cores; torch %s, %d thread(s); %s" % (cpu_name(), os.cpu_count(), torch.__version__, torch.get_num_threads(), env or "no thread variables set"))
    print("command: %s" % " ".join(["python3", os.path.relpath(sys.argv[0], os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))] + sys.argv[1:]))
    print("W2 784-256-256-256-10 ReLU, batch 64, SGD; %d rounds of %d steps per mode, interleaved; medians" % (args.rounds, args.steps))
    print("CPU time of this process (what the probes cost; a busy machine inflates wall time) and wall time:")
    for mode in times:
        line = "  %-9s" % mode
        for what, t in (("cpu", cpu), ("wall", wall)):
            med, base = statistics.median(t[mode]), statistics.median(t["none"])
            extra = "" if mode == "none" else " (%+.1f%%)" % (100 * (med / base - 1))
            line += "  %s %.3f ms/step%-10s" % (what, 1000 * med, extra)
        print(line)
    for lens in lenses.values():
        if lens is not None:
            lens.close("completed")
    tmp.cleanup()


if __name__ == "__main__":
    main()
