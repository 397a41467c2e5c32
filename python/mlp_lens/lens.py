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

from .record import HIDDEN, HIST_RANGE, SCALARS, RunWriter

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


def _apply_into(act, z, slope, out):
    """out = the hidden activation of z, the torch function the model applies (relu is
    clamp_min(z, 0) in ATen), written into a kept buffer."""
    if act == "sigmoid":
        torch.sigmoid(z, out=out)
    elif act == "tanh":
        torch.tanh(z, out=out)
    elif act == "relu":
        torch.clamp_min(z, 0, out=out)
    else:
        out.copy_(z)
        if act == "leaky_relu":
            torch.nn.functional.leaky_relu_(out, slope)


def _saturated_into(act, a, out, tmp):
    """Section 2.6: out = 1 where an entry of a hidden layer's output is saturated, else 0
    (float32: comparisons written as numbers are several times faster than as bools). tmp: a
    float32 buffer of a's shape. False for a linear layer (nothing saturates)."""
    if act == "sigmoid":
        torch.lt(a, 0.05, out=out)
        out.add_(torch.gt(a, 0.95, out=tmp))
    elif act == "tanh":  # |a| > 0.95: negation is exact
        torch.gt(a, 0.95, out=out)
        out.add_(torch.lt(a, -0.95, out=tmp))
    elif act == "relu":
        torch.eq(a, 0, out=out)
    elif act == "leaky_relu":
        torch.le(a, 0, out=out)
    else:
        return False
    return True


def _sq(x):
    """‖x‖², as a 0-d tensor on x's device: a dot product of x with itself for float32 and float64
    (BLAS: two to three times faster than vector_norm on the CPU), else vector_norm squared."""
    v = x.reshape(-1)
    if v.dtype is torch.float32 or v.dtype is torch.float64:
        return torch.dot(v, v)
    return torch.linalg.vector_norm(v).square()


def _scalar(x):
    """A loss or accuracy as kept until the next record: a float, or a detached device tensor."""
    if torch.is_tensor(x):
        return float(x) if x.is_cpu else x.detach()
    return float(x)


def _dist():
    d = torch.distributed
    if d.is_available() and d.is_initialized():
        return d.get_world_size(), d.get_rank()
    return 1, 0


class _GroupBuffers:
    """Kept buffers of the hidden layers of one width and activation, for one (rows, device,
    dtype): their activations a [G, rows, units] (written in the forward pass), float32 scratch
    for the saturation marks and then the histogram's bins (and a second one for sigmoid and
    tanh's two thresholds), int16 bin indices, and the bins' offsets per (layer, unit mod 8)."""

    def __init__(self, key, G, units, bins, act):
        rows, dev, dtype = key
        self.key = key
        self.a_all = torch.empty(G, rows, units, device=dev, dtype=dtype)
        self.a = list(self.a_all.unbind(0))
        self.f = torch.empty(G, rows, units, device=dev, dtype=torch.float32)
        self.tmp = torch.empty(G, rows, units, device=dev, dtype=torch.float32) if act in ("sigmoid", "tanh") else None
        # int16 holds every index (16 layers × 8 lanes × 100 bins < 2^15) and halves the traffic
        self.i = torch.empty(G, rows, units, device=dev, dtype=torch.int16)
        lane = torch.arange(units, device=dev, dtype=torch.int16).remainder_(8)
        layer = torch.arange(G, device=dev, dtype=torch.int16).mul_(8)
        self.offsets = (layer.view(G, 1, 1) + lane.view(1, 1, units)).mul_(bins)
        self.zero_units = torch.zeros(G, units, device=dev, dtype=torch.float32)


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
        self._slot = {}  # hidden layer k -> (its group, its index in the group)
        self._pos = {}  # hidden layer k -> its place in the groups' results, group after group
        for gi, idxs in enumerate(self._same):
            for j, k in enumerate(idxs):
                self._slot[k] = (gi, j)
                self._pos[k] = len(self._pos)
        # where layer k's histogram and per-unit counts are among the counts that come back: group
        # after group, its layers' histograms then their per-unit counts
        self._count_at, self._unit_at, c = {}, {}, 0
        for idxs in self._same:
            G, U = len(idxs), self.units[idxs[0]]
            for j, k in enumerate(idxs):
                self._count_at[k] = c + j * bins
                self._unit_at[k] = c + G * bins + j * U
            c += G * (bins + U)
        self._bufs = [{} for _ in self._same]  # per group: (rows, device, dtype) -> _GroupBuffers
        self._cur = [None] * len(self._same)  # per group: the buffers of this step's forward pass
        # state
        self.step_count = 0
        self.epoch_count = 0
        self.status = None
        self._rec = True  # step 1 is recorded
        self._rows = 0
        self._seen = [False] * (H + 1)  # layers whose activations this step's forward pass kept
        self._z_out = None  # the output layer's z
        self._dnorm = [None] * (H + 1)  # ‖δ_k‖ of this rank, from the hooks on z_k
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
        self._grad_hooks = [self._grad_hook(k) for k in range(H + 1)]
        self._last = None  # what the last record was made of; last_record builds the dict on demand
        self._last_dict = None
        # layer 0's hook counts every training step's rows; the others measure, and are attached
        # only for the forward passes of recorded steps (_arm): a module without hooks takes
        # torch's fast path, and an unrecorded step then costs one hook call
        self._hook_fns = [self._forward_hook(k) for k in range(H + 1)]
        self._hooks = [l.register_forward_hook(f) for l, f in zip(linears, self._hook_fns)]
        self._armed = True

    # ---- hooks -------------------------------------------------------------------------------

    def _forward_hook(self, k):
        lin = self.linears[k]
        units = lin.out_features
        hidden = k < self.H
        gi, j = self._slot.get(k, (None, None))
        grad_hook = self._grad_hooks[k]

        def hook(module, inp, out):
            if not torch.is_grad_enabled():
                return  # an evaluation pass: not a training step
            if k == 0:
                self._rows = inp[0].numel() // lin.in_features
            if not self._rec:
                return
            # detached tensors: no autograd graph (and no torch.no_grad() to enter)
            w = module.weight.detach()
            self._w0[k] = _sq(w) if self._plain_sgd else w.clone()
            z = out.detach().reshape(-1, units)
            if hidden:
                # a_k into its group's kept buffer, measured in lens.step with the group
                _apply_into(self.acts[k], z, self.slope, self._group_buffers(gi, j, z).a[j])
            else:
                self._z_out = z
            self._seen[k] = True
            self._dnorm[k] = None
            if out.requires_grad:
                out.register_hook(grad_hook)

        return hook

    def _grad_hook(self, k):
        def hook(g):
            # ‖δ_k‖ of this rank's rows, of the loss this rank back-propagated; the optimizer's
            # gradient is those ranks' gradients averaged (DDP) or summed (grad_reduction)
            self._dnorm[k] = _sq(g.detach())

        return hook

    def _group_buffers(self, gi, j, z):
        """The kept buffers of group gi for this step's z (rows, device, dtype); the group's
        layers must agree on them, as the activations are measured together."""
        key = (z.shape[0], z.device, z.dtype)
        cur = self._cur[gi]
        if cur is not None and cur.key == key:
            return cur
        if cur is not None and j and self._seen[self._same[gi][0]]:
            raise RuntimeError("watch: hidden layers %s (same width and activation) saw %s and %s rows in one forward "
                               "pass" % (self._same[gi], cur.key[0], key[0]))
        cache = self._bufs[gi]
        bufs = cache.get(key)
        if bufs is None:
            if len(cache) >= 4:
                cache.clear()
            k0 = self._same[gi][0]
            bufs = cache[key] = _GroupBuffers(key, len(self._same[gi]), self.units[k0], self.bins, self.acts[k0])
        self._cur[gi] = bufs
        return bufs

    def _hidden_stats(self):
        """The hidden layers' counts and sums from the activations the forward pass kept: layers
        of the same width and activation measured together (one op each for all of them). Returns
        per group ([G] ‖a‖, [G] Σa, [G, bins] histogram counts, [G, units] saturated counts)."""
        bins = self.bins
        out = []
        for gi, idxs in enumerate(self._same):
            k0 = idxs[0]
            act = self.acts[k0]
            bufs = self._cur[gi]
            A, Hb, I = bufs.a_all, bufs.f, bufs.i
            G = len(idxs)
            # saturated entries as 0/1 (float32 scratch, then the histogram's), counted per unit
            # (exact in float32 below 2^24 rows)
            per_unit = Hb.sum(dim=1) if _saturated_into(act, A, Hb, bufs.tmp) else bufs.zero_units
            norms = torch.linalg.vector_norm(A, dim=(1, 2))
            sums = A.sum(dim=(1, 2))
            # bin = floor((a − min) · scale), each step rounded to float32; below the range: bin 0;
            # at or past its end: the last bin (clamped first, truncation is the floor); NaN: bin 0
            lo = HIST_RANGE[act][0]
            scale = self._scales[k0]
            if A.dtype == torch.float32:
                if lo:
                    torch.sub(A, lo, out=Hb).mul_(scale)
                else:
                    torch.mul(A, scale, out=Hb)
            else:
                Hb.copy_(A)  # a.float() first, then float32 arithmetic
                if lo:
                    Hb.sub_(lo)
                Hb.mul_(scale)
            Hb.clamp_(0, bins - 1)
            # each (layer, unit mod 8) counts in its own bins: bincount's increments then seldom
            # wait on the one before (most of a ReLU layer's entries fall in one bin)
            I.copy_(Hb).add_(bufs.offsets)  # a NaN becomes 0 or negative (then caught below)
            try:
                counts = torch.bincount(I.view(-1), minlength=G * 8 * bins)
            except RuntimeError:  # a negative index: NaN activations (a diverging network)
                I.copy_(Hb.nan_to_num_(0.0)).add_(bufs.offsets)
                counts = torch.bincount(I.view(-1), minlength=G * 8 * bins)
            hist = counts.view(G, 8, bins).sum(dim=1)
            out.append((norms, sums, hist, per_unit))
        return out

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
        # kept until the next record sums them: read at once on the CPU (no synchronisation there,
        # and cheaper than detaching), else kept on the device (reading would synchronise)
        self._pending.append((_scalar(loss), 0.0 if accuracy is None else _scalar(accuracy), self._rows))
        if not self._rec:
            self._arm(self._recorded(self.step_count + 1))
            return
        self._record(lr)
        self._arm(self._recorded(self.step_count + 1))

    def _arm(self, rec):
        """Whether the next training step is recorded: the measuring hooks (every layer's but the
        first's) attached for it, or detached until a recorded step comes."""
        self._rec = rec
        if rec == self._armed:
            return
        self._armed = rec
        for k in range(1, self.H + 1):
            if rec:
                self._hooks[k] = self.linears[k].register_forward_hook(self._hook_fns[k])
            else:
                self._hooks[k].remove()

    def _fold(self, dev):
        """[Σ loss·rows, Σ accuracy·rows, Σ rows] of the steps since the last fold: Python floats
        on the CPU (reading a CPU tensor is no synchronisation), else float64 on dev; added to the
        epoch's sums."""
        p, self._pending = self._pending, []
        if len(p) == 1 and dev.type == "cpu":  # a record every step
            x, acc, r = p[0]
            r = float(r)
            sums = [float(x) * r, float(acc) * r, r]
        elif dev.type == "cpu" or not p:
            rs = [float(q[2]) for q in p]
            ls = [float(q[0]) for q in p]
            acs = [float(q[1]) for q in p]
            sums = [sum(x * r for x, r in zip(ls, rs)), sum(x * r for x, r in zip(acs, rs)), sum(rs)]
        else:
            cols = []
            for j in (0, 1):
                xs = [q[j] for q in p]
                if all(torch.is_tensor(x) for x in xs):
                    cols.append(torch.stack([x.reshape(()) for x in xs]).to(device=dev, dtype=F64))
                else:
                    cols.append(torch.tensor([float(x) for x in xs], dtype=F64, device=dev))
            rows = torch.tensor([q[2] for q in p], dtype=F64, device=dev)
            sums = torch.cat([torch.stack(cols) @ rows, rows.sum().reshape(1)])
        e = self._epoch_sums
        if e is None:
            self._epoch_sums = sums
        elif isinstance(e, list) and isinstance(sums, list):
            self._epoch_sums = [x + y for x, y in zip(e, sums)]
        else:
            self._epoch_sums = torch.as_tensor(e, dtype=F64, device=dev) + torch.as_tensor(sums, dtype=F64, device=dev)
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
        H = self.H
        if not all(self._seen):
            raise RuntimeError("lens.step: no forward pass of layer %d was seen this step (call lens.step once per "
                               "training step, after the forward and backward passes)" % self._seen.index(False))
        params = self._params
        # (`None in` a list of tensors would compare each tensor with None: slow)
        nograd = [k for k in range(H + 1) if self._dnorm[k] is None or params[k][0].grad is None]
        if nograd:
            raise RuntimeError("lens.step: layer %d has no gradient this step: call lens.step after loss.backward() "
                               "and optimizer.step(), before optimizer.zero_grad()" % nograd[0])
        # every tensor here is detached (or a .grad): no autograd graph is built
        z = self._z_out
        dev = z.device
        plain_sgd = self._plain_sgd
        stats = self._hidden_stats()
        p = torch.softmax(z, dim=1) if self.output == "softmax" else torch.sigmoid(z)
        # ‖dW‖², ‖db‖² and the update ratio's ‖ΔW‖², ‖W‖² (the same on every rank: not reduced),
        # in the tensors' own precision (BLAS and the GPU's reductions sum in blocks: a relative
        # error near 1e-7 in float32)
        loc = []
        for k, (weight, bias) in enumerate(params):
            w0 = self._w0[k]
            g = weight.grad
            wd = self._weight_decay(weight)
            if wd:
                g = g + wd * w0  # the gradient the step used (W before the step: w0)
            loc.append(_sq(g))
            loc.append(_sq(bias.grad) if bias is not None and bias.grad is not None else self._zero(g))
            if plain_sgd:
                loc.append(w0)  # ‖W‖ before the step; ‖ΔW‖ = lr·‖dW‖ (below)
            else:
                loc.append(_sq(weight.detach() - w0))
                loc.append(_sq(w0))
        # then the numbers all-reduced under torch.distributed: ‖δ_k‖², Σp² and Σp of the output,
        # the rows and loss sums (head), each group's ‖a‖ (squared to a sum of squares before the
        # reduction) and Σa, its histogram counts and saturated counts per unit: one vector
        nloc = len(loc)
        pieces = [torch.stack(loc + self._dnorm + [_sq(p), p.sum()])]
        since = self._fold(dev)
        head = None
        if self.world > 1 or not isinstance(since, list):
            head = torch.tensor([self._rows] + since, dtype=F64, device=dev) if isinstance(since, list) \
                else torch.cat([torch.tensor([self._rows], dtype=F64, device=dev), since])
            pieces.append(head)
        g0 = nloc + H + 3 + (4 if head is not None else 0)
        pieces += [s[0] for s in stats]
        pieces += [s[1] for s in stats]
        for s in stats:
            pieces.append(s[2].view(-1))
            pieces.append(s[3].view(-1))
        v = torch.cat(pieces)
        if self.world > 1:
            v[g0:g0 + H].square_()
            torch.distributed.all_reduce(v[nloc:])
        v = v.cpu()  # the one transfer to the host
        nf = g0 + 2 * H
        vals = v[:nf].tolist()
        cnt = v[nf:].long().tolist()
        self._seen = [False] * (H + 1)
        self._dnorm = [None] * (H + 1)
        self._w0 = [None] * (H + 1)
        self._z_out = None
        grows, lsum, asum, srows = vals[nloc + H + 3:nloc + H + 7] if head is not None else [self._rows] + since
        loss = lsum / srows if srows else float("nan")
        acc = asum / srows if srows else float("nan")
        # per layer: (saturation, mean, std, gradW, gradB, delta, updateRatio), histogram, unit counts
        dsq = vals[nloc:nloc + H + 2]  # ‖δ_k‖² (k = 0..H), ‖p‖²
        asq = vals[g0:g0 + H]  # ‖a_k‖ (group order): squared below unless reduced
        if self.world == 1:
            asq = [x * x for x in asq]
        psum = vals[nloc + H + 2]
        asum_ = vals[g0 + H:nf]  # Σa_k (group order)
        scalars, hists, ucounts = [], [], []
        per = 3 if plain_sgd else 4
        ds = self._delta_scale
        for k in range(H + 1):
            gw, gb = math.sqrt(vals[per * k]), math.sqrt(vals[per * k + 1])
            if plain_sgd:
                dw, w = self._group_lr(params[k][0]) * gw, math.sqrt(vals[per * k + 2])
            else:
                dw, w = math.sqrt(vals[per * k + 2]), math.sqrt(vals[per * k + 3])
            if k < H:
                N = grows * self.units[k]
                i = self._pos[k]
                s1, s2 = asum_[i], asq[i]
                c, units = self._count_at[k], self.units[k]
                hists.append(cnt[c:c + self.bins])
                c = self._unit_at[k]
                u = cnt[c:c + units]
                sat = sum(u) / N
                ucounts.append(u if self.unit_sat else None)
            else:
                N = grows * (self.units[k] if self.output == "softmax" else 1)
                s1, s2 = psum, dsq[H + 1]
                sat = None
            mean = s1 / N
            scalars.append((sat, mean, math.sqrt(max(s2 / N - mean * mean, 0.0)), gw, gb,
                            math.sqrt(dsq[k]) * ds, dw / w if w > 0 else 0.0))
        self._last = (self.step_count, self.epoch_count, loss, acc, self._lr(lr), scalars, hists, ucounts)
        self._last_dict = None
        if self.rank == 0:
            if self.writer is None:
                self._open_writer(int(grows))
            self.writer.samples += int(srows)
            self.writer.step_values(self._last, int(grows), self._step_dict)
        if not math.isfinite(loss):
            self._divergence = {"step": self.step_count, "epoch": self.epoch_count, "layer": None, "where": "loss",
                                "message": "the loss is %s at step %d" % (loss, self.step_count)}
            raise Diverged(self._divergence["message"])

    def _zero(self, like):
        z = getattr(self, "_zero_t", None)
        if z is None or z.device != like.device or z.dtype != like.dtype:
            z = self._zero_t = torch.zeros((), device=like.device, dtype=like.dtype)
        return z

    def _step_dict(self):
        """The last step record as a dict (as metrics.jsonl holds it, with per-unit saturation as
        counts in 'unitCounts')."""
        step, epoch, loss, acc, lr, scalars, hists, ucounts = self._last
        layers = []
        for k, sc in enumerate(scalars):
            p = {"layer": k, "activation": self.acts[k] if k < self.H else self.output}
            p.update(zip(SCALARS, sc))
            if k < self.H:
                lo, hi = HIST_RANGE[self.acts[k]]
                p["histogram"] = {"min": lo, "max": hi, "counts": hists[k]}
                if ucounts[k] is not None:
                    p["unitCounts"] = ucounts[k]
            layers.append(p)
        return {"kind": "step", "step": step, "epoch": epoch, "loss": loss, "accuracy": acc, "lr": lr, "layers": layers}

    @property
    def last_record(self):
        """The last step record (a dict, built when first asked for), or None."""
        if self._last is None:
            return None
        if self._last_dict is None:
            self._last_dict = self._step_dict()
        return self._last_dict

    def epoch(self, train=None, test=None):
        """Call at each epoch's end (on every rank). train/test: (loss, accuracy) or
        {"loss", "accuracy"}; train defaults to the running mean over the epoch's steps."""
        self.epoch_count += 1
        dev = self.linears[0].weight.device
        self._fold(dev)
        sums, self._epoch_sums = self._epoch_sums, None
        if train is None:
            if self.world > 1:
                sums = torch.as_tensor(sums, dtype=F64, device=dev)
                torch.distributed.all_reduce(sums)
            l, a, n = sums.tolist() if torch.is_tensor(sums) else sums
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
