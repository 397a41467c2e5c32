"""watch on its own: which layers and activations it finds, what it refuses, a run that diverges
or stops, the histogram of NaN activations, and a model whose activations are functions."""
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

    def test_an_exception_in_the_block_records_the_run_as_stopped(self):
        model = mlp(2)
        with self.assertRaises(KeyError):
            with mlp_lens.watch(model, self.run_dir("h"), epochs=1):
                raise KeyError("interrupted")
        self.assertEqual(read_json(os.path.join(self.run_dir("h"), "summary.json"))["status"], "stopped")


if __name__ == "__main__":
    unittest.main()
