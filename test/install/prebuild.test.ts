/**
 * Releases do not lie: packing fails when a prebuilt the README promises cannot be built, unless
 * SMELU_SKIP_PREBUILT names it; then the packed README does not claim it, and postpack puts the
 * committed README back.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const ROOT = path.resolve(__dirname, '..', '..');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { unclaim, PROMISED } = require(path.join(ROOT, 'scripts', 'prebuild.js')) as { unclaim: (t: string, targets: string[]) => string; PROMISED: Record<string, string> };
const README = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');

let dir: string;

/** scripts/prebuild.js in a copy of what it reads, with only node on PATH (no compiler at all). */
function prebuild(env: Record<string, string>, args: string[] = []) {
  const r = spawnSync(process.execPath, [path.join(dir, 'scripts', 'prebuild.js'), ...args], {
    cwd: dir,
    encoding: 'utf8',
    env: { PATH: path.join(dir, 'empty'), ...env },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'smelu-prebuild-'));
  for (const f of ['scripts/prebuild.js', 'native/sources.json', 'README.md']) {
    fs.mkdirSync(path.join(dir, path.dirname(f)), { recursive: true });
    fs.copyFileSync(path.join(ROOT, f), path.join(dir, f));
  }
  fs.mkdirSync(path.join(dir, 'empty'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('prebuild', () => {
  it('the README promises exactly the prebuilts the script builds', () => {
    expect(Object.keys(PROMISED)).toEqual(['linux-x64', 'linux-arm64']);
    for (const row of Object.values(PROMISED)) expect(README).toContain(row);
  });

  it('fails with a clear message when a promised prebuilt cannot be built', () => {
    const r = prebuild({ SMELU_SKIP_PREBUILT: 'linux-x64' });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/the README promises a prebuilt addon this machine cannot build:\n {2}linux-arm64: /);
    expect(r.stderr).toContain('SMELU_SKIP_PREBUILT=linux-arm64');
    expect(fs.readFileSync(path.join(dir, 'README.md'), 'utf8')).toBe(README);
  });

  it('refuses an unknown name in SMELU_SKIP_PREBUILT', () => {
    const r = prebuild({ SMELU_SKIP_PREBUILT: 'linux-arm' });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('SMELU_SKIP_PREBUILT: unknown target linux-arm (expected a comma-separated list of linux-x64, linux-arm64)');
  });

  it('with a target skipped, the packed README does not claim it, and postpack restores the README', () => {
    const r = prebuild({ SMELU_SKIP_PREBUILT: 'linux-x64,linux-arm64' });
    expect(r.stderr).toContain('skipped linux-x64, linux-arm64');
    expect(r.code).toBe(0);
    const packed = fs.readFileSync(path.join(dir, 'README.md'), 'utf8');
    expect(packed).not.toContain(PROMISED['linux-arm64']);
    expect(packed).toContain('this release ships no prebuilt addon for linux-arm64');
    expect(packed).toContain('this release ships no prebuilt addon for linux-x64');
    expect(prebuild({}, ['--restore-readme']).code).toBe(0);
    expect(fs.readFileSync(path.join(dir, 'README.md'), 'utf8')).toBe(README);
  });

  it('unclaim rewrites only the skipped row', () => {
    const text = unclaim(README, ['linux-arm64']);
    expect(text).toContain(PROMISED['linux-x64']);
    expect(text).not.toContain(PROMISED['linux-arm64']);
    expect(text.split('\n').length).toBe(README.split('\n').length);
  });
});
