/** `smelu train`: option errors, a short run with its progress output, checkpoint and resume. */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseTrainArgs } from '../../lib/train-cli';
import { UsageError } from '../../lib/repro/cli';

const root = path.resolve(__dirname, '..', '..');

function cli(args: string[]) {
  return spawnSync(process.execPath, [path.join(root, 'dist', 'cli.js'), ...args], { encoding: 'utf8', cwd: root });
}

describe('smelu train', () => {
  it('parses options and rejects bad ones with a UsageError naming the option', () => {
    const a = parseTrainArgs(['--dataset', 'ctr', '--activation', 'smelu:0.5', '--epochs', '2', '--hidden', '16,8']);
    expect(a).toMatchObject({ dataset: 'ctr', epochs: 2, hidden: [16, 8], activation: { kind: 'smelu', beta: 0.5 } });
    expect(parseTrainArgs(['--help'])).toBeNull();
    expect(() => parseTrainArgs(['--epochs', '0'])).toThrow(/--epochs must be an integer >= 1/);
    expect(() => parseTrainArgs(['--dataset', 'mnist'])).toThrow(UsageError);
    expect(() => parseTrainArgs(['--activation', 'tanh'])).toThrow(/unknown activation 'tanh'/);
    expect(() => parseTrainArgs(['--lr=-1'])).toThrow(/--lr must be a positive number/);
    expect(() => parseTrainArgs(['--bogus'])).toThrow(UsageError);
  });

  it('trains digits with a progress line, checkpoints, and a resumed run ends with the same metrics', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'smelu-train-'));
    try {
      const ckpt = path.join(dir, 'run.ckpt');
      const full = cli(['train', '--epochs', '2', '--hidden', '16', '--checkpoint', ckpt]);
      expect(full.status, full.stderr).toBe(0);
      expect(full.stdout + full.stderr).toMatch(/epoch 2\/2 .*ex\/s .*loss \d/);
      const metrics = JSON.parse(full.stdout.trim().split('\n').pop()!);
      expect(metrics.accuracy).toBeGreaterThan(0.1);
      expect(fs.existsSync(ckpt)).toBe(true);
      const resumed = cli(['train', '--epochs', '2', '--hidden', '16', '--resume', ckpt]);
      expect(resumed.status, resumed.stderr).toBe(0);
      expect(JSON.parse(resumed.stdout.trim().split('\n').pop()!)).toEqual(metrics);
      const bad = cli(['train', '--batch', 'x']);
      expect(bad.status).toBe(2);
      expect(bad.stderr).toMatch(/--batch must be an integer/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
