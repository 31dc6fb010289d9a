/** File-system edges of checkpoint and model files, and the lab's cache entries. */
import { execFileSync } from 'child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { afterAll, describe, expect, it } from 'vitest';
import { CheckpointError, fit, loadCheckpoint, mlp, saveCheckpoint, Dataset, type TrainState } from '../../lib/nn';
import { writeAtomic } from '../../lib/nn/frame';
import { readModelFile } from '../../lib/nn/model-file';
import { ReplicaCache, type ReplicaResult } from '../../lib/repro/cache';
import { verifiedCheckpoint } from '../../lib/repro/runner';

const dir = mkdtempSync(join(tmpdir(), 'smelu-files-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function state(): TrainState {
  const m = mlp({ inputs: 2, hidden: [3], outputs: 1, activation: 'relu' });
  const data = new Dataset({ labels: new Float32Array([0, 1, 1, 0]), dense: new Float32Array([0, 0, 0, 1, 1, 0, 1, 1]), numDense: 2 });
  const path = join(dir, 'seed.ckpt');
  fit(m, data, { epochs: 1, batchSize: 2, loss: 'bce', seed: 1, optimizer: { kind: 'adagrad', lr: 0.1 }, checkpoint: { path, everySteps: 1 } });
  return loadCheckpoint(path);
}
const st = state();
const temps = (d: string) => readdirSync(d).filter((f) => f.endsWith('.tmp'));

describe('atomic writes', () => {
  it('a legal 255-byte file name works (the temp name is short)', () => {
    const name = join(dir, 'n'.repeat(250) + '.ckpt');
    saveCheckpoint(name, st);
    expect(loadCheckpoint(name).position).toEqual(st.position);
    expect(temps(dir)).toEqual([]);
  });

  it('no temp file is left when the rename fails (destination is a non-empty folder)', () => {
    const target = join(dir, 'is-a-folder');
    mkdirSync(join(target, 'inside'), { recursive: true });
    expect(() => saveCheckpoint(target, st)).toThrow(/EISDIR|ENOTEMPTY|EEXIST/);
    expect(temps(dir)).toEqual([]);
  });

  it('no temp file is left when writing fails', () => {
    expect(() => writeAtomic(join(dir, 'w.bin'), () => { throw new Error('disk on fire'); })).toThrow('disk on fire');
    expect(temps(dir)).toEqual([]);
  });

  it('saving through a symbolic link replaces the file it points to and keeps the link', () => {
    const real = join(dir, 'real.ckpt');
    const link = join(dir, 'link.ckpt');
    writeFileSync(real, 'old');
    symlinkSync(real, link);
    saveCheckpoint(link, st);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(loadCheckpoint(real).position).toEqual(st.position);
  });

  it('a dangling symbolic link is refused, not replaced', () => {
    const link = join(dir, 'dangling.ckpt');
    symlinkSync(join(dir, 'missing', 'x.ckpt'), link);
    expect(() => saveCheckpoint(link, st)).toThrow(/symbolic link to a missing file/);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
  });
});

describe('non-regular files are refused by the loaders', () => {
  it('/dev/zero, a FIFO (without blocking) and a folder', () => {
    expect(() => loadCheckpoint('/dev/zero')).toThrow(/is not a regular file/);
    const fifo = join(dir, 'pipe.ckpt');
    execFileSync('mkfifo', [fifo]);
    expect(() => loadCheckpoint(fifo)).toThrow(CheckpointError);
    expect(() => loadCheckpoint(fifo)).toThrow(/is not a regular file/);
    expect(() => loadCheckpoint(dir)).toThrow(CheckpointError);
    expect(() => readModelFile('/dev/zero')).toThrow(/is not a regular file/);
    expect(() => readModelFile(fifo)).toThrow(/is not a regular file/);
  });
});

describe('the lab cache', () => {
  const result = (key: string): ReplicaResult => ({
    key, label: 'smelu', source: 'synthetic', replica: 0, loss: 0.5, quality: 0.7, predictions: new Float32Array([0.25, 0.75]), seconds: 1,
  });

  it('round-trips an entry with its checksum', () => {
    const c = new ReplicaCache(join(dir, 'cache1'));
    c.put(result('k1'));
    expect(readFileSync(c.file('k1'), 'utf8')).toMatch(/^smelu-replica-1 sha256=[0-9a-f]{64}\n\{/);
    expect(Array.from(c.get('k1')!.predictions)).toEqual([0.25, 0.75]);
    expect(c.discarded).toEqual([]);
  });

  it.each([
    ['empty', () => '', /empty/],
    ['truncated', (t: string) => t.slice(0, t.length - 7), /checksum mismatch/],
    ['tampered', (t: string) => t.replace('"loss":0.5', '"loss":0.1'), /checksum mismatch/],
    ['an old entry without checksum', (t: string) => t.slice(t.indexOf('\n') + 1), /no checksum line/],
  ])('a %s entry is named, discarded and reported as a miss', (_what, spoil, why) => {
    const c = new ReplicaCache(join(dir, 'cache2'));
    c.put(result('k2'));
    writeFileSync(c.file('k2'), spoil(readFileSync(c.file('k2'), 'utf8')));
    expect(c.get('k2')).toBeNull();
    expect(c.discarded).toHaveLength(1);
    expect(c.discarded[0].file).toBe(c.file('k2'));
    expect(c.discarded[0].reason).toMatch(why);
    expect(existsSync(c.file('k2'))).toBe(false);
    c.put(result('k2')); // the rerun retrains and stores it again
    expect(c.get('k2')).not.toBeNull();
  });

  it('NaN predictions with a valid checksum are never used', () => {
    const c = new ReplicaCache(join(dir, 'cache3'));
    c.put({ ...result('k3'), predictions: new Float32Array([NaN, 0.5]) });
    expect(c.get('k3')).toBeNull();
    expect(c.discarded[0].reason).toMatch(/non-finite predictions/);
  });

  it('a warm-start checkpoint is verified, not only found', () => {
    const good = join(dir, 'warm.ckpt');
    saveCheckpoint(good, st);
    expect(verifiedCheckpoint(good)).toBe(true);
    const bytes = readFileSync(good);
    bytes[bytes.length - 10] ^= 1;
    writeFileSync(good, bytes);
    expect(verifiedCheckpoint(good)).toBe(false);
    expect(existsSync(good)).toBe(false); // deleted so the runner trains it again
    expect(verifiedCheckpoint(join(dir, 'absent.ckpt'))).toBe(false);
  });
});
