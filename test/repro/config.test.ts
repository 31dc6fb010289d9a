import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { canonicalJson, hashKey, ReplicaCache } from '../../lib/repro/cache';
import { parseActivation, parseReproArgs, UsageError } from '../../lib/repro/cli';
import { fullSweep, points, PRESETS, replicaSeeds } from '../../lib/repro/config';
import { checkpointJob, replicaJob } from '../../lib/repro/jobs';

describe('cache keys', () => {
  it('canonical JSON ignores key order and undefined fields', () => {
    expect(canonicalJson({ b: 1, a: [{ y: 2, x: 1 }], u: undefined })).toBe('{"a":[{"x":1,"y":2}],"b":1}');
    expect(hashKey({ a: 1, b: 2 })).toBe(hashKey({ b: 2, a: 1 }));
    expect(hashKey({ a: 1 })).not.toBe(hashKey({ a: 2 }));
  });

  it('replica 0 of init, order and both is one job; other replicas and versions differ', () => {
    const cfg = PRESETS.ctr();
    const [relu] = points(cfg);
    const job = (source: 'init' | 'order' | 'both', r: number, v = '1') => replicaJob(cfg, { ...relu, source }, r, v, null).key;
    expect(job('init', 0)).toBe(job('order', 0));
    expect(job('both', 0)).toBe(job('order', 0));
    expect(job('init', 1)).not.toBe(job('order', 1));
    expect(job('both', 1, '2')).not.toBe(job('both', 1, '1'));
  });

  it('async replicas share seeds but not keys', () => {
    const cfg = PRESETS.ctr();
    const p = { ...points(cfg)[0], source: 'async' as const };
    const a = replicaJob(cfg, p, 0, '1', null);
    const b = replicaJob(cfg, p, 1, '1', null);
    expect([a.initIndex, a.orderIndex, b.initIndex, b.orderIndex]).toEqual([0, 0, 0, 0]);
    expect(a.asyncThreads).toBeGreaterThan(1);
    expect(a.key).not.toBe(b.key);
  });

  it('warm replicas continue one checkpoint for the remaining epochs on their own order', () => {
    const cfg = PRESETS.quick();
    const p = points(cfg).find((q) => q.source === 'warm')!;
    const ck = checkpointJob(cfg, p.activation, '1', (k) => `/tmp/${k}.ckpt`);
    const j = replicaJob(cfg, p, 2, '1', ck);
    expect(j.checkpoint).toEqual({ key: ck.key, path: ck.path });
    expect(j.orderIndex).toBe(2);
    expect(ck.recipe.epochs + j.recipe.epochs).toBe(cfg.train.epochs);
  });

  it('seeds per source', () => {
    expect(replicaSeeds('init', 3)).toEqual({ initIndex: 3, orderIndex: 0 });
    expect(replicaSeeds('order', 3)).toEqual({ initIndex: 0, orderIndex: 3 });
    expect(replicaSeeds('both', 3)).toEqual({ initIndex: 3, orderIndex: 3 });
    expect(replicaSeeds('async', 3)).toEqual({ initIndex: 0, orderIndex: 0 });
  });

  it('stores and restores predictions exactly', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'repro-cache-'));
    const c = new ReplicaCache(dir);
    const predictions = Float32Array.from([0.1, 1e-30, 0.999]);
    c.put({ key: 'k1', label: 'relu', source: 'both', replica: 0, loss: 0.5, quality: 0.7, predictions, seconds: 1 });
    expect(c.get('k1')!.predictions).toEqual(predictions);
    expect(c.get('missing')).toBeNull();
    fs.rmSync(dir, { recursive: true });
  });
});

describe('points', () => {
  it('the ctr preset: every activation with both, the subset with the other sources, 4 N ReLU replicas for K = 4', () => {
    const cfg = PRESETS.ctr();
    const pts = points(cfg);
    expect(pts.filter((p) => p.source === 'both')).toHaveLength(fullSweep().length);
    expect(pts.filter((p) => p.source === 'init').map((p) => p.label)).toEqual(['relu', 'smelu(beta=1)', 'gelu', 'swish(beta=1)']);
    expect(pts.find((p) => p.source === 'both' && p.label === 'relu')!.replicas).toBe(4 * cfg.replicas);
    expect(pts.find((p) => p.source === 'init' && p.label === 'relu')!.replicas).toBe(cfg.replicas);
  });
});

describe('repro CLI arguments', () => {
  it('applies overrides', () => {
    const a = parseReproArgs(['--preset', 'ctr', '--replicas=3', '--activations', 'relu,smelu:0.5,swish', '--sources', 'order,init', '--epochs', '2', '--out', 'x', '--threads', '1', '--layer-norm']);
    expect(a.config.model.layerNorm).toBe(true);
    expect(parseReproArgs(['--preset', 'ctr', '--ensembles', 'none']).config.ensemble).toBeNull();
    expect(parseReproArgs(['--preset', 'ctr', '--ensembles', '3']).config.ensemble!.sizes).toEqual([3]);
    expect(a.config.replicas).toBe(3);
    expect(a.config.activations).toEqual([{ kind: 'relu' }, { kind: 'smelu', beta: 0.5 }, { kind: 'swish', beta: 1 }]);
    expect(a.config.sources).toEqual(['order', 'init']);
    expect(a.config.sourceSubset).toBeNull();
    expect(a.config.train.epochs).toBe(2);
    expect(a.threads).toBe(1);
    expect(path.isAbsolute(a.out)).toBe(true);
  });

  it.each([
    [[], /--preset is required/],
    [['--preset', 'big'], /unknown preset 'big'/],
    [['--preset', 'quick', '--replicas', '1'], /--replicas must be an integer >= 2/],
    [['--preset', 'quick', '--epochs', '1.5'], /--epochs must be an integer/],
    [['--preset', 'quick', '--sources', 'init,magic'], /unknown source 'magic'/],
    [['--preset', 'quick', '--activations', 'tanh'], /unknown activation 'tanh'/],
    [['--preset', 'quick', '--activations', 'gelu:2'], /takes no parameter/],
    [['--preset', 'quick', '--activations', 'swish:-1'], /beta' must be > 0/],
    [['--preset', 'quick', '--activations', 'relu,relu'], /twice/],
    [['--preset', 'quick', '--bogus', '1'], /unknown option '--bogus'/],
    [['--preset', 'quick', '--ensembles', '1'], /--ensembles must be an integer >= 2/],
    [['--preset', 'quick', '--out'], /needs a value/],
    [['--preset', 'quick', 'extra'], /unexpected argument 'extra'/],
    [['--preset', 'quick', '--epochs', '1', '--sources', 'warm'], /warm source needs more epochs/],
  ])('rejects %j', (args, msg) => {
    expect(() => parseReproArgs(args as string[])).toThrow(UsageError);
    expect(() => parseReproArgs(args as string[])).toThrow(msg);
  });

  it('parses activation shorthands', () => {
    expect(parseActivation('gsmelu')).toMatchObject({ kind: 'gsmelu', gNeg: 0.1, gPos: 1, alpha: 1, beta: 1 });
    expect(parseActivation('softplus:4')).toMatchObject({ kind: 'softplus', beta: 4 });
  });
});
