#!/usr/bin/env python3
"""
mlp_oracle.py: an independent float64 (numpy) implementation of the gradient dump format
mlp-oracle/v1 (see the spec "Gradient dump format (mlp-oracle/v1)", sections 1-4).

It reads an INPUT file (`*.in.json`: network, weights, one batch), recomputes everything of
spec sections 2 and 3 (loss, accuracy, probs, per layer dW, db, grad_norm_W, grad_norm_b,
delta_norm, saturation, mean_activation, grad_norm_ratio_first_over_last_hidden, and the
weights/biases after one plain SGD step), and then either

  * writes the result (format mlp-oracle-result/v1, dtype float64) to --out FILE or stdout:
        python3 mlp_oracle.py x.in.json [--out result.json]
  * or compares it with the engine's result file and prints a per-quantity error table:
        python3 mlp_oracle.py x.in.json --compare x.out.json [--rtol 1e-4] [--atol-scale 1e-6]
  * or checks the hand-checkable example of spec section 4:
        python3 mlp_oracle.py --selftest

Exit codes: 0 ok / everything within tolerance; 1 mismatch (or selftest failure);
2 unreadable or invalid input (one message, no traceback).

Comparison rule (the engine computes in float32, the oracle in float64):

  * Arrays (probs, dW, db, updated weights, updated biases), element by element:
        |engine - oracle| <= rtol * |oracle| + atol,   atol = atol_scale * max|oracle array|
    (atol_scale defaults to 1e-6). The absolute floor is needed because entries much smaller
    than the array's largest one come out of sums whose float32 rounding error is relative
    to the size of the summands, not of the (possibly cancelled) result.
  * Positive scalars that are norms or the loss (loss, grad_norm_W, grad_norm_b, delta_norm,
    grad_norm_ratio): |engine - oracle| <= rtol * |oracle| + 1e-30.
  * mean_activation: as above but atol = atol_scale * mean|a_k| (a mean of signed values,
    e.g. tanh, can cancel to near zero).
  * Discrete quantities (accuracy, saturation) are compared exactly, except that entries whose
    classification float32 rounding could flip are allowed to differ: an output row whose two
    largest logits are within `band` of each other is "ambiguous" for accuracy; a hidden entry
    whose pre-activation z lies within `band` of a saturation threshold (in z space:
    +-ln(high/(1-high)) etc. for sigmoid, +-atanh(tanh_abs) for tanh, 0 for relu) is ambiguous
    for saturation. band = rtol * (|a_{k-1}| . |W_k|^T + |b_k|) entry by entry (a bound on the
    scale of z's rounding error). |engine - oracle| may be at most (#ambiguous / #entries).
  * Structure (batch_size, number of layers, index, activation, shape, array lengths,
    updated.lr, saturation null for the output layer) must match exactly.
  * The engine's max relative error is reported per quantity as max |e-o| / |o| over the
    entries with o != 0; "ratio" is the worst |e-o| / allowed (pass iff ratio <= 1).
"""
import argparse
import json
import math
import sys

try:
    import numpy as np
except ImportError:  # pragma: no cover
    sys.stderr.write('mlp_oracle: numpy is required (Debian/Ubuntu: apt-get install python3-numpy)\n')
    sys.exit(2)

HIDDEN = ('sigmoid', 'tanh', 'relu', 'linear')
DEFAULT_THRESHOLDS = {'sigmoid_low': 0.05, 'sigmoid_high': 0.95, 'tanh_abs': 0.95}


class InputProblem(Exception):
    pass


# ----------------------------------------------------------------------------- input

def _matrix(value, rows, cols, what):
    """A matrix given flat row-major or nested, as a float64 array of shape [rows, cols]."""
    if not isinstance(value, list):
        raise InputProblem(f'{what}: expected an array, got {type(value).__name__}')
    if len(value) > 0 and all(isinstance(r, list) for r in value):
        if len(value) != rows:
            raise InputProblem(f'{what}: expected {rows} rows, got {len(value)}')
        for i, r in enumerate(value):
            if len(r) != cols:
                raise InputProblem(f'{what}: row {i} has {len(r)} numbers, expected {cols}')
        arr = np.array(value, dtype=np.float64)
    else:
        if len(value) != rows * cols:
            raise InputProblem(f'{what}: flat array has {len(value)} numbers, expected {rows}*{cols} = {rows * cols}')
        arr = np.array(value, dtype=np.float64).reshape(rows, cols)
    if not np.all(np.isfinite(arr)):
        raise InputProblem(f'{what}: contains a non-finite number')
    return arr


def _vector(value, n, what):
    if not isinstance(value, list) or len(value) != n:
        raise InputProblem(f'{what}: expected {n} numbers, got {len(value) if isinstance(value, list) else type(value).__name__}')
    arr = np.array(value, dtype=np.float64)
    if arr.shape != (n,) or not np.all(np.isfinite(arr)):
        raise InputProblem(f'{what}: expected {n} finite numbers')
    return arr


def parse_input(doc):
    """Validates an mlp-oracle/v1 input document; returns a dict of numpy arrays."""
    if not isinstance(doc, dict):
        raise InputProblem('the input must be a JSON object')
    fmt = doc.get('format')
    if fmt is not None and fmt != 'mlp-oracle/v1':
        raise InputProblem(f"format is '{fmt}', expected 'mlp-oracle/v1'")
    for key in ('layer_sizes', 'activations', 'weights', 'biases', 'X', 'y'):
        if key not in doc:
            raise InputProblem(f"missing '{key}'")
    sizes = doc['layer_sizes']
    if not isinstance(sizes, list) or len(sizes) < 2 or not all(isinstance(s, int) and s >= 1 for s in sizes):
        raise InputProblem('layer_sizes: expected at least 2 positive integers')
    L = len(sizes) - 1
    acts = doc['activations']
    if not isinstance(acts, list) or len(acts) != L:
        raise InputProblem(f'activations: expected {L} names (one per weight layer)')
    if acts[-1] != 'softmax':
        raise InputProblem(f"activations: the last must be 'softmax', got '{acts[-1]}'")
    for k, a in enumerate(acts[:-1]):
        if a not in HIDDEN:
            raise InputProblem(f"activations[{k}]: '{a}' is not one of {', '.join(HIDDEN)}")
    if not isinstance(doc['weights'], list) or len(doc['weights']) != L:
        raise InputProblem(f'weights: expected {L} matrices')
    if not isinstance(doc['biases'], list) or len(doc['biases']) != L:
        raise InputProblem(f'biases: expected {L} vectors')
    W = [_matrix(doc['weights'][k], sizes[k + 1], sizes[k], f'weights[{k}]') for k in range(L)]
    b = [_vector(doc['biases'][k], sizes[k + 1], f'biases[{k}]') for k in range(L)]
    y = doc['y']
    if not isinstance(y, list) or len(y) == 0:
        raise InputProblem('y: expected a non-empty array of labels')
    for i, v in enumerate(y):
        if not (isinstance(v, int) and not isinstance(v, bool)) or v < 0 or v >= sizes[-1]:
            raise InputProblem(f'y[{i}]: {v!r} is not an integer label in [0, {sizes[-1]})')
    B = len(y)
    X = _matrix(doc['X'], B, sizes[0], 'X')
    lr = doc.get('lr', 0)
    if not isinstance(lr, (int, float)) or isinstance(lr, bool) or not math.isfinite(lr):
        raise InputProblem('lr: expected a finite number')
    th = dict(DEFAULT_THRESHOLDS)
    given = doc.get('saturation_thresholds')
    if given is not None:
        if not isinstance(given, dict):
            raise InputProblem('saturation_thresholds: expected an object')
        for key, v in given.items():
            if key not in th:
                raise InputProblem(f"saturation_thresholds: unknown key '{key}'")
            if not isinstance(v, (int, float)) or isinstance(v, bool):
                raise InputProblem(f'saturation_thresholds.{key}: expected a number')
            th[key] = float(v)
    return {'sizes': sizes, 'acts': acts, 'W': W, 'b': b, 'X': X, 'y': np.array(y, dtype=np.int64),
            'lr': float(lr), 'thresholds': th}


# ----------------------------------------------------------------------------- maths

def sigmoid(z):
    # stable: never exponentiates a positive number
    out = np.empty_like(z)
    pos = z >= 0
    out[pos] = 1.0 / (1.0 + np.exp(-z[pos]))
    e = np.exp(z[~pos])
    out[~pos] = e / (1.0 + e)
    return out


def activate(name, z):
    if name == 'sigmoid':
        return sigmoid(z)
    if name == 'tanh':
        return np.tanh(z)
    if name == 'relu':
        return np.maximum(z, 0.0)
    if name == 'linear':
        return z.copy()
    raise ValueError(name)


def derivative(name, z, a):
    if name == 'sigmoid':
        return a * (1.0 - a)
    if name == 'tanh':
        return 1.0 - a * a
    if name == 'relu':
        return (z > 0).astype(np.float64)  # relu'(0) = 0
    if name == 'linear':
        return np.ones_like(z)
    raise ValueError(name)


def _logit(p):
    return math.log(p / (1.0 - p))


def saturated_mask(name, a, th):
    if name == 'sigmoid':
        return (a < th['sigmoid_low']) | (a > th['sigmoid_high'])
    if name == 'tanh':
        return np.abs(a) > th['tanh_abs']
    if name == 'relu':
        return a == 0.0
    return np.zeros(a.shape, dtype=bool)  # linear


def near_threshold_mask(name, z, band, th):
    """Entries whose saturation verdict float32 rounding of z (error ~ band) could flip."""
    if name == 'sigmoid':
        lo, hi = _logit(th['sigmoid_low']), _logit(th['sigmoid_high'])
        return (np.abs(z - lo) <= band) | (np.abs(z - hi) <= band)
    if name == 'tanh':
        t = math.atanh(th['tanh_abs']) if th['tanh_abs'] < 1 else math.inf
        return np.abs(np.abs(z) - t) <= band
    if name == 'relu':
        return np.abs(z) <= band
    return np.zeros(z.shape, dtype=bool)


def compute(inp, band_rtol=1e-4):
    """Everything of spec sections 2-3, in float64. Also returns ambiguity counts for compare."""
    W, b, X, y, acts, th, lr = inp['W'], inp['b'], inp['X'], inp['y'], inp['acts'], inp['thresholds'], inp['lr']
    L = len(W)
    B = X.shape[0]
    zs, As, bands = [], [], []
    prev = X
    for k in range(L):
        z = prev @ W[k].T + b[k]
        bands.append(band_rtol * (np.abs(prev) @ np.abs(W[k]).T + np.abs(b[k])) + 1e-300)
        zs.append(z)
        if k < L - 1:
            a = activate(acts[k], z)
        else:
            m = z.max(axis=1, keepdims=True)
            lse = m + np.log(np.exp(z - m).sum(axis=1, keepdims=True))
            a = np.exp(z - lse)  # exp(log_softmax)
            logz = lse[:, 0]
        As.append(a)
        prev = a
    zL = zs[-1]
    p = As[-1]
    loss = float(np.mean(logz - zL[np.arange(B), y]))
    pred = np.argmax(zL, axis=1)  # ties -> lowest index
    accuracy = float(np.mean(pred == y))
    # accuracy ambiguity: top-two logits within the band of each other
    n_out = zL.shape[1]
    amb_acc = 0
    if n_out >= 2:
        srt = np.sort(zL, axis=1)
        gap = srt[:, -1] - srt[:, -2]
        amb_acc = int(np.sum(gap <= 2 * bands[-1].max(axis=1)))

    # backward
    onehot = np.zeros_like(p)
    onehot[np.arange(B), y] = 1.0
    delta = (p - onehot) / B
    dW = [None] * L
    db = [None] * L
    deltas = [None] * L
    for k in range(L - 1, -1, -1):
        a_prev = X if k == 0 else As[k - 1]
        deltas[k] = delta
        dW[k] = delta.T @ a_prev
        db[k] = delta.sum(axis=0)
        if k > 0:
            delta = (delta @ W[k]) * derivative(acts[k - 1], zs[k - 1], As[k - 1])

    layers = []
    for k in range(L):
        hidden = k < L - 1
        if hidden:
            mask = saturated_mask(acts[k], As[k], th)
            sat = float(mask.mean())
            amb = int(near_threshold_mask(acts[k], zs[k], bands[k], th).sum())
        else:
            sat, amb = None, 0
        layers.append({
            'index': k,
            'activation': acts[k],
            'shape': [int(W[k].shape[0]), int(W[k].shape[1])],
            'dW': dW[k].reshape(-1).tolist(),
            'db': db[k].tolist(),
            'grad_norm_W': float(np.sqrt(np.sum(dW[k] ** 2))),
            'grad_norm_b': float(np.sqrt(np.sum(db[k] ** 2))),
            'delta_norm': float(np.sqrt(np.sum(deltas[k] ** 2))),
            'saturation': sat,
            'mean_activation': float(As[k].mean()),
            '_mean_abs_activation': float(np.abs(As[k]).mean()),
            '_ambiguous': amb,
            '_entries': int(As[k].size),
        })
    if L >= 2 and layers[L - 2]['grad_norm_W'] > 0:
        ratio = layers[0]['grad_norm_W'] / layers[L - 2]['grad_norm_W']
    else:
        ratio = None
    result = {
        'format': 'mlp-oracle-result/v1',
        'dtype': 'float64',
        'batch_size': int(B),
        'loss': loss,
        'accuracy': accuracy,
        'probs': p.reshape(-1).tolist(),
        'layers': layers,
        'grad_norm_ratio_first_over_last_hidden': ratio,
        'updated': {
            'lr': lr,
            'weights': [(W[k] - lr * dW[k]).reshape(-1).tolist() for k in range(L)],
            'biases': [(b[k] - lr * db[k]).tolist() for k in range(L)],
        },
        '_ambiguous_accuracy': amb_acc,
    }
    return result


def public(result):
    """The result without the oracle's private bookkeeping fields (those starting with '_')."""
    def strip(v):
        if isinstance(v, dict):
            return {k: strip(x) for k, x in v.items() if not k.startswith('_')}
        if isinstance(v, list):
            return [strip(x) for x in v]
        return v
    return strip(result)


# ----------------------------------------------------------------------------- compare

class Table:
    def __init__(self):
        self.rows = []
        self.failures = []

    def add(self, name, n, max_abs, max_rel, ratio, ok, note=''):
        self.rows.append((name, n, max_abs, max_rel, ratio, ok, note))
        if not ok:
            self.failures.append(name + (f' ({note})' if note else ''))

    def structural(self, name, ok, note):
        self.add(name, 1, None, None, None, ok, note)

    def print(self, out):
        def f(x):
            return '-' if x is None else f'{x:.3e}'
        w = max([len('quantity')] + [len(r[0]) for r in self.rows])
        out.write(f"{'quantity':<{w}}  {'n':>7}  {'max_abs_err':>11}  {'max_rel_err':>11}  {'err/allowed':>11}  status\n")
        for name, n, ma, mr, ratio, ok, note in self.rows:
            out.write(f"{name:<{w}}  {n:>7}  {f(ma):>11}  {f(mr):>11}  {f(ratio):>11}  {'ok' if ok else 'MISMATCH'}{('  ' + note) if note else ''}\n")


def _as_float_array(v, what):
    if not isinstance(v, list):
        raise InputProblem(f'{what}: expected an array')
    flat = []
    for x in v:
        if isinstance(x, list):
            flat.extend(x)
        else:
            flat.append(x)
    try:
        return np.array([np.nan if x is None else x for x in flat], dtype=np.float64)
    except (TypeError, ValueError):
        raise InputProblem(f'{what}: expected numbers')


def compare_array(table, name, eng, ref, rtol, atol_scale):
    ref = np.asarray(ref, dtype=np.float64).reshape(-1)
    try:
        e = _as_float_array(eng, name)
    except InputProblem as p:
        table.structural(name, False, str(p))
        return
    if e.shape != ref.shape:
        table.structural(name, False, f'length {e.size}, expected {ref.size}')
        return
    if ref.size == 0:
        table.add(name, 0, 0.0, 0.0, 0.0, True)
        return
    atol = atol_scale * float(np.max(np.abs(ref)))
    err = np.abs(e - ref)
    allowed = rtol * np.abs(ref) + atol
    finite = np.all(np.isfinite(e))
    nz = ref != 0
    max_rel = float(np.max(err[nz] / np.abs(ref[nz]))) if np.any(nz) else 0.0
    ratio = float(np.max(err / np.maximum(allowed, 1e-300)))
    ok = bool(finite and np.all(err <= allowed))
    note = '' if finite else 'non-finite values'
    if not ok and finite:
        i = int(np.argmax(err / np.maximum(allowed, 1e-300)))
        note = f'worst [{i}]: engine {e[i]:.9g} oracle {ref[i]:.9g}'
    table.add(name, int(ref.size), float(np.max(err)), max_rel, ratio, ok, note)


def _is_number_pair(table, name, eng, ref):
    """True when both are numbers to compare; otherwise records the structural result (a null
    expected and got, or a non-number) and returns False."""
    if ref is None:
        ok = eng is None
        table.structural(name, ok, '' if ok else f'engine {eng!r}, expected null')
        return False
    if not isinstance(eng, (int, float)) or isinstance(eng, bool):
        table.structural(name, False, f'engine {eng!r}, expected a number ~ {ref:.9g}')
        return False
    return True


def compare_scalar(table, name, eng, ref, rtol, atol=1e-30):
    if not _is_number_pair(table, name, eng, ref):
        return
    err = abs(eng - ref)
    allowed = rtol * abs(ref) + atol
    ok = math.isfinite(eng) and err <= allowed
    note = '' if ok else f'engine {eng:.9g} oracle {ref:.9g}'
    table.add(name, 1, err, err / abs(ref) if ref != 0 else None, err / allowed, ok, note)


def compare_discrete(table, name, eng, ref, ambiguous, entries):
    if not _is_number_pair(table, name, eng, ref):
        return
    err = abs(eng - ref)
    allowed = ambiguous / entries + 1e-9
    ok = err <= allowed
    note = f'{ambiguous} of {entries} entries near a threshold' if ambiguous else ''
    if not ok:
        note = f'engine {eng!r} oracle {ref!r}' + (f'; {note}' if note else '')
    table.add(name, 1, err, err / abs(ref) if ref != 0 else None, err / allowed, ok, note)


def compare(ref, eng, rtol, atol_scale):
    table = Table()
    if not isinstance(eng, dict):
        table.structural('result', False, 'the result file is not a JSON object')
        return table
    fmt = eng.get('format')
    table.structural('format', fmt == 'mlp-oracle-result/v1', f'{fmt!r}')
    same_b = eng.get('batch_size') == ref['batch_size']
    table.structural('batch_size', same_b, '' if same_b else f"engine {eng.get('batch_size')!r}, expected {ref['batch_size']}")
    compare_scalar(table, 'loss', eng.get('loss'), ref['loss'], rtol)
    B = ref['batch_size']
    compare_discrete(table, 'accuracy', eng.get('accuracy'), ref['accuracy'], ref['_ambiguous_accuracy'], B)
    if 'probs' in eng:
        compare_array(table, 'probs', eng['probs'], ref['probs'], rtol, atol_scale)
    else:
        table.structural('probs', True, 'absent in the result (--no-probs): not compared')
    elayers = eng.get('layers')
    L = len(ref['layers'])
    if not isinstance(elayers, list) or len(elayers) != L:
        table.structural('layers', False, f'engine has {len(elayers) if isinstance(elayers, list) else elayers!r} layers, expected {L}')
        return table
    for k, (el, rl) in enumerate(zip(elayers, ref['layers'])):
        p = f'layers[{k}].'
        if not isinstance(el, dict):
            table.structural(p[:-1], False, 'not an object')
            continue
        same = el.get('index') == k and el.get('activation') == rl['activation'] and list(el.get('shape') or []) == rl['shape']
        table.structural(p + 'index/activation/shape', same,
                         '' if same else f"engine {el.get('index')!r}/{el.get('activation')!r}/{el.get('shape')!r}, expected {k}/{rl['activation']}/{rl['shape']}")
        compare_array(table, p + 'dW', el.get('dW'), rl['dW'], rtol, atol_scale)
        compare_array(table, p + 'db', el.get('db'), rl['db'], rtol, atol_scale)
        compare_scalar(table, p + 'grad_norm_W', el.get('grad_norm_W'), rl['grad_norm_W'], rtol)
        compare_scalar(table, p + 'grad_norm_b', el.get('grad_norm_b'), rl['grad_norm_b'], rtol)
        compare_scalar(table, p + 'delta_norm', el.get('delta_norm'), rl['delta_norm'], rtol)
        if 'saturation' not in el:
            table.structural(p + 'saturation', False, 'missing')
        else:
            compare_discrete(table, p + 'saturation', el['saturation'], rl['saturation'], rl['_ambiguous'], rl['_entries'])
        compare_scalar(table, p + 'mean_activation', el.get('mean_activation'), rl['mean_activation'], rtol,
                       atol=atol_scale * rl['_mean_abs_activation'] + 1e-30)
    ratio_key = 'grad_norm_ratio_first_over_last_hidden'
    compare_scalar(table, ratio_key, eng.get(ratio_key), ref[ratio_key], rtol)
    upd = eng.get('updated')
    if not isinstance(upd, dict):
        table.structural('updated', False, 'missing or not an object')
        return table
    compare_scalar(table, 'updated.lr', upd.get('lr'), ref['updated']['lr'], 1e-12, 1e-300)
    uw, ub = upd.get('weights'), upd.get('biases')
    if not isinstance(uw, list) or len(uw) != L or not isinstance(ub, list) or len(ub) != L:
        table.structural('updated.weights/biases', False, f'expected {L} arrays each')
        return table
    for k in range(L):
        compare_array(table, f'updated.weights[{k}]', uw[k], ref['updated']['weights'][k], rtol, atol_scale)
        compare_array(table, f'updated.biases[{k}]', ub[k], ref['updated']['biases'][k], rtol, atol_scale)
    return table


# ----------------------------------------------------------------------------- selftest

SELFTEST_INPUT = {
    'format': 'mlp-oracle/v1',
    'layer_sizes': [2, 2, 2],
    'activations': ['relu', 'softmax'],
    'weights': [[[1, -1], [0.5, 0.5]], [[1, 0], [0, 1]]],
    'biases': [[0, -1], [0, 0]],
    'X': [[1, 2]],
    'y': [0],
    'lr': 0.1,
}


def selftest(out):
    """The hand-checkable example of spec section 4, in nested and in flat form."""
    q = 0.6224593312
    expected = {
        'loss': 0.9740769842,
        'accuracy': 0.0,  # z1 = [0, 0.5]: argmax 1, label 0
        'probs': [0.3775406688, 0.6224593312],
        'layers[0].dW': [0, 0, q, 2 * q],
        'layers[0].db': [0, q],
        'layers[1].dW': [0, -q / 2, 0, q / 2],
        'layers[1].db': [-q, q],
        'layers[0].grad_norm_W': 1.3918613778,
        'layers[0].saturation': 0.5,
        'layers[0].mean_activation': 0.25,
        'layers[1].saturation': None,
        'layers[1].mean_activation': 0.5,
        'updated.weights[0]': [1, -1, 0.5 - 0.1 * q, 0.5 - 0.2 * q],
        'updated.biases[0]': [0, -1 - 0.1 * q],
        'updated.weights[1]': [1, 0.05 * q, 0, 1 - 0.05 * q],
        'updated.biases[1]': [0.1 * q, -0.1 * q],
        'grad_norm_ratio_first_over_last_hidden': 1.0,  # L = 2: first hidden = last hidden
    }
    flat = dict(SELFTEST_INPUT)
    flat['weights'] = [[1, -1, 0.5, 0.5], [1, 0, 0, 1]]
    flat['X'] = [1, 2]
    flat.pop('format')
    problems = []
    results = []
    for label, doc in (('nested', SELFTEST_INPUT), ('flat', flat)):
        r = compute(parse_input(json.loads(json.dumps(doc))))
        results.append(r)
        got = {
            'loss': r['loss'], 'accuracy': r['accuracy'], 'probs': r['probs'],
            'grad_norm_ratio_first_over_last_hidden': r['grad_norm_ratio_first_over_last_hidden'],
        }
        for k in range(2):
            for key in ('dW', 'db', 'grad_norm_W', 'saturation', 'mean_activation'):
                got[f'layers[{k}].{key}'] = r['layers'][k][key]
            got[f'updated.weights[{k}]'] = r['updated']['weights'][k]
            got[f'updated.biases[{k}]'] = r['updated']['biases'][k]
        for key, want in expected.items():
            have = got[key]
            if want is None:
                ok = have is None
            else:
                ok = have is not None and np.allclose(np.asarray(have, dtype=float), np.asarray(want, dtype=float), rtol=1e-9, atol=1e-10)
            if not ok:
                problems.append(f'{label}: {key} = {have!r}, expected {want!r}')
    # the section 4 derivation: z0 = [-1, 0.5], a0 = [0, 0.5], z1 = [0, 0.5]; dW0 Frobenius = q*sqrt(5)
    if not math.isclose(q * math.sqrt(5), 1.3918613778, rel_tol=1e-9):
        problems.append('q*sqrt(5) != 1.3918613778')
    # the comparison against itself must pass with zero error, and a perturbed copy must fail
    ref = results[0]
    self_table = compare(ref, public(ref), 1e-4, 1e-6)
    if self_table.failures:
        problems.append('comparing the result with itself failed: ' + ', '.join(self_table.failures))
    bad = json.loads(json.dumps(public(ref)))
    bad['layers'][0]['dW'][3] *= 1.001
    if not compare(ref, bad, 1e-4, 1e-6).failures:
        problems.append('a 0.1% error in dW was not detected')
    # defaults: lr absent -> 0 (updated == original weights); thresholds default
    nolr = dict(SELFTEST_INPUT)
    nolr.pop('lr')
    r0 = compute(parse_input(nolr))
    if r0['updated']['lr'] != 0 or r0['updated']['weights'][0] != [1.0, -1.0, 0.5, 0.5]:
        problems.append('lr default 0 not applied')
    # relu'(0) = 0 and a sigmoid/tanh network: check dW against central finite differences
    problems += _finite_difference_check()
    for p in problems:
        out.write(f'selftest: FAIL {p}\n')
    if not problems:
        out.write('selftest: ok (spec section 4 example, nested and flat forms; comparison rule; finite differences)\n')
    return not problems


def _finite_difference_check():
    rng = np.random.default_rng(1)
    sizes = [5, 4, 3, 4, 3]
    problems = []
    for act in ('sigmoid', 'tanh', 'relu', 'linear'):
        doc = {
            'layer_sizes': sizes, 'activations': [act] * 3 + ['softmax'],
            'weights': [rng.normal(0, 0.8, (sizes[k + 1], sizes[k])).tolist() for k in range(4)],
            'biases': [rng.normal(0, 0.3, sizes[k + 1]).tolist() for k in range(4)],
            'X': rng.normal(0, 1, (6, 5)).tolist(), 'y': rng.integers(0, 3, 6).tolist(),
        }
        inp = parse_input(doc)
        r = compute(inp)
        h = 1e-6
        for k in range(4):
            num = np.zeros_like(inp['W'][k])
            for o in range(num.shape[0]):
                for i in range(num.shape[1]):
                    old = inp['W'][k][o, i]
                    inp['W'][k][o, i] = old + h
                    lp = compute(inp)['loss']
                    inp['W'][k][o, i] = old - h
                    lm = compute(inp)['loss']
                    inp['W'][k][o, i] = old
                    num[o, i] = (lp - lm) / (2 * h)
            ana = np.array(r['layers'][k]['dW']).reshape(num.shape)
            if not np.allclose(ana, num, rtol=1e-5, atol=1e-8):
                problems.append(f'finite differences: {act} layer {k} dW off by {np.max(np.abs(ana - num)):.3g}')
    return problems


# ----------------------------------------------------------------------------- main

def _load_json(path, what):
    try:
        with open(path, 'r', encoding='utf-8') as fh:
            return json.load(fh)
    except FileNotFoundError:
        raise InputProblem(f'{path}: no such file ({what})')
    except IsADirectoryError:
        raise InputProblem(f'{path}: is a directory ({what})')
    except json.JSONDecodeError as e:
        raise InputProblem(f'{path}: invalid JSON at line {e.lineno} column {e.colno}: {e.msg}')
    except OSError as e:
        raise InputProblem(f'{path}: cannot read: {e.strerror}')


def main(argv=None):
    ap = argparse.ArgumentParser(description='Independent float64 oracle for mlp-oracle/v1 gradient dumps.')
    ap.add_argument('input', nargs='?', help='the *.in.json file')
    ap.add_argument('--compare', metavar='OUT_JSON', help="the engine's *.out.json to compare with")
    ap.add_argument('--rtol', type=float, default=1e-4, help='relative tolerance (default 1e-4)')
    ap.add_argument('--atol-scale', type=float, default=1e-6,
                    help='absolute floor for arrays, as a fraction of max|oracle array| (default 1e-6)')
    ap.add_argument('--out', metavar='FILE', help='write the oracle result JSON here (default: stdout, unless --compare)')
    ap.add_argument('--selftest', action='store_true', help='check the hand-checkable example of spec section 4')
    args = ap.parse_args(argv)
    if args.selftest:
        ok = selftest(sys.stdout)
        if not args.input:
            return 0 if ok else 1
        if not ok:
            return 1
    if not args.input:
        ap.error('the input file is required (or --selftest)')
    try:
        inp = parse_input(_load_json(args.input, 'oracle input'))
    except InputProblem as p:
        msg = str(p)
        sys.stderr.write(f'mlp_oracle: {msg if msg.startswith(args.input) else args.input + ": " + msg}\n')
        return 2
    ref = compute(inp, band_rtol=args.rtol)
    if args.out or not args.compare:
        text = json.dumps(public(ref), indent=1) + '\n'
        if args.out:
            with open(args.out, 'w', encoding='utf-8') as fh:
                fh.write(text)
        else:
            sys.stdout.write(text)
    if not args.compare:
        return 0
    try:
        eng = _load_json(args.compare, 'engine result')
    except InputProblem as p:
        sys.stderr.write(f'mlp_oracle: {p}\n')
        return 2
    table = compare(ref, eng, args.rtol, args.atol_scale)
    sizes = '-'.join(str(s) for s in inp['sizes'])
    sys.stdout.write(f"oracle (float64) vs engine ({eng.get('dtype', '?') if isinstance(eng, dict) else '?'}): "
                     f"{sizes} {','.join(inp['acts'])}, batch {ref['batch_size']}, rtol {args.rtol:g}, "
                     f"atol {args.atol_scale:g} x max|array|\n")
    table.print(sys.stdout)
    if table.failures:
        sys.stdout.write(f'MISMATCH in {len(table.failures)} quantities: {", ".join(table.failures)}\n')
        return 1
    sys.stdout.write(f'all {len(table.rows)} quantities within tolerance\n')
    return 0


if __name__ == '__main__':
    sys.exit(main())
