/**
 * The test split's errors at an epoch's end (engine/errors.ts): the confusion matrix sums to the
 * test split's size, its diagonal is the epoch's test accuracy, and each cell counts the engine's
 * own predictions; the misclassified examples are the first ones in test order; the run-folder
 * check takes good errors and refuses bad ones. And the picture encodings (engine/pictures.ts):
 * weight bytes decode to the weights, example images span 0..255.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CONFUSION_MAX_CLASSES, ErrorCounter, MISCLASSIFIED_SHOWN, perClassAccuracy } from '../../src/engine/errors';
import { decodeWeight, exampleImages, imageShapeOf, weightPictures } from '../../src/engine/pictures';
import { Trainer, type EpochRecord } from '../../src/engine/trainer';
import { checkRecord } from '../../src/runs/validate';
import { makeConfig, randomDataset } from '../support/fixtures';

/** Train one epoch and return its record with the trainer (the weights its errors were counted with). */
function oneEpoch(classes: number, output: 'softmax' | 'sigmoid' = 'softmax', nTest = 97): { trainer: Trainer; rec: EpochRecord } {
  const data = randomDataset(240, 5, classes, 11, nTest);
  const cfg = makeConfig({ layers: [12], output, batchSize: 16, epochs: 3, lr: 0.3 });
  const trainer = new Trainer(cfg, data);
  let rec: EpochRecord | null = null;
  trainer.runSteps(trainer.stepsPerEpoch, { epoch: (r) => { rec = r; } });
  assert.ok(rec, 'an epoch record');
  return { trainer, rec };
}

/** The engine's prediction for every test example, one forward pass per example. */
function predictions(trainer: Trainer): Int32Array {
  const net = trainer.net, data = trainer.data, F = data.features, n = data.testY.length;
  const out = new Int32Array(n), one = new Int32Array(1);
  for (let i = 0; i < n; i++) {
    net.inputBuffer.set(data.testX.subarray(i * F, (i + 1) * F));
    net.forward(net.inputBuffer, 1);
    net.predictRows(1, one);
    assert.equal(one[0], net.predict(0), `example ${i}: the score argmax and the probability argmax agree`);
    out[i] = one[0]!;
  }
  return out;
}

describe('test-set errors', () => {
  for (const [classes, output] of [[3, 'softmax'], [10, 'softmax'], [2, 'sigmoid']] as const) {
    test(`${classes} classes, ${output}: the confusion matrix sums to the test split and matches the predictions`, () => {
      const { trainer, rec } = oneEpoch(classes, output);
      const e = rec.errors!;
      assert.ok(e, 'the epoch record has errors');
      const Y = trainer.data.testY, n = Y.length;
      assert.equal(e.confusion.length, classes);
      let sum = 0, diag = 0;
      e.confusion.forEach((row, t) => {
        assert.equal(row.length, classes);
        row.forEach((c) => (sum += c));
        diag += row[t]!;
      });
      assert.equal(sum, n, 'sums to the test split size');
      assert.ok(Math.abs(diag / n - rec.test!.accuracy) < 1e-12, `diagonal ${diag}/${n} vs test accuracy ${rec.test!.accuracy}`);
      const pred = predictions(trainer);
      const expect = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
      const wrong: [number, number][] = [];
      for (let i = 0; i < n; i++) {
        expect[Y[i]!]![pred[i]!]!++;
        if (pred[i] !== Y[i] && wrong.length < MISCLASSIFIED_SHOWN) wrong.push([i, pred[i]!]);
      }
      assert.deepEqual(e.confusion, expect);
      assert.deepEqual(e.misclassified, wrong);
      assert.ok(wrong.length > 0, 'random labels: some examples are wrong (the list is checked on something)');
      const per = perClassAccuracy(e.confusion);
      for (let t = 0; t < classes; t++) {
        const inClass = Y.filter((y) => y === t).length;
        const right = Array.from(Y).filter((y, i) => y === t && pred[i] === t).length;
        assert.equal(per[t], inClass ? right / inClass : null);
      }
      trainer.dispose();
    });
  }

  test('every epoch gets its own matrix; the next epoch counts afresh', () => {
    const data = randomDataset(120, 4, 3, 5, 40);
    const trainer = new Trainer(makeConfig({ layers: [6], batchSize: 20, epochs: 3 }), data);
    const recs: EpochRecord[] = [];
    while (!trainer.done) trainer.runSteps(100, { epoch: (r) => recs.push(r) });
    assert.equal(recs.length, 3);
    for (const r of recs) assert.equal(r.errors!.confusion.flat().reduce((a, b) => a + b, 0), 40);
    trainer.dispose();
  });

  test('no test split, or more classes than recorded: no errors field', () => {
    assert.equal(oneEpoch(3, 'softmax', 0).rec.errors, undefined);
    assert.equal(oneEpoch(CONFUSION_MAX_CLASSES + 1, 'softmax', 80).rec.errors, undefined);
    assert.throws(() => new ErrorCounter(1), /2 to 32 classes/);
  });

  test('the run-folder check keeps good errors and refuses bad ones with a reason', () => {
    const shape = { layers: [4], epochs: 5, probes: { every: 1, histogramBins: 10, unitSaturation: false } };
    const base = { kind: 'epoch', epoch: 1, step: 10, train: { loss: 1, accuracy: 0.5 }, test: { loss: 1, accuracy: 0.5 } };
    const good = { confusion: [[3, 1], [2, 4]], misclassified: [[0, 1], [5, 0]] };
    const r = checkRecord({ ...base, errors: good, extra: 'x'.repeat(100) }, shape);
    assert.deepEqual(r, { ...base, errors: good });
    assert.deepEqual(checkRecord(base, shape), base, 'older records without errors still read');
    const bad: [unknown, RegExp][] = [
      [[[1, 2]], /"errors" is a list of 1, not a confusion matrix/],
      [{ confusion: [[1, 2]], misclassified: [] }, /errors\.confusion.*matrix of 2 to 32/],
      [{ confusion: [[1, 2], [3]], misclassified: [] }, /errors\.confusion"\[1\].*row of 2/],
      [{ confusion: [[1, -2], [3, 4]], misclassified: [] }, /errors\.confusion"\[0\]\[1\] is -2/],
      [{ confusion: [[1, 2], [3, 4]], misclassified: [[0, 2]] }, /misclassified"\[0\].*below 2/],
      [{ confusion: [[1, 2], [3, 4]], misclassified: Array(17).fill([0, 0]) }, /at most 16/],
      [{ confusion: [[1, 2], [3, 4]] }, /misclassified" is missing/],
    ];
    for (const [errors, why] of bad) {
      const res = checkRecord({ ...base, errors }, shape);
      assert.equal(typeof res, 'string', JSON.stringify(errors));
      assert.match(res as string, why);
    }
  });
});

describe('pictures of image data', () => {
  test('weight bytes decode to the first layer\'s weights (symmetric scale per unit)', () => {
    const data = { ...randomDataset(50, 16, 3, 2), imageShape: [4, 4] as [number, number] };
    assert.deepEqual(imageShapeOf(data), [4, 4]);
    assert.equal(imageShapeOf({ features: 15, imageShape: [4, 4] }), null);
    const trainer = new Trainer(makeConfig({ layers: [10] }), data);
    const W = trainer.net.layers[0]!.W;
    W[3 * 16 + 5] = 0; // a zero weight is byte 128
    const p = weightPictures(trainer.net, 2, 5);
    assert.equal(p.first, 2);
    assert.equal(p.count, 5);
    for (let u = 0; u < 5; u++) {
      let max = 0;
      for (let i = 0; i < 16; i++) max = Math.max(max, Math.abs(W[(2 + u) * 16 + i]!));
      assert.equal(p.scales[u], max);
      for (let i = 0; i < 16; i++) {
        const w = W[(2 + u) * 16 + i]!, b = p.pixels[u * 16 + i]!;
        assert.ok(Math.abs(decodeWeight(b, p.scales[u]!) - w) <= max / 254 + 1e-12, `unit ${2 + u} pixel ${i}: ${b} for ${w}`);
        if (Math.abs(w) === max) assert.equal(b, w > 0 ? 255 : 1, 'the largest weight takes the end of the scale');
      }
    }
    assert.equal(p.pixels[1 * 16 + 5], 128);
    const last = weightPictures(trainer.net, 8, 64, p); // clamped to the layer, reusing the buffers
    assert.equal(last, p);
    assert.deepEqual([last.first, last.count], [8, 2]);
    trainer.dispose();
  });

  test('example images span 0..255 over each image\'s own range', () => {
    const data = randomDataset(10, 9, 2, 4, 6);
    const img = exampleImages(data, [4, 1]);
    assert.equal(img.length, 18);
    for (const [k, idx] of [[0, 4], [1, 1]] as const) {
      const row = Array.from(data.testX.subarray(idx * 9, idx * 9 + 9));
      const lo = Math.min(...row), hi = Math.max(...row);
      row.forEach((v, i) => assert.equal(img[k * 9 + i], Math.round(((v - lo) * 255) / (hi - lo))));
      assert.equal(Math.min(...img.subarray(k * 9, k * 9 + 9)), 0);
      assert.equal(Math.max(...img.subarray(k * 9, k * 9 + 9)), 255);
    }
  });
});
