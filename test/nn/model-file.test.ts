import { readdirSync, readFileSync, writeFileSync } from 'fs';
import { join } from 'path';
import { gzipSync } from 'zlib';
import { describe, expect, it } from 'vitest';
import {
  CheckpointError, ctrModel, Dataset, FRAME_PART, decodeModelFile, encodeModelFile, Features, features, fit, loadModel, mlp, modelContents,
  modelFromCheckpoint, ModelFileError, predict, type FeatureOptions,
} from '../../lib/nn';
import { sameBits } from './helpers/bits';
import { tempFiles } from './helpers/files';

const { dir, file } = tempFiles('smelu-nn-model-');

const PLANS = ['free', 'pro', 'team'];
const COUNTRIES = ['DE', 'US', 'FR', ''];
const GENRES = ['Action', 'Comedy', 'Drama', 'Horror'];

/** A small CSV with every kind of column; the label depends on all of them. */
function usersCsv(rows: number): string {
  const lines = ['age,plan,country,income,genres,note,clicked'];
  for (let i = 0; i < rows; i++) {
    const age = 18 + ((i * 7) % 50);
    const plan = PLANS[i % 3];
    const income = i % 9 === 4 ? '' : String(20000 + ((i * 3331) % 60000));
    const genres = [GENRES[i % 4], GENRES[(i >> 2) % 4]].join('|');
    const yes = (age > 40 ? 1 : 0) + (plan === 'pro' ? 1 : 0) + (genres.includes('Drama') ? 1 : 0) >= 2;
    lines.push(`${age},${plan},${COUNTRIES[i % 4]},${income},${genres},"free text, ""quoted""",${yes ? 'yes' : 'no'}`);
  }
  return lines.join('\n') + '\n';
}

const OPTS: FeatureOptions = {
  label: 'clicked', positive: 'yes', numeric: ['age', 'income'], categorical: ['plan', 'country'],
  bags: { genres: '|' }, ignore: ['note'], missing: { income: 'mean' }, buckets: 64,
};

const RAW = [
  { age: 52, plan: 'pro', country: 'DE', income: 41000, genres: ['Drama', 'Action'] },
  { age: '23', plan: 'free', income: null, genres: 'Comedy|Horror' }, // country and income missing
  { age: 35, plan: 'newplan', country: 'XX', income: '', genres: [] },
];

describe('feature spec', () => {
  it('learns the same statistics in one streaming pass as from the loaded file, and round-trips through JSON', async () => {
    const p = file('users.csv.gz', gzipSync(usersCsv(300)));
    const streamed = await features(OPTS).fit(p, { chunkRows: 7 });
    const inMemory = features(OPTS);
    const a = await inMemory.load(p);
    const b = await streamed.load(p);
    expect(inMemory.stats).toEqual(streamed.stats);
    expect(sameBits(a.dataset.dense, b.dataset.dense)).toBe(true);
    const parts: Dataset[] = [];
    for await (const { dataset } of streamed.loadChunks(p, { chunkRows: 64 })) parts.push(dataset);
    expect(parts.map((d) => d.n)).toEqual([64, 64, 64, 64, 44]);
    expect(sameBits(Dataset.concat(parts).dense, b.dataset.dense)).toBe(true);
    expect(() => features(OPTS).loadChunks(p)).toThrow(/not fitted/);
    const s = streamed.stats;
    expect(s[1].count).toBe(300 - 33); // the missing incomes are not counted
    const ages = Array.from({ length: 300 }, (_, i) => 18 + ((i * 7) % 50));
    expect(s[0].mean).toBeCloseTo(ages.reduce((x, y) => x + y) / 300, 10);
    // standardized: mean 0 and (population) variance 1 over the rows
    const col = Array.from(b.dataset.dense.filter((_, i) => i % 2 === 0));
    expect(col.reduce((x, y) => x + y) / 300).toBeCloseTo(0, 5);
    expect(col.reduce((x, y) => x + y * y, 0) / 300).toBeCloseTo(1, 5);
    const back = Features.fromJSON(JSON.parse(JSON.stringify(streamed.toJSON())));
    expect(sameBits(back.transform(RAW).dense, streamed.transform(RAW).dense)).toBe(true);
    expect(back.transform(RAW).cat).toEqual(streamed.transform(RAW).cat);
  });

  it('encodes raw objects and CSV lines (with or without the label cell) like the file rows', async () => {
    const text = usersCsv(40);
    const f = features(OPTS);
    const { dataset } = await f.load(file('u40.csv', text));
    const lines = text.trim().split('\n').slice(1, 6);
    const fromLines = f.transform(lines);
    const noLabel = f.transform(lines.map((l) => l.slice(0, l.lastIndexOf(','))));
    const head = dataset.slice(0, 5);
    expect(sameBits(fromLines.dense, head.dense)).toBe(true);
    expect(fromLines.cat).toEqual(head.cat);
    expect(noLabel.bags[0].ids).toEqual(head.bags[0].ids);
    const t = f.transform(RAW);
    expect(t.dense[3]).toBe(0); // a missing income is the training mean, standardized to 0
    expect(t.cat[3]).toBe(0); // a missing country is bucket 0
    expect(Array.from(t.bags[0].offsets)).toEqual([0, 2, 4, 4]);
    expect(() => f.transform([{ age: 'old', plan: 'pro' }])).toThrow("row 0: column 'age' (index 0): 'old' is not a finite number");
    expect(() => f.transform([{ age: { x: 1 } }])).toThrow(/row 0: column 'age' \(index 0\) holds object/);
  });

  it('refuses a file whose header differs from the fitted one', async () => {
    const f = await features(OPTS).fit(file('h1.csv', usersCsv(10)));
    const other = usersCsv(10).replace('age,plan', 'years,plan');
    await expect(f.load(file('h2.csv', other))).rejects.toThrow(/no column named 'age'/);
  });
});

/** A CTR model trained on the users file through its feature spec. */
async function trainedCtr(): Promise<{ model: ReturnType<typeof ctrModel>; f: Features }> {
  const f = features(OPTS);
  const { dataset } = await f.load(file('train.csv', usersCsv(200)));
  const model = ctrModel({ features: f, embeddingDim: 4, hidden: [8], activation: 'smelu', seed: 3 });
  fit(model, dataset, { epochs: 2, batchSize: 32, optimizer: { kind: 'adam', lr: 0.01 }, loss: 'bce', seed: 3 });
  return { model, f };
}

describe('model file', () => {
  it('saves and loads config, head, features and weights; predictions are bitwise equal and fresh arrays', async () => {
    const { model, f } = await trainedCtr();
    const path = join(dir, 'ctr.smelu');
    model.save(path);
    expect(readdirSync(dir).filter((n) => n.includes('.tmp'))).toEqual([]);
    const loaded = loadModel(path);
    expect(loaded.config()).toEqual(model.config());
    expect(loaded.head).toBe('sigmoid');
    loaded.params().forEach((p, i) => expect(sameBits(p.value, model.params()[i].value), p.name).toBe(true));
    const p1 = loaded.predict(RAW);
    const p2 = loaded.predict(RAW);
    expect(p1).not.toBe(p2);
    expect(sameBits(p1, model.predict(RAW))).toBe(true);
    expect(sameBits(p1, p2)).toBe(true);
    p1.fill(-1); // a caller's array is its own: the next prediction does not see this
    expect(sameBits(loaded.predict(RAW), p2)).toBe(true);
    expect(p2.every((v) => v > 0 && v < 1)).toBe(true);
    // the same as the dataset path with an explicit loss
    expect(sameBits(p2, predict(model, f.transform(RAW), { loss: 'bce' }))).toBe(true);
  });

  it('remembers a linear head from an mse fit and a softmax head for classes; predict needs no loss name', async () => {
    const f = features({ label: 'clicked', positive: 'yes', numeric: ['age', 'income'], ignore: ['plan', 'country', 'genres', 'note'], missing: { income: 0 } });
    const { dataset } = await f.load(file('num.csv', usersCsv(60)));
    const reg = mlp({ features: f, hidden: [4], outputs: 1, seed: 1 });
    fit(reg, dataset, { epochs: 1, batchSize: 16, optimizer: { kind: 'sgd', lr: 0.01 }, loss: 'mse' });
    reg.save(join(dir, 'reg.smelu'));
    const back = loadModel(join(dir, 'reg.smelu'));
    expect(back.head).toBe('linear');
    expect(sameBits(back.predict(RAW), predict(reg, f.transform(RAW), { loss: 'mse' }))).toBe(true);
    const cls = mlp({ inputs: 2, hidden: [4], outputs: 3 });
    const probs = cls.predict(dataset);
    for (let i = 0; i < 3; i++) expect(probs[i * 3] + probs[i * 3 + 1] + probs[i * 3 + 2]).toBeCloseTo(1, 6);
    expect(() => cls.predict(RAW)).toThrow(/raw rows need a feature spec/);
    expect(() => cls.predict(RAW[0] as never)).toThrow(/rows must be an array of raw rows/);
  });

  it('an MLP refuses categorical columns, naming them', async () => {
    const f = await features(OPTS).fit(file('cat.csv', usersCsv(20)));
    expect(() => mlp({ features: f, hidden: [4], outputs: 1 })).toThrow(
      "the MLP reads numeric columns only; the data has 2 categorical and 1 bag column(s) ('plan', 'country', 'genres'): use nn.ctrModel (embeddings), or ignore them",
    );
    const { dataset } = await f.load(file('cat.csv', usersCsv(20)));
    const m = mlp({ inputs: 2, hidden: [4], outputs: 1 });
    expect(() => fit(m, dataset, { epochs: 1, batchSize: 8, optimizer: { kind: 'sgd', lr: 0.1 }, loss: 'bce' })).toThrow(/'plan', 'country', 'genres'/);
  });

  it('names what differs on load: field, tensor and shape; refuses corrupt files', async () => {
    const { model } = await trainedCtr();
    const contents = modelContents(model, 'sigmoid', model.features);
    const bytes = encodeModelFile(contents);
    expect(decodeModelFile(bytes).params.map((p) => p.name)).toEqual(model.params().map((p) => p.name));
    const write = (name: string, c: typeof contents): string => {
      const p = join(dir, name);
      writeFileSync(p, encodeModelFile(c));
      return p;
    };
    const t1 = contents.params[3];
    const swapped = { ...contents, params: contents.params.map((p, i) => (i === 3 ? { ...t1, shape: [t1.value.length / 2, 2] } : p)) };
    expect(() => loadModel(write('shape.smelu', swapped))).toThrow(new RegExp(`tensor '${t1.name}' has shape \\[${t1.value.length / 2}, 2\\], the config builds \\[${t1.shape.join(', ')}\\]`));
    const renamed = { ...contents, params: contents.params.map((p, i) => (i === 0 ? { ...p, name: 'emb9.table' } : p)) };
    expect(() => loadModel(write('name.smelu', renamed))).toThrow(/tensor 0 is 'emb9\.table', the config's layer has 'emb0\.table' there/);
    expect(() => loadModel(write('head.smelu', { ...contents, head: 'tanh' as never }))).toThrow(/field 'head' must be 'sigmoid', 'softmax' or 'linear', got "tanh"/);
    const fewer = { ...contents.features!, stats: [] };
    expect(() => loadModel(write('feat.smelu', { ...contents, features: fewer }))).toThrow(/features: 0 column stats for 2 numeric columns/);
    const noNumeric = { ...contents.features!, options: { ...contents.features!.options, numeric: ['age'], ignore: ['note', 'income'], missing: {} }, stats: [contents.features!.stats[0]] };
    expect(() => loadModel(write('fit.smelu', { ...contents, features: noNumeric }))).toThrow(/the features do not fit the model: the model takes 2 dense/);
    const bad = Buffer.from(bytes);
    bad[bad.length >> 1] ^= 1;
    writeFileSync(join(dir, 'bad.smelu'), bad);
    expect(() => loadModel(join(dir, 'bad.smelu'))).toThrow(ModelFileError);
    expect(() => loadModel(join(dir, 'bad.smelu'))).toThrow(/model file .*bad\.smelu: checksum mismatch/);
    expect(() => loadModel(join(dir, 'absent.smelu'))).toThrow(/cannot be read/);
    writeFileSync(join(dir, 'trunc.smelu'), bytes.subarray(0, bytes.length - 10));
    expect(() => loadModel(join(dir, 'trunc.smelu'))).toThrow(/truncated/);
  });

  it('writes and reads a tensor larger than one I/O part, piece by piece', () => {
    const vocab = Math.ceil((FRAME_PART * 2.5) / 4 / 4); // a 4-wide table of 2.5 parts
    const model = ctrModel({ numDense: 1, fields: [{ vocab, dim: 4 }], hidden: [2], seed: 9 });
    const path = join(dir, 'big.smelu');
    model.save(path);
    const back = loadModel(path);
    expect(back.params()[0].value.byteLength).toBeGreaterThan(2 * FRAME_PART);
    back.params().forEach((p, i) => expect(sameBits(p.value, model.params()[i].value), p.name).toBe(true));
  });

  it('turns a checkpoint into a model file (no optimizer state in it)', async () => {
    const f = features(OPTS);
    const { dataset } = await f.load(file('ck.csv', usersCsv(100)));
    const model = ctrModel({ features: f, embeddingDim: 4, hidden: [8], seed: 5 });
    const ckpt = join(dir, 'run.ckpt');
    fit(model, dataset, { epochs: 1, batchSize: 20, optimizer: { kind: 'adam', lr: 0.01 }, loss: 'bce', checkpoint: { path: ckpt, everySteps: 100 } });
    const fromCk = modelFromCheckpoint(ckpt, { features: f });
    expect(fromCk.head).toBe('sigmoid');
    fromCk.save(join(dir, 'from-ckpt.smelu'));
    const served = loadModel(join(dir, 'from-ckpt.smelu'));
    expect(sameBits(served.predict(RAW), model.predict(RAW))).toBe(true);
    const paramBytes = model.params().reduce((a, p) => a + p.value.byteLength, 0);
    expect(readFileSync(join(dir, 'from-ckpt.smelu')).length).toBeLessThan(readFileSync(ckpt).length - paramBytes); // adam's two moments stayed behind
    expect(() => modelFromCheckpoint(join(dir, 'from-ckpt.smelu'))).toThrow(CheckpointError);
  });
});
