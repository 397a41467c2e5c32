"""Under torch.distributed (gloo on 127.0.0.1, two processes, each half of every batch) watch's
record equals one process's on the whole batches, to float rounding; rank 0 alone writes; and
steps that are not recorded make no collective call of watch's own."""
import os
import socket
import tempfile
import unittest

from helpers import batches, mlp, read_json, read_steps  # noqa: F401 (helpers sets the path)

import torch  # noqa: E402
import torch.distributed as dist  # noqa: E402
import torch.multiprocessing as mp  # noqa: E402
from torch import nn  # noqa: E402

import mlp_lens  # noqa: E402

STEPS, ROWS, EVERY = 5, 40, 2


def train(model, data, run_dir, world=1, rank=0, ddp=False):
    """SGD with momentum on data; each rank takes its slice of every batch (rows split unevenly:
    rank 0 gets 3/5)."""
    net = nn.parallel.DistributedDataParallel(model) if ddp else model
    opt = torch.optim.SGD(model.parameters(), lr=0.3, momentum=0.9)
    lens = mlp_lens.watch(net, run_dir, name="dist", variant="ddp" if ddp else "plain", every=EVERY, epochs=1,
                          steps_per_epoch=STEPS, optimizer=opt, grad_reduction="mean" if ddp or world == 1 else "sum")
    for X, y in data:
        if world > 1:
            cut = ROWS * 3 // 5
            X, y = (X[:cut], y[:cut]) if rank == 0 else (X[cut:], y[cut:])
            share = len(y) / ROWS
        opt.zero_grad()
        logits = net(X)
        loss = nn.functional.cross_entropy(logits, y)
        if world > 1 and not ddp:
            # a plain data-parallel loop: the global mean loss's gradient, summed over ranks
            (loss * share).backward()
            for p in model.parameters():
                dist.all_reduce(p.grad)
        elif world > 1:
            # DDP averages gradients over ranks: weigh each rank's mean by its share of the rows
            (loss * share * world).backward()
        else:
            loss.backward()
        opt.step()
        lens.step(loss, (logits.argmax(1) == y).float().mean())
    lens.epoch()
    lens.close("completed")


def worker(rank, port, out):
    dist.init_process_group("gloo", init_method="tcp://127.0.0.1:%d" % port, world_size=2, rank=rank)
    calls = []
    real = dist.all_reduce

    def counting(t, *a, **k):
        calls.append(t.numel())
        return real(t, *a, **k)

    try:
        for ddp in (True, False):
            mlp_lens.lens.torch.distributed.all_reduce = counting
            del calls[:]
            train(mlp(3), batches(4, STEPS, ROWS), os.path.join(out, "rank%d-%s" % (rank, "ddp" if ddp else "plain")), 2, rank, ddp)
            dist.all_reduce = real
            mlp_lens.lens.torch.distributed.all_reduce = real
            params = 0 if ddp else STEPS * len(list(mlp(3).parameters()))
            # watch's own: one per recorded step (1, 2, 4, 5) and one for the epoch's train mean
            with open(os.path.join(out, "calls-%d-%s" % (rank, ddp)), "w") as f:
                f.write(str(len(calls) - params))
    finally:
        dist.all_reduce = real
        dist.destroy_process_group()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class DistributedTest(unittest.TestCase):
    def test_two_ranks_record_what_one_process_records_on_the_whole_batch(self):
        with tempfile.TemporaryDirectory() as out:
            train(mlp(3), batches(4, STEPS, ROWS), os.path.join(out, "single"))
            mp.spawn(worker, args=(free_port(), out), nprocs=2, join=True)
            _, one = read_steps(os.path.join(out, "single", "metrics.bin"))
            self.assertEqual([f["step"] for f in one], [1, 2, 4, 5])
            for kind in ("ddp", "plain"):
                self.assertFalse(os.path.exists(os.path.join(out, "rank1-" + kind)), "rank 1 wrote nothing")
                run = os.path.join(out, "rank0-" + kind)
                _, two = read_steps(os.path.join(run, "metrics.bin"))
                self.assertEqual(len(two), len(one))
                for a, b in zip(one, two):
                    for name, x in a.items():
                        if name == "crc":
                            continue
                        y = b[name]
                        if isinstance(x, tuple) or name in ("step", "epoch", "rows"):
                            self.assertEqual(x, y, "%s step %d: %s" % (kind, a["step"], name))
                        elif x != x:
                            self.assertTrue(y != y, name)
                        else:
                            self.assertAlmostEqual(x, y, delta=1e-5 * abs(x) + 1e-12, msg="%s step %d: %s" % (kind, a["step"], name))
                s1, s2 = read_json(os.path.join(out, "single", "summary.json")), read_json(os.path.join(run, "summary.json"))
                self.assertEqual(s2["status"], "completed")
                self.assertEqual(s2["batchSize"], ROWS)
                self.assertAlmostEqual(s1["train"]["loss"], s2["train"]["loss"], delta=1e-6)
                self.assertIn("x2 ranks", s2["kernel"])
                for rank in (0, 1):
                    with open(os.path.join(out, "calls-%d-%s" % (rank, kind == "ddp"))) as f:
                        self.assertEqual(int(f.read()), 5, "watch's collective calls on rank %d (%s): 4 recorded steps + 1 epoch" % (rank, kind))


if __name__ == "__main__":
    unittest.main()
