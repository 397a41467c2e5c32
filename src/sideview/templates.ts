/**
 * Starting configs for "MLP Lens: New Experiment Config": a dataset and a preset give a commented
 * JSONC config that validates and inspects without warnings (test/unit/inspect-templates.test.ts).
 * No vscode import.
 */

export interface DatasetChoice {
  id: string;
  label: string;
  detail: string;
  /** the "dataset" object, as JSONC text lines (without the key) */
  json: (o: { csvPath?: string; csvLabel?: string }) => string;
  /** hidden layer width that suits it */
  width: number;
}

export interface PresetChoice {
  id: string;
  label: string;
  detail: string;
}

export const DATASETS: DatasetChoice[] = [
  { id: 'digits', label: 'digits', detail: '1,797 handwritten digits, 8×8 pixels, 10 classes (built in)', width: 64, json: () => '{ "type": "digits", "testFraction": 0.2 }' },
  { id: 'mnist', label: 'mnist', detail: '10,000 MNIST digits, 28×28 pixels, 10 classes (built in)', width: 256, json: () => '{ "type": "mnist" }' },
  { id: 'iris', label: 'iris', detail: '150 flowers, 4 features, 3 classes (built in, standardized)', width: 16, json: () => '{ "type": "iris", "testFraction": 0.2 }' },
  { id: 'wine', label: 'wine', detail: '178 wines, 13 features, 3 classes (built in, standardized)', width: 32, json: () => '{ "type": "wine", "testFraction": 0.2 }' },
  { id: 'spiral', label: 'spiral', detail: 'synthetic 2-D: interleaved spiral arms', width: 32, json: () => '{ "type": "spiral", "classes": 3, "samples": 600, "noise": 0.1 }' },
  { id: 'moons', label: 'moons', detail: 'synthetic 2-D: two interleaving half circles', width: 16, json: () => '{ "type": "moons", "samples": 400, "noise": 0.1 }' },
  { id: 'circles', label: 'circles', detail: 'synthetic 2-D: a circle inside a ring', width: 16, json: () => '{ "type": "circles", "samples": 400, "noise": 0.05 }' },
  { id: 'xor', label: 'xor', detail: 'synthetic 2-D: four quadrants, XOR labels', width: 16, json: () => '{ "type": "xor", "samples": 400, "noise": 0.1 }' },
  { id: 'blobs', label: 'blobs', detail: 'synthetic 2-D: gaussian clusters', width: 16, json: () => '{ "type": "blobs", "classes": 4, "samples": 400 }' },
  {
    id: 'csv', label: 'CSV file…', detail: 'your own data: a header row, numeric features and a label column', width: 32,
    json: (o) => `{ "type": "csv", "path": ${JSON.stringify(o.csvPath ?? 'data.csv')}, "label": ${JSON.stringify(o.csvLabel ?? 'label')}, "standardize": true }`,
  },
];

export const PRESETS: PresetChoice[] = [
  { id: 'lecture', label: 'Sigmoid vs ReLU (the lecture)', detail: 'three hidden layers, three variants: sigmoid+glorot, relu+he, sigmoid+normal(1)' },
  { id: 'relu', label: 'One ReLU network', detail: 'three hidden layers, ReLU with He init, SGD' },
  { id: 'adam', label: 'tanh vs ReLU with Adam', detail: 'two hidden layers, Adam, two variants' },
  { id: 'small', label: 'Minimal', detail: 'one hidden layer: the smallest thing that trains' },
];

/** The config text for a dataset and preset (JSONC with comments; 2-space indent). */
export function configTemplate(datasetId: string, presetId: string, o: { name?: string; csvPath?: string; csvLabel?: string } = {}): string {
  const ds = DATASETS.find((d) => d.id === datasetId);
  const preset = PRESETS.find((p) => p.id === presetId);
  if (!ds) throw new Error(`unknown dataset "${datasetId}"`);
  if (!preset) throw new Error(`unknown preset "${presetId}"`);
  const w = ds.width;
  const name = o.name ?? `${ds.id}-${preset.id}`;
  const head = [
    '// An MLP Lens experiment. Edit it and watch the MLP Lens side view: it inspects the network',
    '// at initialization as you type. Train it with the ▶ button above, or "MLP Lens: Train MLP".',
    '// Hover a field for its documentation; Ctrl+Space lists what is allowed.',
    '{',
    `  "name": ${JSON.stringify(name)},`,
    '  // the data: built-in sets, synthetic 2-D sets, or your own CSV',
    `  "dataset": ${ds.json(o)},`,
  ];
  const tail = ['}', ''];
  switch (preset.id) {
    case 'lecture':
      return [
        ...head,
        '  // hidden layer sizes; inputs and outputs come from the data',
        `  "layers": [${w}, ${w}, ${w}],`,
        '  "optimizer": "sgd",',
        '  "lr": 0.1,',
        '  "batchSize": 32,',
        '  "epochs": 5,',
        '  // the same seed: every variant starts from the same random stream and sees the same batches',
        '  "seed": 0,',
        '  // each variant replaces the fields it names',
        '  "variants": [',
        '    // sigmoid passes at most 1/4 of the gradient per layer: watch the gain in the side view',
        '    { "name": "sigmoid+glorot", "activation": "sigmoid", "init": "glorot_uniform" },',
        '    // ReLU with He init keeps the gradient layer after layer',
        '    { "name": "relu+he", "activation": "relu", "init": "he_normal" },',
        '    // a large init saturates the sigmoid units: their gradient is ~0',
        '    { "name": "sigmoid+normal(1)", "activation": "sigmoid", "init": { "scheme": "normal", "std": 1 } }',
        '  ]',
        ...tail,
      ].join('\n');
    case 'relu':
      return [
        ...head,
        `  "layers": [${w}, ${w}, ${w}],`,
        '  // one per layer is also allowed: ["relu", "tanh", "relu"]',
        '  "activation": "relu",',
        '  // He init: Var(W) = 2/fan_in keeps the signal\'s size through ReLU layers',
        '  "init": "he_normal",',
        '  "optimizer": "sgd",',
        '  "lr": 0.1,',
        '  "batchSize": 32,',
        '  "epochs": 10,',
        '  "seed": 0',
        ...tail,
      ].join('\n');
    case 'adam':
      return [
        ...head,
        `  "layers": [${w}, ${w}],`,
        '  "optimizer": "adam",',
        '  // Adam\'s usual step size',
        '  "lr": 0.005,',
        '  "batchSize": 32,',
        '  "epochs": 30,',
        '  "seed": 0,',
        '  "variants": [',
        '    { "name": "tanh", "activation": "tanh", "init": "glorot_uniform" },',
        '    { "name": "relu", "activation": "relu", "init": "he_normal" }',
        '  ]',
        ...tail,
      ].join('\n');
    default:
      return [
        ...head,
        `  "layers": [${w}],`,
        '  "activation": "relu",',
        '  "init": "he_normal",',
        '  "lr": 0.1,',
        '  "epochs": 20,',
        '  "seed": 0',
        ...tail,
      ].join('\n');
  }
}

/** A file name for a new config that is not taken: base.mlp.json, base-2.mlp.json, ... */
export function freeName(base: string, taken: (name: string) => boolean): string {
  for (let i = 1; ; i++) {
    const name = `${base}${i === 1 ? '' : `-${i}`}.mlp.json`;
    if (!taken(name)) return name;
  }
}
