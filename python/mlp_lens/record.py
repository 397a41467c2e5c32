"""Run records in MLP Lens's format (docs/cli.md, "Run records"), written from Python.

A run folder holds config.json, summary.json, the step records (metrics.bin: a JSON header and
fixed-size little-endian frames with a CRC-32 each; or metrics.jsonl: one JSON object a line),
the epoch records (epochs.jsonl beside metrics.bin) and, when the run ends, model.json and
model.bin. Only the standard library: struct for the frames, zlib for the CRC.
"""
import json
import math
import os
import struct
import time
import zlib
from datetime import datetime, timezone

STEPS_MAGIC = b"MLPLSTP1"
STEPS_FORMAT = "mlp-lens-steps/v1"
SUMMARY_FORMAT = "mlp-lens-run/v1"
MODEL_FORMAT = "mlp-lens-model/v1"
SCALARS = ("saturation", "mean", "std", "gradW", "gradB", "delta", "updateRatio")
# fixed histogram range per hidden activation (docs/dump-format.md section 5)
HIST_RANGE = {"sigmoid": (0, 1), "tanh": (-1, 1), "relu": (0, 4), "leaky_relu": (-0.5, 4), "linear": (-4, 4)}
HIDDEN = tuple(HIST_RANGE)
_UINT = {1: ("<u1", "B"), 2: ("<u2", "H"), 4: ("<u4", "I")}


def hist_bytes(rows, units):
    return 2 if rows * units <= 0xFFFF else 4


def unit_bytes(rows):
    return 1 if rows <= 0xFF else 2 if rows <= 0xFFFF else 4


def _json(v):
    """Compact JSON as JavaScript's JSON.stringify writes it (non-finite numbers as null)."""
    return json.dumps(_finite(v), separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def _finite(v):
    if isinstance(v, float):
        return v if math.isfinite(v) else None
    if isinstance(v, dict):
        return {k: _finite(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_finite(x) for x in v]
    return v


def _num(x):
    """A range bound as JSON writes it: 0 and 4, not 0.0 and 4.0."""
    return int(x) if float(x).is_integer() else x


class StepsLayout:
    """The frame layout metrics.bin's header declares for a network (src/runs/steps-format.ts)."""

    def __init__(self, layers, activations, output, outputs, bins, unit_saturation, rows):
        fields, specs, self.slots = [], [], []
        fmt = ["<", "IIIddd"]
        add = lambda name, dtype, shape=(): fields.append({"name": name, "dtype": dtype, "shape": list(shape)})
        for n in ("step", "epoch", "rows"):
            add(n, "<u4")
        for n in ("loss", "accuracy", "lr"):
            add(n, "<f8")
        H = len(layers)
        for k in range(H + 1):
            hidden = k < H
            act = activations[k] if hidden else output
            units = layers[k] if hidden else outputs
            for s in SCALARS:
                add("%s.%d" % (s, k), "<f8")
            fmt.append("7d")
            hist = unit = 0
            if hidden:
                hist = hist_bytes(rows, units)
                add("histogram.%d" % k, _UINT[hist][0], [bins])
                fmt.append("%d%s" % (bins, _UINT[hist][1]))
                if unit_saturation:
                    unit = unit_bytes(rows)
                    add("unitSaturation.%d" % k, _UINT[unit][0], [units])
                    fmt.append("%d%s" % (units, _UINT[unit][1]))
            rng = HIST_RANGE[act] if hidden else None
            specs.append({"layer": k, "activation": act, "units": units,
                          "histogram": {"min": _num(rng[0]), "max": _num(rng[1]), "bins": bins} if rng else None,
                          "unitSaturation": bool(unit)})
            self.slots.append((hidden, units, bins if hidden else 0, unit > 0))
        add("crc", "<u4")
        self.body = struct.Struct("".join(fmt))
        self.frame_bytes = self.body.size + 4
        header = {"format": STEPS_FORMAT, "frameBytes": self.frame_bytes, "dataOffset": 0, "fields": fields, "layers": specs}
        for _ in range(4):  # dataOffset's digits change the header's length: settle it
            d = -(-(12 + len(_json(header).encode())) // 8) * 8
            if d == header["dataOffset"]:
                break
            header["dataOffset"] = d
        self.header = header
        self.data_offset = header["dataOffset"]

    def header_bytes(self):
        js = _json(self.header).encode()
        out = bytearray(self.data_offset)
        out[0:8] = STEPS_MAGIC
        out[8:12] = struct.pack("<I", len(js))
        out[12:12 + len(js)] = js
        return bytes(out)

    def frame(self, rec, rows):
        """rec: a step record (dict as in metrics.jsonl) with per-unit saturation as counts in
        'unitCounts'; returns the frame's bytes, CRC included."""
        scalars, hists, units = [], [], []
        for (hidden, _, _, unit), p in zip(self.slots, rec["layers"]):
            scalars.append([p[s] for s in SCALARS])
            hists.append(p["histogram"]["counts"] if hidden else None)
            units.append(p["unitCounts"] if hidden and unit else None)
        return self.pack(rec["step"], rec["epoch"], rows, rec["loss"], rec["accuracy"], rec["lr"], scalars, hists, units)

    def pack(self, step, epoch, rows, loss, accuracy, lr, scalars, hists, units):
        """A frame from its values: per layer the SCALARS (saturation None for the output layer),
        and for each hidden layer its histogram counts and per-unit saturated counts (ints)."""
        vals = [step, epoch, rows, loss, accuracy, lr]
        for k, (hidden, _, _, unit) in enumerate(self.slots):
            sc = scalars[k]
            if sc[0] is None:
                vals.append(float("nan"))
                vals += sc[1:]
            else:
                vals += sc
            if hidden:
                vals += hists[k]
                if unit:
                    vals += units[k]
        body = self.body.pack(*vals)
        return body + struct.pack("<I", zlib.crc32(body) & 0xFFFFFFFF)


def json_probe(p, rows):
    """A layer's probes as metrics.jsonl holds them: per-unit saturation as fractions of the rows."""
    out = {k: v for k, v in p.items() if k != "unitCounts"}
    if "unitCounts" in p:
        out["unitSaturation"] = [c / rows for c in p["unitCounts"]]
    return out


def _now():
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def write_json_atomic(path, value):
    tmp = "%s.%d.tmp" % (path, os.getpid())
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(_json(value))
    os.replace(tmp, path)


class RunWriter:
    """Writes one run folder: config.json and summary.json at the start, step and epoch records as
    they come (each a whole frame or line in one write, so a reader following the folder sees
    whole records only), summary.json at epoch ends (at most once a second) and at the end."""

    def __init__(self, run_dir, config, outputs, rows, parameters, steps_planned, kernel, fmt="binary", config_file=None):
        if fmt not in ("binary", "jsonl"):
            raise ValueError("record format must be 'binary' or 'jsonl', not %r" % (fmt,))
        self.dir, self.config, self.format = run_dir, config, fmt
        os.makedirs(run_dir, exist_ok=True)
        for stale in ("metrics.bin", "metrics.jsonl", "epochs.jsonl", "model.json", "model.bin"):
            p = os.path.join(run_dir, stale)
            if os.path.exists(p):
                os.remove(p)
        write_json_atomic(os.path.join(run_dir, "config.json"), config)
        self.layout = None
        if fmt == "binary":
            self.layout = StepsLayout(config["layers"], config["activation"], config["output"], outputs,
                                      config["probes"]["histogramBins"], config["probes"]["unitSaturation"], rows)
            self._steps = os.open(os.path.join(run_dir, "metrics.bin"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_APPEND, 0o644)
            os.write(self._steps, self.layout.header_bytes())
            self._lines = os.open(os.path.join(run_dir, "epochs.jsonl"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_APPEND, 0o644)
        else:
            self._steps = None
            self._lines = os.open(os.path.join(run_dir, "metrics.jsonl"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_APPEND, 0o644)
        self._t0 = time.monotonic()
        self._last_summary = 0.0
        self.summary = {
            "format": SUMMARY_FORMAT, "name": config["name"], "variant": config["variant"], "configFile": config_file,
            "status": "running", "epochs": 0, "epochsPlanned": config["epochs"], "steps": 0, "stepsPlanned": steps_planned,
            "batchSize": config["batchSize"], "parameters": parameters, "train": None, "test": None,
            "samplesPerSecond": 0, "seconds": 0, "startedAt": _now(), "finishedAt": None, "kernel": kernel,
        }
        self.samples = 0
        self.write_summary()

    def step(self, rec, rows):
        self.samples_seen(rec["step"])
        if self.layout is not None:
            os.write(self._steps, self.layout.frame(rec, rows))
        else:
            line = dict(rec)
            line["layers"] = [json_probe(p, rows) for p in rec["layers"]]
            os.write(self._lines, (_json(line) + "\n").encode())

    def step_values(self, last, rows, as_dict):
        """A step record from Lens: last = (step, epoch, loss, accuracy, lr, per-layer scalars,
        histograms, per-unit counts); as_dict() gives it as a dict (for metrics.jsonl)."""
        self.samples_seen(last[0])
        if self.layout is not None:
            step, epoch, loss, acc, lr, scalars, hists, units = last
            os.write(self._steps, self.layout.pack(step, epoch, rows, loss, acc, lr, scalars, hists, units))
        else:
            line = dict(as_dict())
            line["layers"] = [json_probe(p, rows) for p in line["layers"]]
            os.write(self._lines, (_json(line) + "\n").encode())

    def samples_seen(self, step):
        self.summary["steps"] = step

    def epoch(self, rec):
        os.write(self._lines, (_json(rec) + "\n").encode())
        self.summary["epochs"] = rec["epoch"]
        self.summary["train"], self.summary["test"] = rec["train"], rec["test"]
        if time.monotonic() - self._last_summary >= 1.0:
            self.write_summary()

    def write_summary(self):
        s = self.summary
        s["seconds"] = time.monotonic() - self._t0
        s["samplesPerSecond"] = self.samples / s["seconds"] if s["seconds"] > 0 else 0
        write_json_atomic(os.path.join(self.dir, "summary.json"), s)
        self._last_summary = time.monotonic()

    def write_model(self, sizes, activations, slope, weights, biases):
        """weights[k]: flat row-major [out, in] floats; biases[k]: floats (float32 values)."""
        parts = []
        for w, b in zip(weights, biases):
            parts.append(struct.pack("<%df" % len(w), *w))
            parts.append(struct.pack("<%df" % len(b), *b))
        n = sum(len(w) + len(b) for w, b in zip(weights, biases))
        tmp = os.path.join(self.dir, "model.bin.%d.tmp" % os.getpid())
        with open(tmp, "wb") as f:
            f.write(b"".join(parts))
        os.replace(tmp, os.path.join(self.dir, "model.bin"))
        m = {"format": MODEL_FORMAT, "layer_sizes": sizes, "activations": activations, "leakyReluSlope": slope,
             "parameters": n, "weightsFile": "model.bin", "weightsFormat": "float32-le"}
        if n <= 1_000_000:
            m["weights"], m["biases"] = weights, biases
        write_json_atomic(os.path.join(self.dir, "model.json"), m)

    def close(self, status, divergence=None, failure=None):
        for fd in (self._steps, self._lines):
            if fd is not None:
                os.close(fd)
        self._steps = self._lines = None
        self.summary["status"] = status
        self.summary["finishedAt"] = _now()
        if divergence is not None:
            self.summary["divergence"] = divergence
        if failure is not None:
            self.summary["failure"] = failure
        self.write_summary()
