/**
 * The gradient dump (docs/dump-format.md, format mlp-oracle/v1): the network exactly
 * as `train` builds it (same seed, weights and first minibatch), one forward and backward pass
 * on that batch, and what the engine computed, so any independent implementation can check it.
 */
import type { FloatArray } from './kernels';
import { measureLayers } from './probes';
import type { Trainer } from './trainer';
import { JS_STRING_MAX_CHARS, JSON_FLOAT_CHARS } from './limits';
import { InputError } from './types';

const DUMP_HIDDEN = new Set(['sigmoid', 'tanh', 'relu', 'linear']);

export interface DumpOptions {
  /** include the B x n_L probabilities (default true) */
  probs?: boolean;
}

function flat(a: FloatArray, n = a.length): number[] {
  return Array.from(a.subarray(0, n));
}

/** Runs one forward/backward on the trainer's first batch; the trainer must be fresh. */
export function gradientDump(trainer: Trainer, opts: DumpOptions = {}): { input: object; result: object } {
  const { net, cfg } = trainer;
  if (trainer.step !== 0) throw new Error('gradientDump needs a trainer that has not trained yet');
  const bad = net.hidden.find((a) => !DUMP_HIDDEN.has(a));
  if (bad || net.output !== 'softmax') {
    throw new InputError(
      `the mlp-oracle/v1 dump format allows hidden activations sigmoid, tanh, relu, linear and a softmax output; ` +
        `variant "${cfg.variant}" uses ${bad ? `"${bad}"` : `output "${net.output}"`}`,
    );
  }
  // the result (dW and the updated weights) is written as one JSON string: refuse what cannot be one
  const floats = 2 * net.parameterCount + net.maxBatch * net.sizes.at(-1)!;
  if (floats * JSON_FLOAT_CHARS > JS_STRING_MAX_CHARS) {
    const most = Math.floor((JS_STRING_MAX_CHARS / JSON_FLOAT_CHARS - net.maxBatch * net.sizes.at(-1)!) / 2);
    throw new InputError(`variant "${cfg.variant}": a dump of ${net.parameterCount} parameters would be up to ${floats * JSON_FLOAT_CHARS} characters of JSON, longer than a JavaScript string may be (${JS_STRING_MAX_CHARS}): at most ${most} parameters can be dumped`);
  }
  const L = net.layers.length;
  const M = trainer.loadBatch();
  const { X, y } = trainer.batch;
  const input = {
    format: 'mlp-oracle/v1',
    layer_sizes: net.sizes,
    activations: [...net.hidden, 'softmax'],
    weights: net.layers.map((l) => flat(l.W)),
    biases: net.layers.map((l) => flat(l.b)),
    X: flat(X, M * net.sizes[0]!),
    y: Array.from(y.subarray(0, M)),
    lr: cfg.lr,
  };
  net.forward(X, M);
  const info = { loss: 0, correct: 0 };
  net.lossAndCorrect(y, M, info);
  if (!Number.isFinite(info.loss)) throw new InputError(`variant "${cfg.variant}": the loss at initialization is not finite; a diverged network cannot be dumped`);
  net.backward(y, M, 0); // the spec's gradient has no weight decay
  measureLayers(net, M, trainer.probes);
  const P = trainer.probes;
  const layers = net.layers.map((l, k) => ({
    index: k,
    activation: l.activation ?? 'softmax',
    shape: [l.outSize, l.inSize],
    dW: flat(l.dW),
    db: flat(l.db),
    grad_norm_W: P.gradW[k]!,
    grad_norm_b: P.gradB[k]!,
    delta_norm: P.delta[k]!,
    saturation: l.activation ? P.saturation[k]! : null,
    mean_activation: P.mean[k]!,
  }));
  // One plain SGD step in the engine's float type.
  const lr = cfg.lr;
  const round = net.dtype === 'float32' ? Math.fround : (x: number) => x;
  const updated = {
    lr,
    weights: net.layers.map((l) => Array.from(l.W, (w, i) => round(w - round(lr * l.dW[i]!)))),
    biases: net.layers.map((l) => Array.from(l.b, (b, i) => round(b - round(lr * l.db[i]!)))),
  };
  const result = {
    format: 'mlp-oracle-result/v1',
    dtype: net.dtype,
    batch_size: M,
    loss: info.loss,
    accuracy: info.correct / M,
    ...(opts.probs === false ? {} : { probs: flat(net.acts[L - 1]!, M * net.sizes[L]!) }),
    layers,
    grad_norm_ratio_first_over_last_hidden: L >= 2 ? P.gradW[0]! / P.gradW[L - 2]! : null,
    updated,
  };
  return { input, result };
}
