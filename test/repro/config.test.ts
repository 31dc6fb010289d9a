import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { canonicalJson, hashKey, ReplicaCache } from '../../lib/repro/cache';
import { parseActivation, parseReproArgs, UsageError } from '../../lib/repro/cli';
import { fullSweep, points, PRESETS, replicaSeeds, sweepName } from '../../lib/repro/config';
import { checkpointJob, replicaJob } from '../../lib/repro/jobs';
import { Cores } from '../../lib/repro/runner';

describe('cache keys', () => {
  it('canonical JSON ignores key order and undefined fields', () => {
    expect(canonicalJson({ b: 1, a: [{ y: 2, x: 1 }], u: undefined })).toBe('{"a":[{"x":1,"y":2}],"b":1}');
    expect(hashKey({ a: 1, b: 2 })).toBe(hashKey({ b: 2, a: 1 }));
    expect(hashKey({ a: 1 })).not.toBe(hashKey({ a: 2 }));
  });

  it('replica 0 of init, order, both and ulp is one job; other replicas, versions, regimes, rates and data seeds differ', () => {
    const cfg = PRESETS.ctr();
    const [p] = points(cfg);
    const job = (source: 'init' | 'order' | 'both' | 'ulp', r: number, v = '1', more: Partial<typeof p> = {}, d = 0) => replicaJob(cfg, { ...p, source, ...more }, r, v, null, d).key;
    expect(job('init', 0)).toBe(job('order', 0));
    expect(job('both', 0)).toBe(job('order', 0));
    expect(job('ulp', 0)).toBe(job('order', 0));
    expect(job('ulp', 1)).not.toBe(job('init', 1));
    expect(job('init', 1)).not.toBe(job('order', 1));
    expect(job('both', 1, '2')).not.toBe(job('both', 1, '1'));
    expect(job('both', 1, '1', { shuffle: 'window:4096' })).not.toBe(job('both', 1));
    expect(job('both', 1, '1', { learningRate: 0.3 })).not.toBe(job('both', 1));
    expect(job('both', 1, '1', {}, 1)).not.toBe(job('both', 1));
  });

  it('replica seeds come from the config and the replica index, not from the run order', () => {
    const cfg = PRESETS.ctr();
    const pts = points(cfg).filter((q) => q.source === 'both');
    const relu = pts.find((q) => q.label === 'relu')!;
    const swish = pts.find((q) => q.label === 'swish(beta=1)')!;
    const a = replicaJob(cfg, relu, 3, '1', null);
    const b = replicaJob(cfg, swish, 3, '1', null);
    expect([a.seed, a.initIndex, a.orderIndex]).toEqual([b.seed, b.initIndex, b.orderIndex]);
    expect(a.data).toEqual(b.data);
  });

  it('async replicas state their staleness knobs: racing workers and batch', () => {
    const cfg = PRESETS.ctr();
    cfg.train.asyncBatch = 32;
    const p = { ...points(cfg)[0], source: 'async' as const };
    const j = replicaJob(cfg, p, 1, '1', null);
    expect([j.asyncThreads, j.asyncBatch]).toEqual([2, 32]);
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
    const ck = checkpointJob(cfg, p, 0, '1', (k) => `/tmp/${k}.ckpt`);
    const j = replicaJob(cfg, p, 2, '1', ck);
    expect(j.checkpoint).toEqual({ key: ck.key, path: ck.path });
    expect(j.orderIndex).toBe(2);
    expect(ck.recipe.epochs + j.recipe.epochs).toBe(cfg.train.epochs);
  });

  it('seeds per source', () => {
    expect(replicaSeeds('init', 3)).toEqual({ initIndex: 3, orderIndex: 0, ulpIndex: 0 });
    expect(replicaSeeds('order', 3)).toEqual({ initIndex: 0, orderIndex: 3, ulpIndex: 0 });
    expect(replicaSeeds('both', 3)).toEqual({ initIndex: 3, orderIndex: 3, ulpIndex: 0 });
    expect(replicaSeeds('ulp', 3)).toEqual({ initIndex: 0, orderIndex: 0, ulpIndex: 3 });
    expect(replicaSeeds('async', 3)).toEqual({ initIndex: 0, orderIndex: 0, ulpIndex: 0 });
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
  it('the ctr preset: every activation and the linear floor with both, the subset with the other sources, per regime and rate', () => {
    const cfg = PRESETS.ctr();
    const pts = points(cfg);
    const grid = cfg.train.shuffles!.length * cfg.tune!.lr.length;
    expect(pts.filter((p) => p.source === 'both')).toHaveLength((fullSweep().length + 1) * grid);
    const init = pts.filter((p) => p.source === 'init' && p.shuffle === 'full' && p.learningRate === 0.01);
    expect(init.map((p) => p.label)).toEqual(['linear', 'relu', 'smelu(beta=1)', 'gelu', 'swish(beta=1)']);
    expect(pts.find((p) => p.source === 'both' && p.label === 'relu')!.replicas).toBe(4 * cfg.replicas);
    expect(pts.find((p) => p.source === 'both' && p.label === 'swish(beta=1)')!.replicas).toBe(4 * cfg.replicas);
    expect(pts.find((p) => p.source === 'init' && p.label === 'relu')!.replicas).toBe(cfg.replicas);
  });

  it('ctr-stream is one pass in windowed time order', () => {
    const cfg = PRESETS['ctr-stream']();
    expect(cfg.train.epochs).toBe(1);
    expect(cfg.train.shuffles).toContain('window:4096');
    expect(cfg.data).toMatchObject({ teacher: 'crosses', drift: 1 });
  });
});

describe('sweep names', () => {
  it('name the model switches, so the charts of a variant are not taken for the plain preset', () => {
    const ctr = PRESETS.ctr();
    const frozen = { ...ctr, model: { ...ctr.model, frozenEmbeddings: true } };
    expect([sweepName(ctr), sweepName({ ...ctr, model: { ...ctr.model, layerNorm: true } }), sweepName(frozen)])
      .toEqual(['ctr', 'ctr with layer norm', 'ctr with frozen embeddings']);
  });
});

describe('repro CLI arguments', () => {
  it('applies the recipe, regime and statistics options', () => {
    const a = parseReproArgs([
      '--preset', 'ctr', '--shuffle', 'window:256,4096', '--passes', '1', '--lr', '0.2', '--optimizer', 'adam', '--batch', '64',
      '--hidden', '32,16', '--embedding-dim', '4', '--eval-every', '5000', '--data-seeds', '3', '--async-workers', '4', '--async-batch', '16',
      '--activations', 'relu,linear,smelu:2', '--frozen-embeddings', '--sources', 'both,ulp',
    ]);
    const c = a.config;
    expect(c.train).toMatchObject({ shuffles: ['window:256', 'window:4096'], epochs: 1, learningRate: 0.2, optimizer: 'adam', batchSize: 64, evalEvery: 5000, asyncThreads: 4, asyncBatch: 16 });
    expect(c.model).toMatchObject({ hidden: [32, 16], embeddingDim: 4, frozenEmbeddings: true });
    expect(c.tune).toBeNull(); // an explicit --lr replaces the preset's grid
    expect(c.dataSeeds).toBe(3);
    expect(c.activations).toEqual([{ kind: 'relu' }, { kind: 'identity' }, { kind: 'smelu', beta: 2 }]);
    expect(c.ensemble!.activations).toEqual([{ kind: 'relu' }]);
    const t = parseReproArgs(['--preset', 'quick', '--tune', 'lr=0.01,0.03,0.1,0.3', '--validation-fraction', '0.25']).config.tune;
    expect(t).toEqual({ lr: [0.01, 0.03, 0.1, 0.3], validationFraction: 0.25 });
  });

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
    [[], /--preset \(quick, ctr, ctr-stream, digits\) or --data FILE is required/],
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
    [['--preset', 'quick', '--shuffle', 'window:1'], /--shuffle: shuffle must be full, none or window:W/],
    [['--preset', 'quick', '--tune', '0.1,0.2'], /--tune expects lr=A,B/],
    [['--preset', 'quick', '--tune', 'lr=0.1,-1'], /--tune must be a number > 0/],
    [['--preset', 'quick', '--lr', '0'], /--lr must be a number > 0/],
    [['--preset', 'quick', '--optimizer', 'lion'], /--optimizer must be one of adagrad, sgd, adam/],
    [['--preset', 'quick', '--epochs', '2', '--passes', '1'], /--epochs or --passes/],
    [['--preset', 'quick', '--hidden', '8,x'], /--hidden must be an integer >= 1/],
    [['--preset', 'quick', '--async-workers', '1'], /--async-workers must be an integer >= 2/],
    [['--preset', 'digits', '--frozen-embeddings'], /--frozen-embeddings needs data with categorical fields/],
    [['--preset', 'quick', '--frozen-embeddings', '--sources', 'both,async'], /does not combine with the async source/],
    [['--preset', 'quick', '--lr', '0.1', '--validation-fraction', '0.2'], /--validation-fraction needs --tune/],
  ])('rejects %j', (args, msg) => {
    expect(() => parseReproArgs(args as string[])).toThrow(UsageError);
    expect(() => parseReproArgs(args as string[])).toThrow(msg);
  });

  it('parses activation shorthands', () => {
    expect(parseActivation('gsmelu')).toMatchObject({ kind: 'gsmelu', gNeg: 0.1, gPos: 1, alpha: 1, beta: 1 });
    expect(parseActivation('softplus:4')).toMatchObject({ kind: 'softplus', beta: 4 });
  });
});

describe('core accounting of the runner', () => {
  it('an async replica waits until as many cores as its racing threads are free', async () => {
    const cores = new Cores(2);
    const log: string[] = [];
    await cores.acquire(1);
    const a = cores.acquire(2).then(() => log.push('async'));
    const b = cores.acquire(1).then(() => log.push('plain')); // first come, first served: behind the async one
    await Promise.resolve();
    expect(log).toEqual([]);
    cores.release(1);
    await a;
    expect(log).toEqual(['async']);
    cores.release(2);
    await b;
    expect(log).toEqual(['async', 'plain']);
  });
});
