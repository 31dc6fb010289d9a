/** Caps on the command lines: values that make no sense are usage errors before anything runs. */
import { mkdtempSync, rmSync } from 'fs';
import { availableParallelism, tmpdir } from 'os';
import { join } from 'path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseReproArgs, UsageError } from '../../lib/repro/cli';
import { presetConfig, SWEEP_LIMITS, THREADS_PER_CORE } from '../../lib/repro/config';
import { parseTrainArgs } from '../../lib/train-cli';

const dir = mkdtempSync(join(tmpdir(), 'smelu-cli-caps-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const repro = (...a: string[]) => () => parseReproArgs(['--preset', 'quick', '--out', join(dir, 'out'), ...a]);

describe('smelu repro', () => {
  it.each(['__proto__', 'constructor', 'toString', 'hasOwnProperty'])('--preset %s is an unknown preset', (name) => {
    expect(presetConfig(name)).toBeUndefined();
    expect(() => parseReproArgs(['--preset', name])).toThrow(UsageError);
    expect(() => parseReproArgs(['--preset', name])).toThrow(/unknown preset/);
  });

  it(`--threads is at most ${THREADS_PER_CORE} x the available cores`, () => {
    const max = availableParallelism() * THREADS_PER_CORE;
    expect(parseReproArgs(['--preset', 'quick', '--threads', String(max)]).threads).toBe(max);
    expect(repro('--threads', String(max + 1))).toThrow(new RegExp(`threads must be an integer from 1 to ${max}`));
    expect(repro('--threads', '1000000')).toThrow(UsageError);
  });

  it('replicas, ensembles, data seeds and the sweep size are bounded', () => {
    expect(repro('--replicas', String(SWEEP_LIMITS.replicas + 1))).toThrow(/replicas must be an integer from 2 to 1000/);
    expect(repro('--ensembles', '2,1000')).toThrow(/ensemble size must be an integer from 2 to 64/);
    expect(repro('--data-seeds', '1000')).toThrow(/data seeds must be an integer from 1 to 100/);
    expect(repro('--replicas', '1000', '--data-seeds', '100')).toThrow(/the sweep would train \d+ replicas/);
    expect(repro('--epochs', '99999999')).toThrow(/epochs must be an integer from 1 to 10000/);
  });

  it('learning rates that make no sense are refused', () => {
    expect(repro('--lr', '1e308')).toThrow(/learning rate must be a finite number >= 0 and <= 1000/);
    expect(repro('--tune', 'lr=0.1,1e300')).toThrow(UsageError);
    expect(parseReproArgs(['--preset', 'quick', '--lr', '0.5']).config.train.learningRate).toBe(0.5);
  });
});

describe('smelu train', () => {
  it('--lr 1e308 and sizes beyond reason are usage errors', () => {
    expect(() => parseTrainArgs(['--lr', '1e308'])).toThrow(/--lr: a learning rate must be a finite number >= 0 and <= 1000/);
    expect(() => parseTrainArgs(['--rows', '1e12'])).toThrow(UsageError);
    expect(() => parseTrainArgs(['--epochs', '1000000'])).toThrow(/--epochs must be at most 10000/);
    expect(parseTrainArgs(['--lr', '0.1'])!.lr).toBe(0.1);
  });

  it('a checkpoint path that cannot be written is a usage error before any training', () => {
    expect(() => parseTrainArgs(['--checkpoint', join(dir, 'missing', 'x.ckpt')])).toThrow(/--checkpoint: .*cannot be written/);
    expect(() => parseTrainArgs(['--checkpoint', dir])).toThrow(/is a folder/);
    expect(parseTrainArgs(['--checkpoint', join(dir, 'ok.ckpt')])!.checkpoint).toBe(join(dir, 'ok.ckpt'));
  });
});
