/**
 * Heavy suite: a model file past 2 GiB (one embedding table of 2^31 + 2^22 bytes) is written and
 * read in parts and comes back bit for bit; no Buffer ever holds the file.
 */
import { statSync } from 'fs';
import { join } from 'path';
import { describe, expect, it } from 'vitest';
import { ctrModel, loadModel } from '../../lib/nn';
import { sameBits } from './helpers/bits';
import { tempFiles } from './helpers/files';

const { dir } = tempFiles('smelu-nn-huge-model-');

describe('model file past 2 GiB', () => {
  it('saves and loads an embedding table of more than 2^31 bytes bit for bit', () => {
    const vocab = 2 ** 27 + 2 ** 18; // x 4 floats x 4 bytes = 2^31 + 2^22 bytes
    const model = ctrModel({ numDense: 1, fields: [{ vocab, dim: 4, init: { kind: 'uniform', limit: 0.05 } }], hidden: [2], seed: 11 });
    const table = model.params()[0].value;
    expect(table.byteLength).toBeGreaterThan(2 ** 31);
    const path = join(dir, 'huge.smelu');
    model.save(path);
    expect(statSync(path).size).toBeGreaterThan(2 ** 31);
    const back = loadModel(path);
    back.params().forEach((p, i) => expect(sameBits(p.value, model.params()[i].value), p.name).toBe(true));
  });
});
