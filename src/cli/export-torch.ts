/**
 * mlp-lens export torch CONFIG [--variant V] --out DIR: a standalone PyTorch training script for
 * a config (DIR/train.py) and the data it trains on (DIR/data/*.npy: the config's dataset as the
 * engine loads, splits and standardizes it), so a network designed in the editor trains in
 * PyTorch on any hardware and its run (recorded by mlp_lens.watch, python/) opens beside the
 * engine's. The script reads the .npy files without numpy.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Dataset, ResolvedConfig } from '../engine/types';
import { writeFailure } from '../runs/faults';
import { checkOutFolder } from '../runs/outdir';
import { slug } from '../runs/names';
import { say } from './print';

/** A .npy file (format 1.0, little-endian, C order) of `shape` holding `data`. */
export function npyBytes(data: Float32Array | BigInt64Array, shape: number[]): Buffer {
  const descr = data instanceof Float32Array ? '<f4' : '<i8';
  const dims = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${dims}, }`;
  header += ' '.repeat(63 - ((10 + header.length) % 64)) + '\n'; // the data starts at a multiple of 64
  const head = Buffer.alloc(10 + header.length);
  head.write('\x93NUMPY', 0, 'latin1');
  head[6] = 1;
  head[7] = 0;
  head.writeUInt16LE(header.length, 8);
  head.write(header, 10, 'latin1');
  return Buffer.concat([head, Buffer.from(data.buffer, data.byteOffset, data.byteLength)]);
}

/** A JSON value as a Python literal (True/False/None), indented like JSON. */
export function pyLiteral(value: unknown, indent = ''): string {
  if (value === null || value === undefined) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (typeof value === 'number') return Number.isFinite(value) ? JSON.stringify(value) : `float("${value}")`;
  if (typeof value === 'string') return JSON.stringify(value);
  const inner = indent + '    ';
  if (Array.isArray(value)) {
    if (value.every((v) => typeof v !== 'object' || v === null)) return `[${value.map((v) => pyLiteral(v)).join(', ')}]`;
    return `[\n${value.map((v) => inner + pyLiteral(v, inner)).join(',\n')},\n${indent}]`;
  }
  const entries = Object.entries(value as Record<string, unknown>);
  const flat = entries.every(([, v]) => typeof v !== 'object' || v === null);
  if (flat) return `{${entries.map(([k, v]) => `${JSON.stringify(k)}: ${pyLiteral(v)}`).join(', ')}}`;
  return `{\n${entries.map(([k, v]) => `${inner}${JSON.stringify(k)}: ${pyLiteral(v, inner)}`).join(',\n')},\n${indent}}`;
}

const labels = (y: Int32Array): BigInt64Array => BigInt64Array.from(y, (v) => BigInt(v));

/** Writes DIR/train.py and DIR/data/; returns the files written. */
export function exportTorch(cfgs: ResolvedConfig[], data: Dataset, configFile: string, out: string): string[] {
  checkOutFolder(out);
  const dataDir = path.join(out, 'data');
  const F = data.features;
  const files: [string, Buffer | string][] = [
    [path.join(dataDir, 'train_x.npy'), npyBytes(data.trainX, [data.trainY.length, F])],
    [path.join(dataDir, 'train_y.npy'), npyBytes(labels(data.trainY), [data.trainY.length])],
    [path.join(dataDir, 'test_x.npy'), npyBytes(data.testX, [data.testY.length, F])],
    [path.join(dataDir, 'test_y.npy'), npyBytes(labels(data.testY), [data.testY.length])],
    [path.join(out, 'train.py'), torchScript(cfgs, data, path.basename(configFile))],
  ];
  for (const [file, bytes] of files) {
    try {
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file + '.tmp', bytes, { mode: file.endsWith('.py') ? 0o755 : 0o644 });
      fs.renameSync(file + '.tmp', file);
    } catch (e) {
      throw writeFailure(file, e);
    }
  }
  say(`wrote ${path.join(out, 'train.py')} (${cfgs.map((c) => c.variant).join(', ')}) and ${dataDir}/: ${data.trainY.length} training and ${data.testY.length} test examples of ${F} features, ${data.classes} classes`);
  say(`run it: python3 ${path.join(out, 'train.py')}   (needs torch and mlp_lens: pip install ./python; see docs/pytorch.md)`);
  return files.map(([f]) => f);
}

/** The script: the configs as Python data, then readable PyTorch. */
export function torchScript(cfgs: ResolvedConfig[], data: Dataset, configName: string): string {
  const first = cfgs[0]!;
  const folders = Object.fromEntries(cfgs.map((c) => [c.variant, slug(c.variant)]));
  return `#!/usr/bin/env python3
"""${first.name}: ${cfgs.map((c) => c.variant).join(', ')}, exported from ${configName} by \`mlp-lens export torch\`.

The network, initialization scheme, optimizer, learning-rate schedule, batch size, epochs and
seed of each variant as MLP Lens trains it, on the same data split (data/*.npy, written as the
engine loaded it: ${data.description.replace(/"/g, "'")}), with mlp_lens.watch recording the same probes
into run folders that MLP Lens opens beside its own runs (Open Run..., Follow Run...). PyTorch
draws its own random numbers: a seed gives other initial weights and batch orders than the
engine's, from the same distributions.

usage: python3 train.py [--variant NAME] [--seed N [--seed N ...]] [--epochs N] [--out DIR] [--device DEVICE]
Runs go to OUT/<variant>/ (OUT/<variant>-seed-N/ with several seeds); OUT defaults to runs/ here.
"""
import argparse
import ast
import math
import os
import sys

import torch
from torch import nn

try:
    import mlp_lens
except ImportError:
    sys.exit("train.py needs the mlp_lens package: pip install <the MLP Lens repository>/python (docs/pytorch.md)")

HERE = os.path.dirname(os.path.abspath(__file__))

# Each variant's resolved config, as MLP Lens trains it (docs/config.md); watch writes it as the
# run's config.json.
CONFIGS = ${pyLiteral(cfgs)}
FOLDERS = ${pyLiteral(folders)}
CLASSES = ${data.classes}


def load_npy(name):
    """data/NAME.npy (format 1.0, little-endian, C order) as a tensor, without numpy."""
    with open(os.path.join(HERE, "data", name + ".npy"), "rb") as f:
        raw = f.read()
    if raw[:6] != b"\\x93NUMPY":
        sys.exit("data/%s.npy is not a .npy file" % name)
    n = int.from_bytes(raw[8:10], "little")
    header = ast.literal_eval(raw[10:10 + n].decode("latin1"))
    dtype = {"<f4": torch.float32, "<i8": torch.int64}[header["descr"]]
    shape = header["shape"]
    if math.prod(shape) == 0:
        return torch.empty(shape, dtype=dtype)
    return torch.frombuffer(bytearray(raw[10 + n:]), dtype=dtype).reshape(shape)


def activation(name, slope):
    return {"sigmoid": nn.Sigmoid, "tanh": nn.Tanh, "relu": nn.ReLU, "linear": nn.Identity,
            "leaky_relu": lambda: nn.LeakyReLU(slope)}[name]()


def initialize(linear, init):
    """The config's scheme over the layer's fan-in and fan-out; biases start at init["bias"]."""
    fan_in, fan_out, scheme = linear.in_features, linear.out_features, init["scheme"]
    with torch.no_grad():
        if scheme == "normal":
            linear.weight.normal_(0, init["std"])
        elif scheme == "glorot_normal":
            linear.weight.normal_(0, math.sqrt(2 / (fan_in + fan_out)))
        elif scheme == "he_normal":
            linear.weight.normal_(0, math.sqrt(2 / fan_in))
        elif scheme == "uniform":
            linear.weight.uniform_(-init["limit"], init["limit"])
        elif scheme == "glorot_uniform":
            limit = math.sqrt(6 / (fan_in + fan_out))
            linear.weight.uniform_(-limit, limit)
        elif scheme == "he_uniform":
            limit = math.sqrt(6 / fan_in)
            linear.weight.uniform_(-limit, limit)
        linear.bias.fill_(init["bias"])


def build(cfg, inputs):
    """nn.Linear layers with the config's activation after each hidden one; the output layer
    gives logits (softmax: one per class; sigmoid: one)."""
    sizes = [inputs] + cfg["layers"] + [1 if cfg["output"] == "sigmoid" else CLASSES]
    modules = []
    for k in range(len(sizes) - 1):
        linear = nn.Linear(sizes[k], sizes[k + 1])
        initialize(linear, cfg["init"])
        modules.append(linear)
        if k < len(cfg["layers"]):
            modules.append(activation(cfg["activation"][k], cfg["leakyReluSlope"]))
    return nn.Sequential(*modules)


def make_optimizer(cfg, model):
    """Weight decay (L2, added to the gradient) on the weights only, as the engine does."""
    o = cfg["optimizer"]
    linears = [m for m in model if isinstance(m, nn.Linear)]
    groups = [{"params": [m.weight for m in linears], "weight_decay": o["weightDecay"]},
              {"params": [m.bias for m in linears], "weight_decay": 0.0}]
    if o["type"] == "adam":
        return torch.optim.Adam(groups, lr=cfg["lr"], betas=(o["beta1"], o["beta2"]), eps=o["epsilon"])
    if o["type"] == "momentum":
        return torch.optim.SGD(groups, lr=cfg["lr"], momentum=o["momentum"], nesterov=o["nesterov"])
    return torch.optim.SGD(groups, lr=cfg["lr"])


def learning_rate(cfg, step, steps_per_epoch, total_steps):
    """The schedule's rate at a step (0-based), as docs/config.md defines it."""
    s, lr = cfg["schedule"], cfg["lr"]
    if s["type"] == "step":
        return lr * s["gamma"] ** ((step // steps_per_epoch) // s["every"])
    if s["type"] == "cosine":
        t = min(step / (total_steps - 1), 1) if total_steps > 1 else 1
        return s["minLr"] + 0.5 * (lr - s["minLr"]) * (1 + math.cos(math.pi * t))
    return lr


def loss_and_accuracy(cfg, logits, y):
    """Mean cross-entropy and the fraction classified right (softmax: the largest logit;
    sigmoid: p(y=1|x) > 0.5)."""
    if cfg["output"] == "sigmoid":
        z = logits[:, 0]
        return nn.functional.binary_cross_entropy_with_logits(z, y.to(z.dtype)), ((z > 0).long() == y).float().mean()
    return nn.functional.cross_entropy(logits, y), (logits.argmax(1) == y).float().mean()


def train(cfg, seed, epochs, out, device):
    X, y, X_test, y_test = (load_npy(n) for n in ("train_x", "train_y", "test_x", "test_y"))
    torch.manual_seed(seed)
    order = torch.Generator().manual_seed(seed)
    model = build(cfg, X.shape[1]).to(device)
    optimizer = make_optimizer(cfg, model)
    n = len(y)
    batch = min(cfg["batchSize"], n)
    steps_per_epoch = math.ceil(n / batch)
    total_steps = steps_per_epoch * epochs
    probes = cfg["probes"]
    run = dict(cfg, seed=seed, epochs=epochs)
    print("%s / %s, seed %d: %d epochs of %d steps (batch %d) on %s -> %s" % (cfg["name"], cfg["variant"], seed, epochs, steps_per_epoch, batch, device, out))
    with mlp_lens.watch(model, out, name=cfg["name"], variant=cfg["variant"], every=probes["every"],
                        bins=probes["histogramBins"], unit_saturation=probes["unitSaturation"], epochs=epochs,
                        steps_per_epoch=steps_per_epoch, batch_size=batch, optimizer=optimizer, config=run) as lens:
        step = 0
        for epoch in range(epochs):
            model.train()
            perm = torch.randperm(n, generator=order)
            for i in range(0, n, batch):
                idx = perm[i:i + batch]
                xb, yb = X[idx].to(device), y[idx].to(device)
                for group in optimizer.param_groups:
                    group["lr"] = learning_rate(cfg, step, steps_per_epoch, total_steps)
                optimizer.zero_grad()
                logits = model(xb)
                loss, accuracy = loss_and_accuracy(cfg, logits, yb)
                loss.backward()
                optimizer.step()
                lens.step(loss, accuracy)
                step += 1
            test = None
            if len(y_test):
                model.eval()
                with torch.no_grad():
                    loss, accuracy = loss_and_accuracy(cfg, model(X_test.to(device)), y_test.to(device))
                test = (loss.item(), accuracy.item())
            rec = lens.epoch(test=test)
            print("  epoch %d: train loss %.4f acc %.3f%s" % (rec["epoch"], rec["train"]["loss"], rec["train"]["accuracy"],
                  "  test loss %.4f acc %.3f" % (test[0], test[1]) if test else ""))
    return lens


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\\n")[0])
    ap.add_argument("--variant", choices=[c["variant"] for c in CONFIGS], action="append", help="train only this variant (repeatable)")
    ap.add_argument("--seed", type=int, action="append", help="training seed (repeatable; default: the config's)")
    ap.add_argument("--epochs", type=int, help="epochs (default: the config's)")
    ap.add_argument("--out", default=os.path.join(HERE, "runs"), help="folder for the run folders (default: runs/ here)")
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    args = ap.parse_args()
    for cfg in CONFIGS:
        if args.variant and cfg["variant"] not in args.variant:
            continue
        seeds = args.seed or [cfg["seed"]]
        for seed in seeds:
            folder = FOLDERS[cfg["variant"]] + ("-seed-%d" % seed if len(seeds) > 1 else "")
            train(cfg, seed, args.epochs or cfg["epochs"], os.path.join(args.out, folder), args.device)


if __name__ == "__main__":
    main()
`;
}
