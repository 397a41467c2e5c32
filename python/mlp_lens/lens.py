"""watch(): MLP Lens's probes on a PyTorch model, written as a run record.

Every recorded step measures, for each weight layer k of the model (its nn.Linear layers in
registration order), exactly the engine's probes (docs/dump-format.md sections 2.5, 2.6 and 5):
saturation overall and per unit, the mean, standard deviation and fixed-range histogram of the
layer's activations, ‖δ_k‖ (the gradient of the loss with respect to the layer's
pre-activations z_k, from a hook on z_k: no extra backward pass), ‖dW_k‖, ‖db_k‖ and the update
ratio ‖ΔW_k‖/‖W_k‖. Everything is computed with torch ops on the device the tensors live on;
one small vector per recorded step comes back to the host. Steps that are not recorded cost a
few Python calls and no synchronisation.

Under torch.distributed each rank measures its own rows, the counts and sums are all-reduced
(one all_reduce per recorded step) and rank 0 alone writes, so the record describes the global
batch as one process on the whole batch would.
"""
import math
import os
import struct

import torch
from torch import nn

from .record import HIDDEN, HIST_RANGE, RunWriter

ACTIVATION_MODULES = ((nn.Sigmoid, "sigmoid"), (nn.Tanh, "tanh"), (nn.ReLU, "relu"), (nn.LeakyReLU, "leaky_relu"), (nn.Identity, "linear"))
F64 = torch.float64


class Diverged(ArithmeticError):
    """The loss became non-finite: the run is recorded as diverged (the context manager ends the
    training block quietly after recording it)."""


def _f32(x):
    return struct.unpack("<f", struct.pack("<f", x))[0]


def _activation_of(m):
    for cls, name in ACTIVATION_MODULES:
        if isinstance(m, cls):
            return name, (m.negative_slope if name == "leaky_relu" else None)
    return None, None


def _apply(act, z, slope):
    if act == "sigmoid":
        return torch.sigmoid(z)
    if act == "tanh":
        return torch.tanh(z)
    if act == "relu":
        return torch.relu(z)
    if act == "leaky_relu":
        return torch.nn.functional.leaky_relu(z, slope)
    return z


def _saturated(act, a):
    """Section 2.6: the entries of a hidden layer's output that are saturated (None: linear)."""
    if act == "sigmoid":
        return (a < 0.05) | (a > 0.95)
    if act == "tanh":
        return a.abs() > 0.95
    if act == "relu":
        return a == 0
    if act == "leaky_relu":
        return a <= 0
    return None


def _norm(x):
    return torch.linalg.vector_norm(x)


def _dist():
    d = torch.distributed
    if d.is_available() and d.is_initialized():
        return d.get_world_size(), d.get_rank()
    return 1, 0


class Lens:
    def __init__(self, model, run_dir, name="pytorch", variant="base", every=1, bins=20, *, activations=None,
                 output="softmax", leaky_relu_slope=None, unit_saturation=True, epochs=None, steps_per_epoch=None,
                 batch_size=None, optimizer=None, config=None, config_file=None, record_format="binary", dataset=None,
                 grad_reduction="mean"):
        net = model.module if isinstance(getattr(model, "module", None), nn.Module) else model
        if not isinstance(every, int) or every < 1:
            raise ValueError("watch: every must be a whole number of steps >= 1, not %r" % (every,))
        if not isinstance(bins, int) or not 4 <= bins <= 100:
            raise ValueError("watch: bins must be a whole number from 4 to 100, not %r" % (bins,))
        if output not in ("softmax", "sigmoid"):
            raise ValueError("watch: output must be 'softmax' or 'sigmoid', not %r" % (output,))
        if grad_reduction not in ("mean", "sum"):
            raise ValueError("watch: grad_reduction must be 'mean' (DDP) or 'sum', not %r" % (grad_reduction,))
        if record_format not in ("binary", "jsonl"):
            raise ValueError("watch: record_format must be 'binary' or 'jsonl', not %r" % (record_format,))
        # the nn.Linear layers in registration order, and the activation module after each
        linears, found = [], []
        for m in net.modules():
            if isinstance(m, nn.Linear):
                linears.append(m)
                found.append((None, None))
            elif linears and found[-1][0] is None:
                act, slope = _activation_of(m)
                if act is not None:
                    found[-1] = (act, slope)
        if not linears:
            raise ValueError("watch: the model has no nn.Linear layer")
        H = len(linears) - 1
        if H > 16:
            raise ValueError("watch: the model has %d hidden layers; MLP Lens records at most 16" % H)
        for k in range(H):
            if linears[k].out_features != linears[k + 1].in_features:
                raise ValueError("watch: nn.Linear layer %d gives %d outputs but layer %d takes %d inputs: the "
                                 "Linear layers must form a chain" % (k, linears[k].out_features, k + 1, linears[k + 1].in_features))
        if isinstance(activations, str):
            activations = [activations] * H
        if activations is not None and len(activations) != H:
            raise ValueError("watch: activations names %d activations; the model has %d hidden layers" % (len(activations), H))
        acts, slope = [], leaky_relu_slope
        for k in range(H):
            act = activations[k] if activations is not None else found[k][0]
            if act is None:
                raise ValueError("watch: hidden layer %d (nn.Linear %d->%d) has no activation module after it; name its "
                                 "activation in watch(activations=[...]) (one of %s)" % (k, linears[k].in_features, linears[k].out_features, ", ".join(HIDDEN)))
            if act not in HIDDEN:
                raise ValueError("watch: activation %r of hidden layer %d is not one of %s" % (act, k, ", ".join(HIDDEN)))
            if act == "leaky_relu" and slope is None:
                slope = found[k][1] if found[k][0] == "leaky_relu" else 0.01
            acts.append(act)
        if output == "sigmoid" and linears[-1].out_features != 1:
            raise ValueError("watch: a sigmoid output has one unit; the last nn.Linear has %d" % linears[-1].out_features)
        self.model, self.linears, self.H, self.acts = model, linears, H, acts
        self.slope = 0.01 if slope is None else float(slope)
        self.output, self.every, self.bins, self.unit_sat = output, every, bins, bool(unit_saturation)
        self.optimizer = optimizer
        self.world, self.rank = _dist()
        # δ of the loss the optimizer's gradient is the gradient of: the ranks' own losses averaged
        # (DDP, grad_reduction="mean") or summed (a loop that sums the ranks' gradients)
        self._delta_scale = 1.0 / self.world if grad_reduction == "mean" else 1.0
        self.units = [l.out_features for l in linears]
        self._params = [(l.weight, l.bias) for l in linears]
        self.epochs_planned = int(epochs) if epochs else None
        self.steps_planned = int(steps_per_epoch) * self.epochs_planned if steps_per_epoch and self.epochs_planned else None
        self._scales = [_f32(bins / (HIST_RANGE[a][1] - HIST_RANGE[a][0])) for a in acts]
        same = {}
        for k in range(H):
            same.setdefault((acts[k], self.units[k]), []).append(k)
        self._same = list(same.values())
        # state
        self.step_count = 0
        self.epoch_count = 0
        self.status = None
        self._rec = True  # step 1 is recorded
        self._rows = 0
        self._stats = [None] * (H + 1)
        self._dsq = [None] * (H + 1)
        self._w0 = [None] * (H + 1)
        self._pending = []  # (loss, accuracy, rows) of the steps since the last record, unread
        self._epoch_sums = None  # float64 [loss·rows, accuracy·rows, rows] of the epoch's recorded part
        # plain SGD (no momentum, no weight decay) changes W by lr·dW: ‖ΔW‖ = lr·‖dW‖, without a
        # copy of W; other optimizers' ΔW is measured against a copy of W taken in the forward pass
        self._groups = {}
        if optimizer is not None:
            for g in optimizer.param_groups:
                for q in g["params"]:
                    self._groups[id(q)] = g
        self._plain_sgd = type(optimizer) is torch.optim.SGD \
            and all(not g.get("momentum", 0) and not g.get("weight_decay", 0) for g in optimizer.param_groups) \
            and all(id(l.weight) in self._groups for l in linears)
        self._last_loss = None
        self.writer = None
        self._writer_args = dict(run_dir=run_dir, name=name, variant=variant, batch_size=batch_size, config=config,
                                 config_file=config_file, record_format=record_format, dataset=dataset)
        self._hooks = [l.register_forward_hook(self._forward_hook(k)) for k, l in enumerate(linears)]

    # ---- hooks -------------------------------------------------------------------------------

    def _forward_hook(self, k):
        lin = self.linears[k]
        units = lin.out_features

        def hook(module, inp, out):
            if not torch.is_grad_enabled():
                return  # an evaluation pass: not a training step
            if k == 0:
                self._rows = inp[0].numel() // lin.in_features
            if not self._rec:
                return
            with torch.no_grad():
                w = module.weight.detach()
                self._w0[k] = _norm(w) if self._plain_sgd else w.clone()
                z = out.detach().reshape(-1, units)
                if k < self.H:
                    self._stats[k] = z  # measured in lens.step, with the layers of its width
                else:
                    p = torch.softmax(z, dim=1) if self.output == "softmax" else torch.sigmoid(z)
                    self._stats[k] = torch.stack([p.sum(), p.square().sum()]).to(F64)
            self._dsq[k] = None
            if out.requires_grad:
                out.register_hook(self._grad_hook(k, units))

        return hook

    def _grad_hook(self, k, units):
        def hook(g):
            # ‖δ_k‖² of this rank's rows, of the loss this rank back-propagated; the optimizer's
            # gradient is those ranks' gradients averaged (DDP) or summed (grad_reduction)
            self._dsq[k] = g.detach().square().sum()

        return hook

    def _hidden_stats(self):
        """The hidden layers' counts and sums, from the z_k the forward pass kept: layers of the
        same width and activation measured together (one op each for all of them)."""
        bins = self.bins
        for idxs in self._same:
            act, units = self.acts[idxs[0]], self.units[idxs[0]]
            z = torch.stack([self._stats[k] for k in idxs]) if len(idxs) > 1 else self._stats[idxs[0]].unsqueeze(0)
            G = len(idxs)
            a = _apply(act, z, self.slope)  # [G, rows, units]
            sat = _saturated(act, a)
            per_unit = torch.zeros(G, units, dtype=torch.long, device=a.device) if sat is None else sat.sum(dim=1)
            sums = torch.stack([a.sum(dim=(1, 2)), torch.linalg.vector_norm(a, dim=(1, 2)).square()], dim=1)
            # bin = floor((a − min) · scale), each step rounded to float32; below the range: bin 0;
            # at or past its end: the last bin (clamped first, truncation is the floor); NaN: bin 0
            lo = HIST_RANGE[act][0]
            scale = self._scales[idxs[0]]
            b = (a.float() - lo).mul_(scale) if lo else a.float() * scale  # never a in place: it may be z
            b.clamp_(0, bins - 1)
            bi = b.int()  # a NaN becomes negative (x86) or 0 (ARM)
            if G > 1:
                bi += (torch.arange(G, device=b.device, dtype=torch.int32) * bins).view(G, 1, 1)
            try:
                hist = torch.bincount(bi.reshape(-1), minlength=G * bins)
            except RuntimeError:  # a negative index: NaN activations (a diverging network)
                bi = b.nan_to_num_(0.0).int()
                if G > 1:
                    bi += (torch.arange(G, device=b.device, dtype=torch.int32) * bins).view(G, 1, 1)
                hist = torch.bincount(bi.reshape(-1), minlength=G * bins)
            hist = hist.view(G, bins)
            counts = torch.cat([per_unit.sum(dim=1, keepdim=True), hist] + ([per_unit] if self.unit_sat else []), dim=1).to(F64)
            m = torch.cat([counts[:, :1], sums.to(F64), counts[:, 1:]], dim=1)
            for j, k in enumerate(idxs):
                self._stats[k] = m[j]

    # ---- the training loop's calls -------------------------------------------------------------

    def _recorded(self, step):
        return step == 1 or step % self.every == 0 or (self.steps_planned is not None and step == self.steps_planned)

    def step(self, loss, accuracy=None, lr=None):
        """Call once per training step, after optimizer.step() and before the gradients are
        zeroed. loss: the step's mean loss over this rank's rows (a tensor or a number);
        accuracy: the fraction of this rank's rows classified right (optional)."""
        if self.status is not None:
            raise RuntimeError("lens.step: the lens is closed (%s)" % self.status)
        self.step_count += 1
        # kept as they are (no device op, no synchronisation) until the next record sums them
        self._pending.append((loss.detach() if torch.is_tensor(loss) else float(loss),
                              0.0 if accuracy is None else accuracy.detach() if torch.is_tensor(accuracy) else float(accuracy),
                              self._rows))
        if not self._rec:
            self._rec = self._recorded(self.step_count + 1)
            return
        self._record(lr)
        self._rec = self._recorded(self.step_count + 1)

    def _fold(self, dev):
        """[Σ loss·rows, Σ accuracy·rows, Σ rows] of the steps since the last fold (float64 on dev);
        added to the epoch's sums."""
        p, self._pending = self._pending, []
        if p and dev.type == "cpu":  # reading a CPU tensor is no synchronisation
            rs = [float(q[2]) for q in p]
            ls = [float(q[0]) for q in p]
            acs = [float(q[1]) for q in p]
            sums = torch.tensor([sum(x * r for x, r in zip(ls, rs)), sum(x * r for x, r in zip(acs, rs)), sum(rs)], dtype=F64)
        elif p:
            cols = []
            for j in (0, 1):
                xs = [q[j] for q in p]
                if all(torch.is_tensor(x) for x in xs):
                    cols.append(torch.stack([x.reshape(()) for x in xs]).to(device=dev, dtype=F64))
                else:
                    cols.append(torch.tensor([float(x) for x in xs], dtype=F64, device=dev))
            rows = torch.tensor([q[2] for q in p], dtype=F64, device=dev)
            sums = torch.cat([torch.stack(cols) @ rows, rows.sum().reshape(1)])
        else:
            sums = torch.zeros(3, dtype=F64, device=dev)
        self._epoch_sums = sums if self._epoch_sums is None else self._epoch_sums + sums
        return sums

    def _lr(self, lr):
        if lr is not None:
            return float(lr)
        if self.optimizer is not None:
            return float(self.optimizer.param_groups[0]["lr"])
        return 0.0

    def _group_lr(self, p):
        return float(self._groups[id(p)]["lr"])

    def _weight_decay(self, p):
        g = self._groups.get(id(p))
        if g is None or type(self.optimizer).__name__ == "AdamW":
            return 0.0
        return float(g.get("weight_decay", 0.0))

    def _record(self, lr):
        missing = [k for k in range(self.H + 1) if self._stats[k] is None]
        if missing:
            raise RuntimeError("lens.step: no forward pass of layer %d was seen this step (call lens.step once per "
                               "training step, after the forward and backward passes)" % missing[0])
        nograd = [k for k in range(self.H + 1) if self._dsq[k] is None or self._params[k][0].grad is None]
        if nograd:
            raise RuntimeError("lens.step: layer %d has no gradient this step: call lens.step after loss.backward() "
                               "and optimizer.step(), before optimizer.zero_grad()" % nograd[0])
        dev = self._stats[0].device
        self._hidden_stats()
        rows = self._rows
        since = self._fold(dev)
        red = torch.cat([torch.tensor([rows], dtype=F64, device=dev), since] + self._stats
                        + [torch.stack(self._dsq).to(device=dev, dtype=F64)])
        loc = []
        with torch.no_grad():
            for k, (weight, bias) in enumerate(self._params):
                W, w0 = weight.detach(), self._w0[k]
                g = weight.grad
                wd = self._weight_decay(weight)
                if wd:
                    g = g + wd * w0  # the gradient the step used (W before the step: w0)
                b = bias.grad if bias is not None and bias.grad is not None else torch.zeros(1, device=W.device)
                # norms in the tensors' own precision (torch's CPU and GPU reductions sum in
                # blocks: a relative error near 1e-7 in float32), returned as float64
                if self._plain_sgd:
                    loc.append(torch.stack([_norm(g), _norm(b), w0, w0]))
                else:
                    loc.append(torch.stack([_norm(g), _norm(b), _norm(W - w0), _norm(w0)]))
        if self.world > 1:
            torch.distributed.all_reduce(red)
        vals = torch.cat([red, torch.cat(loc).to(device=dev, dtype=F64)]).tolist()  # the one transfer to the host
        self._stats = [None] * (self.H + 1)
        self._dsq = [None] * (self.H + 1)
        self._w0 = [None] * (self.H + 1)
        grows, lsum, asum, srows = vals[0], vals[1], vals[2], vals[3]
        H, bins = self.H, self.bins
        # where each layer's numbers are in vals: hidden [sat, Σa, Σa², hist…, units…], output [Σp, Σp²]
        at, i = [], 4
        for k in range(H + 1):
            at.append(i)
            i += 3 + bins + (self.units[k] if self.unit_sat else 0) if k < H else 2
        dsq, norms = vals[i:i + H + 1], vals[i + H + 1:]
        layers = []
        for k in range(H + 1):
            j = at[k]
            N = grows * (self.units[k] if k < H or self.output == "softmax" else 1)
            s1, s2 = (vals[j + 1], vals[j + 2]) if k < H else (vals[j], vals[j + 1])
            mean = s1 / N
            gw, gb, dw, w = norms[4 * k:4 * k + 4]
            if self._plain_sgd:
                dw = self._group_lr(self._params[k][0]) * gw
            p = {"layer": k, "activation": self.acts[k] if k < H else self.output, "saturation": vals[j] / N if k < H else None,
                 "mean": mean, "std": math.sqrt(max(s2 / N - mean * mean, 0.0)), "gradW": gw, "gradB": gb,
                 "delta": math.sqrt(dsq[k]) * self._delta_scale, "updateRatio": dw / w if w > 0 else 0.0}
            if k < H:
                lo, hi = HIST_RANGE[self.acts[k]]
                p["histogram"] = {"min": lo, "max": hi, "counts": list(map(int, vals[j + 3:j + 3 + bins]))}
                if self.unit_sat:
                    # per-unit counts; the fractions (count / rows) are made where JSON is written
                    p["unitCounts"] = list(map(int, vals[j + 3 + bins:j + 3 + bins + self.units[k]]))
            layers.append(p)
        loss = lsum / srows if srows else float("nan")
        acc = asum / srows if srows else float("nan")
        rec = {"kind": "step", "step": self.step_count, "epoch": self.epoch_count, "loss": loss, "accuracy": acc,
               "lr": self._lr(lr), "layers": layers}
        self.last_record = rec
        if self.rank == 0:
            if self.writer is None:
                self._open_writer(int(grows))
            self.writer.samples += int(srows)
            self.writer.step(rec, int(grows))
        if not math.isfinite(loss):
            self._divergence = {"step": self.step_count, "epoch": self.epoch_count, "layer": None, "where": "loss",
                                "message": "the loss is %s at step %d" % (loss, self.step_count)}
            raise Diverged(self._divergence["message"])

    def epoch(self, train=None, test=None):
        """Call at each epoch's end (on every rank). train/test: (loss, accuracy) or
        {"loss", "accuracy"}; train defaults to the running mean over the epoch's steps."""
        self.epoch_count += 1
        dev = self.linears[0].weight.device
        self._fold(dev)
        sums, self._epoch_sums = self._epoch_sums, None
        if train is None:
            if self.world > 1:
                torch.distributed.all_reduce(sums)
            l, a, n = sums.tolist()
            train = (l / n, a / n) if n else (float("nan"), float("nan"))
        rec = {"kind": "epoch", "epoch": self.epoch_count, "step": self.step_count, "train": _eval(train), "test": _eval(test)}
        if self.rank == 0:
            if self.writer is None:
                self._open_writer(self._rows * self.world)
            self.writer.epoch(rec)
        return rec

    def close(self, status="completed", divergence=None):
        """Ends the run: its status (completed, stopped, diverged), the weights to model.json."""
        if self.status is not None:
            return
        self.status = status
        for h in self._hooks:
            h.remove()
        if self.rank != 0:
            return
        if self.writer is None:
            self._open_writer(max(1, self._rows * self.world))
        self.writer.summary["steps"] = self.step_count
        with torch.no_grad():
            ws = [l.weight.detach().float().cpu().reshape(-1).tolist() for l in self.linears]
            bs = [(l.bias.detach().float().cpu().tolist() if l.bias is not None else [0.0] * l.out_features) for l in self.linears]
        sizes = [self.linears[0].in_features] + self.units
        self.writer.write_model(sizes, self.acts + [self.output], self.slope, ws, bs)
        self.writer.close(status, divergence=divergence or getattr(self, "_divergence", None))

    def __enter__(self):
        return self

    def __exit__(self, et, ev, tb):
        if et is None:
            self.close("completed")
            return False
        if issubclass(et, Diverged):
            self.close("diverged")
            return True
        self.close("stopped")
        return False

    # ---- the run record ------------------------------------------------------------------------

    def _open_writer(self, rows):
        a = self._writer_args
        batch = a["batch_size"] or rows
        given = dict(a["config"] or {})
        params = sum(l.weight.numel() + (l.bias.numel() if l.bias is not None else 0) for l in self.linears)
        epochs = self.epochs_planned or given.get("epochs") or 10000
        cfg = {
            "name": a["name"], "variant": a["variant"],
            "dataset": a["dataset"] or {"type": "pytorch", "classes": self.units[-1] if self.output == "softmax" else 2},
            "layers": self.units[:-1], "activation": self.acts, "leakyReluSlope": self.slope, "output": self.output,
            "init": {"scheme": "pytorch", "std": 0, "limit": 0, "bias": 0},
            "optimizer": _optimizer_spec(self.optimizer), "lr": self._lr(None), "schedule": {"type": "constant"},
            "batchSize": int(batch), "epochs": int(epochs), "seed": 0,
            "probes": {"every": self.every, "histogramBins": self.bins, "unitSaturation": self.unit_sat},
        }
        for key, v in given.items():
            if key not in ("layers", "activation", "output", "probes", "name", "variant"):
                cfg[key] = v
        cfg["batchSize"] = max(int(cfg["batchSize"]), int(rows))
        kernel = "pytorch %s %s" % (torch.__version__, self.linears[0].weight.device.type)
        if self.world > 1:
            kernel += " x%d ranks" % self.world
        self.writer = RunWriter(a["run_dir"], cfg, self.units[-1], cfg["batchSize"], params,
                                self.steps_planned or 0, kernel, a["record_format"], a["config_file"])


def _eval(v):
    if v is None:
        return None
    if isinstance(v, dict):
        return {"loss": float(v["loss"]), "accuracy": float(v["accuracy"])}
    return {"loss": float(v[0]), "accuracy": float(v[1])}


def _optimizer_spec(opt):
    spec = {"type": "sgd", "momentum": 0, "nesterov": False, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8, "weightDecay": 0}
    if opt is None:
        return spec
    g = opt.param_groups[0]
    name = type(opt).__name__.lower()
    spec["weightDecay"] = float(g.get("weight_decay", 0))
    if name.startswith("adam"):
        spec["type"] = "adam"
        spec["beta1"], spec["beta2"] = (float(b) for b in g.get("betas", (0.9, 0.999)))
        spec["epsilon"] = float(g.get("eps", 1e-8))
    elif name == "sgd" and g.get("momentum", 0):
        spec["type"] = "momentum"
        spec["momentum"] = float(g["momentum"])
        spec["nesterov"] = bool(g.get("nesterov", False))
    elif name != "sgd":
        spec["type"] = name
    return spec


def watch(model, run_dir, name="pytorch", variant="base", every=1, bins=20, **options):
    """Hooks `model`'s nn.Linear layers and records MLP Lens's probes into the run folder
    `run_dir` every `every` steps (and at step 1). See docs/pytorch.md for the options."""
    return Lens(model, run_dir, name, variant, every, bins, **options)
