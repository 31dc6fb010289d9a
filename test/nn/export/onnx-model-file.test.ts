/**
 * ONNX export of a model file's model: a CTR model trained from a named-column CSV (numeric,
 * categorical and bag columns) is saved, loaded, exported, and run in onnxruntime-node on raw rows
 * fed through `onnxFeeds` and the model's feature spec; and `smelu export --model` /
 * `--save-model`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { ctrModel, exportOnnx, loadModel, modelFromCheckpoint, onnxFeeds, onnxOutputOf, type BaseModel, type RawRow } from '../../../lib/nn';
import { sameBits } from '../helpers/bits';
import { tempFiles } from '../helpers/files';
import { savedUsersCtr, usersTestRows } from '../helpers/users';
import { BOUND, exportCli, maxAbsDiff } from './parity-cases';

const { dir } = tempFiles('smelu-onnx-model-');

/** The exported model's output on raw rows, fed through onnxFeeds. */
async function runOnnx(bytes: Uint8Array, model: BaseModel, rows: readonly RawRow[]): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(bytes);
  const feeds = Object.fromEntries(Object.entries(onnxFeeds(model, rows)).map(([k, f]) => [k, new ort.Tensor(f.type, f.data, f.dims)]));
  expect(session.inputNames).toEqual(['dense', 'cat', 'bag0']);
  return (await session.run(feeds)).output.data as Float32Array;
}

describe('ONNX export of a model with a feature spec', () => {
  it('a loaded model file runs in onnxruntime on raw rows within 1e-5 of model.predict', async () => {
    const { modelFile } = await savedUsersCtr(dir);
    const loaded = loadModel(modelFile);
    const rows = usersTestRows();
    const want = loaded.predict(rows);
    const got = await runOnnx(exportOnnx(loaded, { output: onnxOutputOf(loaded.head) }), loaded, rows);
    expect(got.length).toBe(rows.length);
    const d = maxAbsDiff(got, want);
    console.info(`ONNX export of a loaded model file (CTR: numeric, categorical, bag; layer norm), ${rows.length} raw rows: max |onnxruntime - predict| = ${d.toExponential(2)}`);
    expect(d).toBeLessThanOrEqual(BOUND);
    expect(() => onnxFeeds(ctrModel({ numDense: 2, fields: [5] }), rows)).toThrow(/feature spec/);
    expect(() => onnxFeeds(loaded, [{ age: 'old' }])).toThrow(RangeError);
  });

  it('smelu export --model gives the bytes of exportOnnx(loadModel(file)) with the head as output; --save-model turns a checkpoint into a model file', async () => {
    const { model, modelFile, checkpoint } = await savedUsersCtr(dir);
    const out = path.join(dir, 'cli.onnx');
    const r = exportCli(['--onnx', out, '--model', modelFile]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/output sigmoid/);
    expect(fs.readFileSync(out)).toEqual(Buffer.from(exportOnnx(loadModel(modelFile), { output: 'sigmoid' })));

    const converted = path.join(dir, 'from-ckpt.smelu');
    const c = exportCli(['--save-model', converted, '--checkpoint', checkpoint]);
    expect(c.status, c.stderr).toBe(0);
    const fromFile = loadModel(converted);
    const direct = modelFromCheckpoint(checkpoint);
    expect(fromFile.head).toBe('sigmoid');
    expect(fromFile.config()).toEqual(model.config());
    fromFile.params().forEach((p, i) => expect(sameBits(p.value, direct.params()[i].value), p.name).toBe(true));

    for (const bad of [
      ['--onnx', out],
      ['--model', modelFile],
      ['--onnx', out, '--model', modelFile, '--checkpoint', checkpoint],
      ['--onnx', out, '--model', modelFile, '--output', 'probs'],
      ['--save-model'],
    ]) {
      const b = exportCli(bad);
      expect(b.status, bad.join(' ')).toBe(2);
      expect(b.stderr).toMatch(/usage: smelu export/);
    }
  });
});
