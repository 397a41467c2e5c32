"""watch on its own: which layers and activations it finds, what it refuses, a run that diverges
or stops, the histogram of NaN activations, a model whose activations are functions, and layers
measured together against each measured alone."""
import math
import os
import tempfile
import unittest

from helpers import mlp, read_json, read_steps  # noqa: F401 (helpers sets the path)

import torch  # noqa: E402
from torch import nn  # noqa: E402

import mlp_lens  # noqa: E402


class Functional(nn.Module):
    def __init__(self):
        super().__init__()
        self.a, self.b, self.c = nn.Linear(5, 7), nn.Linear(7, 6), nn.Linear(6, 3)

    def forward(self, x):
        return self.c(torch.tanh(self.b(torch.relu(self.a(x)))))


class LensTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)

    def run_dir(self, name):
        return os.path.join(self.tmp.name, name)

    def test_activation_modules_are_found_and_a_bare_layer_is_refused_with_its_name(self):
        lens = mlp_lens.watch(mlp(0), self.run_dir("a"), epochs=1)
        self.assertEqual(lens.acts, ["sigmoid", "relu", "tanh"])
        lens.close()
        bare = nn.Sequential(nn.Linear(4, 5), nn.Linear(5, 2))
        with self.assertRaisesRegex(ValueError, r"hidden layer 0 \(nn.Linear 4->5\) has no activation module"):
            mlp_lens.watch(bare, self.run_dir("b"))
        with self.assertRaisesRegex(ValueError, "names 1 activations; the model has 3 hidden layers"):
            mlp_lens.watch(mlp(0), self.run_dir("c"), activations=["relu"])
        with self.assertRaisesRegex(ValueError, "must form a chain"):
            mlp_lens.watch(nn.Sequential(nn.Linear(4, 5), nn.ReLU(), nn.Linear(6, 2)), self.run_dir("d"))
        with self.assertRaisesRegex(ValueError, "bins must be a whole number from 4 to 100"):
            mlp_lens.watch(mlp(0), self.run_dir("e"), bins=2)

    def test_functional_activations_named_in_watch(self):
        torch.manual_seed(0)
        model = Functional()
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        with mlp_lens.watch(model, self.run_dir("f"), activations=["relu", "tanh"], epochs=1, optimizer=opt) as lens:
            x, y = torch.randn(16, 5), torch.randint(0, 3, (16,))
            opt.zero_grad()
            loss = nn.functional.cross_entropy(model(x), y)
            loss.backward()
            opt.step()
            lens.step(loss)
            rec = lens.last_record
        self.assertEqual(rec["layers"][0]["activation"], "relu")
        self.assertEqual(sum(rec["layers"][0]["histogram"]["counts"]), 16 * 7)
        self.assertEqual(rec["layers"][1]["histogram"]["min"], -1)
        self.assertEqual(rec["layers"][1]["activation"], "tanh")
        self.assertEqual(read_json(os.path.join(self.run_dir("f"), "summary.json"))["status"], "completed")

    def test_a_non_finite_loss_records_the_run_as_diverged(self):
        model = mlp(1)
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        with mlp_lens.watch(model, self.run_dir("g"), every=1, epochs=1, optimizer=opt) as lens:
            for step in range(5):
                x, y = torch.randn(8, 10), torch.randint(0, 4, (8,))
                if step == 2:
                    x[0, 0] = float("nan")
                opt.zero_grad()
                loss = nn.functional.cross_entropy(model(x), y)
                loss.backward()
                opt.step()
                lens.step(loss)
        self.assertEqual(lens.step_count, 3, "the block ended at the step that diverged")
        s = read_json(os.path.join(self.run_dir("g"), "summary.json"))
        self.assertEqual(s["status"], "diverged")
        self.assertEqual(s["divergence"]["step"], 3)
        _, frames = read_steps(os.path.join(self.run_dir("g"), "metrics.bin"))
        self.assertEqual(len(frames), 3)
        self.assertTrue(math.isnan(frames[2]["loss"]))
        # a NaN activation counts in bin 0 (docs/dump-format.md section 5)
        self.assertEqual(sum(frames[2]["histogram.0"]), 8 * 24)
        self.assertGreaterEqual(frames[2]["histogram.0"][0], 24)

    def test_layers_measured_together_match_each_layer_measured_alone(self):
        """Hidden layers 0 and 2 share a width and activation (measured together), layer 1 does
        not; the batch shrinks at step 2 and has a NaN at step 3. Every probe against each layer
        measured on its own by the definitions (docs/dump-format.md sections 2.6 and 5)."""
        for dtype, act, rtol in ((torch.float32, nn.Sigmoid, 1e-5), (torch.float64, nn.ReLU, 1e-12), (torch.float32, nn.Tanh, 1e-5)):
            torch.manual_seed(7)
            model = nn.Sequential(nn.Linear(9, 17), act(), nn.Linear(17, 13), nn.LeakyReLU(0.2), nn.Linear(13, 17), act(),
                                  nn.Linear(17, 4)).to(dtype)
            with torch.no_grad():
                for m in model:
                    if isinstance(m, nn.Linear):
                        m.weight.mul_(3)
            linears = [m for m in model if isinstance(m, nn.Linear)]
            seen = {}
            for k, lin in enumerate(linears):
                def keep(mod, inp, out, k=k):
                    seen[("z", k)] = out.detach().clone()
                    seen[("W", k)] = mod.weight.detach().clone()
                    out.register_hook(lambda g, k=k: seen.__setitem__(("d", k), g.detach().clone()))
                lin.register_forward_hook(keep)
            opt = torch.optim.SGD(model.parameters(), lr=0.05)
            name = "m-%s-%s" % (str(dtype)[6:], act.__name__)
            with mlp_lens.watch(model, self.run_dir(name), every=1, bins=10, epochs=1, optimizer=opt) as lens:
                for step, rows in enumerate((24, 11, 11)):
                    x, y = torch.randn(rows, 9, dtype=dtype), torch.randint(0, 4, (rows,))
                    if step == 2:
                        x[3, :] = float("nan")
                    opt.zero_grad()
                    loss = nn.functional.cross_entropy(model(x), y)
                    loss.backward()
                    opt.step()
                    try:
                        lens.step(loss)
                    except mlp_lens.Diverged:
                        pass
                    rec = lens.last_record
                    self.assertEqual(rec["step"], step + 1)
                    for k, p in enumerate(rec["layers"]):
                        at = "%s step %d layer %d" % (name, step + 1, k)
                        W, z, d = seen[("W", k)], seen[("z", k)], seen[("d", k)]
                        lin = linears[k]
                        if step == 2:  # NaN gradients: the counts below are what is defined
                            self.assertTrue(math.isnan(p["gradW"]), at)
                        else:
                            self.check_norms(p, lin, W, d, rtol, at)
                        if k == 3:
                            a = torch.softmax(z, dim=1)
                        else:
                            a = model[2 * k + 1](z)
                        N = a.numel()
                        if step < 2:
                            mean = a.double().sum().item() / N
                            self.assertAlmostEqual(p["mean"], mean, delta=rtol * abs(mean) + 1e-12, msg=at)
                            std = math.sqrt(max(a.double().square().sum().item() / N - mean * mean, 0.0))
                            self.assertAlmostEqual(p["std"], std, delta=1e-3 * std + 1e-9, msg=at)
                        if k == 3:
                            self.assertIsNone(p["saturation"], at)
                            continue
                        kind = p["activation"]
                        if kind == "sigmoid":
                            sat = (a < 0.05) | (a > 0.95)
                        elif kind == "tanh":
                            sat = a.abs() > 0.95
                        elif kind == "relu":
                            sat = a == 0
                        else:
                            sat = a <= 0
                        self.assertEqual(p["unitCounts"], sat.sum(dim=0).tolist(), at)
                        self.assertEqual(p["saturation"], sat.sum().item() / N, at)
                        lo, hi = p["histogram"]["min"], p["histogram"]["max"]
                        scale = torch.tensor(10 / (hi - lo), dtype=torch.float32)
                        b = ((a.float() - lo) * scale).clamp(0, 9).nan_to_num(0.0).floor().long()
                        self.assertEqual(p["histogram"]["counts"], torch.bincount(b.reshape(-1), minlength=10).tolist(), at)
                        if step == 2:
                            self.assertGreater(p["histogram"]["counts"][0], 0, at)

    def test_recording_every_third_step_matches_recording_every_step(self):
        """every=3 records steps 1, 3, 6, 9 and the last, with the measuring hooks attached only
        for those steps' forward passes: each such record's layers equal those of a run of the
        same model and data recording every step (its loss is the mean since the last record)."""
        from helpers import batches
        runs = {}
        for every in (1, 3):
            model = mlp(11, dtype=torch.float64)
            opt = torch.optim.SGD(model.parameters(), lr=0.1)
            linears = [m for m in model if isinstance(m, nn.Linear)]
            attached = []
            recs = {}
            with mlp_lens.watch(model, self.run_dir("e%d" % every), every=every, epochs=1, steps_per_epoch=10,
                                optimizer=opt) as lens:
                for step, (x, y) in enumerate(batches(3, 10, 16, dtype=torch.float64)):
                    attached.append([len(m._forward_hooks) for m in linears])
                    opt.zero_grad()
                    loss = nn.functional.cross_entropy(model(x), y)
                    loss.backward()
                    opt.step()
                    lens.step(loss)
                    if lens.last_record["step"] == step + 1:
                        recs[step + 1] = lens.last_record
            runs[every] = (recs, attached)
        recs3, attached3 = runs[3]
        self.assertEqual(sorted(recs3), [1, 3, 6, 9, 10])
        # the steps before 1, 3, 6, 9 and 10 have every layer's hook; the others only layer 0's
        for step, counts in enumerate(attached3, start=1):
            want = [1] * 4 if step in recs3 else [1, 0, 0, 0]
            self.assertEqual(counts, want, "hooks attached for step %d" % step)
        self.assertEqual(runs[1][1], [[1] * 4] * 10)
        for step, rec in recs3.items():
            full = runs[1][0][step]
            for a, b in zip(rec["layers"], full["layers"]):
                self.assertEqual(a.keys(), b.keys())
                for key in a:
                    if isinstance(a[key], float):
                        self.assertAlmostEqual(a[key], b[key], delta=1e-12 * max(1.0, abs(b[key])), msg="step %d %s" % (step, key))
                    else:
                        self.assertEqual(a[key], b[key], "step %d %s" % (step, key))
        # steps 4-6's mean loss against the every-step run's losses
        mean = sum(runs[1][0][s]["loss"] for s in (4, 5, 6)) / 3
        self.assertAlmostEqual(recs3[6]["loss"], mean, delta=1e-12)

    def check_norms(self, p, lin, W, d, rtol, at):
        self.assertAlmostEqual(p["gradW"], lin.weight.grad.double().norm().item(), delta=rtol * p["gradW"], msg=at)
        self.assertAlmostEqual(p["gradB"], lin.bias.grad.double().norm().item(), delta=rtol * p["gradB"], msg=at)
        self.assertAlmostEqual(p["delta"], d.double().norm().item(), delta=rtol * p["delta"], msg=at)
        ratio = 0.05 * lin.weight.grad.double().norm().item() / W.double().norm().item()
        self.assertAlmostEqual(p["updateRatio"], ratio, delta=rtol * ratio, msg=at)

    def test_an_exception_in_the_block_records_the_run_as_stopped(self):
        model = mlp(2)
        with self.assertRaises(KeyError):
            with mlp_lens.watch(model, self.run_dir("h"), epochs=1):
                raise KeyError("interrupted")
        self.assertEqual(read_json(os.path.join(self.run_dir("h"), "summary.json"))["status"], "stopped")


if __name__ == "__main__":
    unittest.main()
