/**
 * The package as npm delivers it: `npm pack`, then install the tarball into an empty project
 * (registry only) three ways — with the prebuilt addon, with cmake hidden (node-gyp builds), and
 * with no compiler and no prebuilt (the TypeScript backend) — and use it through require, import,
 * the CLI and TypeScript types. Each time info().reason must name the addon file and why it
 * loaded, and the install must print one line saying the same.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = path.resolve(__dirname, '..', '..');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
let work: string;
let tarball: string;

function sh(cmd: string, args: string[], opts: { cwd: string; env?: NodeJS.ProcessEnv }): string {
  const r = spawnSync(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  return `${r.stdout}${r.stderr}`;
}

/** A PATH whose directories hold links to every program except the hidden ones. */
function pathWithout(hidden: string[]): string {
  const shim = fs.mkdtempSync(path.join(work, 'bin-'));
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir || !fs.existsSync(dir)) continue;
    for (const name of fs.readdirSync(dir)) {
      const target = path.join(dir, name);
      const link = path.join(shim, name);
      const base = name.replace(/-\d+$/, '');
      if (hidden.includes(name) || hidden.includes(base) || fs.existsSync(link)) continue;
      try {
        fs.symlinkSync(target, link);
      } catch {
        /* unreadable entries are irrelevant here */
      }
    }
  }
  return shim;
}

const PLATFORM = `${process.platform}-${process.arch}`;
const NO_COMPILER = ['cmake', 'g++', 'gcc', 'c++', 'cc', 'clang', 'clang++', 'x86_64-linux-gnu-g++', 'x86_64-linux-gnu-gcc'];

function onPath(cmd: string): boolean {
  return (process.env.PATH ?? '').split(path.delimiter).some((d) => d && fs.existsSync(path.join(d, cmd)));
}

/** The install script's lines in an npm log: there must be exactly one per install. */
function smeluLines(log: string): string[] {
  return log.split('\n').filter((l) => l.startsWith('smelu: '));
}

/** Installs a tarball into a fresh project and returns the install log. */
function installInto(dir: string, tgz: string, env: NodeJS.ProcessEnv): string {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true }));
  return sh('npm', ['install', '--no-audit', '--no-fund', '--foreground-scripts', tgz], { cwd: dir, env });
}

const SMOKE = `
const s = require('smelu');
const x = new Float32Array([-2, -0.5, 0, 0.5, 2]);
const y = s.forward({ kind: 'smelu', beta: 1 }, x);
const want = [0, 0.0625, 0.25, 0.5625, 2];
for (let i = 0; i < 5; i++) if (Math.abs(y[i] - want[i]) > 1e-6) throw new Error('smelu forward ' + y[i]);
const d = s.derivative('gelu', new Float32Array([0]));
if (Math.abs(d[0] - 0.5) > 1e-6) throw new Error('gelu derivative ' + d[0]);
const r = s.denseForward({ x: new Float32Array([1, 2]), W: new Float32Array([1, 0, 0, 1]), b: new Float32Array([0, -3]), m: 1, k: 2, n: 2, activation: 'relu' });
if (r.y[0] !== 1 || r.y[1] !== 0) throw new Error('dense ' + Array.from(r.y));
const g = s.denseBackward({ x: new Float32Array([1, 2]), W: new Float32Array([1, 0, 0, 1]), m: 1, k: 2, n: 2, activation: 'relu', y: r.y, dy: new Float32Array([1, 1]) });
if (g.dW[0] !== 1 || g.dW[2] !== 2 || g.dW[1] !== 0 || g.db[0] !== 1 || g.db[1] !== 0) throw new Error('dense backward');
let threw = false;
try { s.forward({ kind: 'smelu', beta: -1 }, x); } catch (e) { threw = e instanceof RangeError; }
if (!threw) throw new Error('no RangeError for beta < 0');
const info = s.info();
if (info.backend === 'native') {
  // A C++ exception thrown inside the addon must reach JS as a TypeError (the unwinder works).
  const file = /^native addon loaded from (\\S+)/.exec(info.reason)[1];
  const addon = require(require('path').join(require.resolve('smelu/package.json'), '..', file));
  let typeError = false;
  try { addon.actForward(0, 'bad', x, y); } catch (e) { typeError = e instanceof TypeError; }
  if (!typeError) throw new Error('a bad argument to the addon did not throw a TypeError');
}
console.log(JSON.stringify(info));
`;

const ESM = `
import smelu, { forward, info } from 'smelu';
const y = forward('relu', new Float32Array([-1, 2]));
if (y[0] !== 0 || y[1] !== 2 || typeof smelu.denseForward !== 'function') throw new Error('esm');
console.log(info().backend);
`;

const TYPES = `
import { forward, denseForward, activation, type Activation, type DenseForwardResult } from 'smelu';
const act: Activation = { kind: 'smelu', beta: 0.5 };
const y: Float32Array = forward(act, new Float32Array(4));
const r: DenseForwardResult = denseForward({ x: y, W: new Float32Array(8), m: 1, k: 4, n: 2, activation: activation('gelu') });
// @ts-expect-error: beta must be a number
const bad: Activation = { kind: 'smelu', beta: 'x' };
export { r, bad };
`;

function checkConsumer(dir: string, env: NodeJS.ProcessEnv): { backend: string; isa: string; reason: string } {
  const out = sh(process.execPath, ['-e', SMOKE], { cwd: dir, env }).trim().split('\n').pop()!;
  const info = JSON.parse(out);
  const esm = sh(process.execPath, ['--input-type=module', '-e', ESM], { cwd: dir, env }).trim();
  expect(esm).toBe(info.backend);
  const version = sh(path.join(dir, 'node_modules', '.bin', 'smelu'), ['--version'], { cwd: dir, env }).trim();
  expect(version).toBe(pkg.version);
  return info;
}

beforeAll(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'smelu-pack-'));
  // Pack from a copy: prepack rebuilds dist/ and the prebuilt addons, which other test files
  // running at the same time may be loading from the work tree.
  const src = path.join(work, 'src');
  const skip = new Set(['node_modules', 'build', 'dist', 'prebuilds', 'build-prebuild', '.git', 'bench', 'docs']);
  fs.cpSync(root, src, { recursive: true, filter: (p) => !skip.has(path.relative(root, p).split(path.sep)[0]) });
  fs.symlinkSync(path.join(root, 'node_modules'), path.join(src, 'node_modules'));
  const out = execFileSync('npm', ['pack', '--pack-destination', work, '--json'], { cwd: src, encoding: 'utf8', maxBuffer: 64 << 20 });
  // prepack's build log comes first on stdout (ninja prints "[1/12] ..."): the JSON is the array
  // that starts a line and opens an object.
  const meta = JSON.parse(out.slice(out.search(/^\[\s*\{/m)))[0];
  tarball = path.join(work, meta.filename);
}, 600_000);

afterAll(() => {
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

describe('npm pack', () => {
  it('holds sources, dist, types and prebuilt addons, and no build outputs or tests', () => {
    const list = execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' }).split('\n');
    const has = (p: string) => list.includes(`package/${p}`);
    for (const p of ['package.json', 'CMakeLists.txt', 'binding.gyp', 'dist/index.js', 'dist/index.d.ts', 'dist/index.mjs', 'dist/cli.js', 'data/digits.csv.gz', 'native/addon.cc', 'scripts/install.js', 'README.md']) {
      expect(has(p), p).toBe(true);
    }
    expect(list.some((p) => p.startsWith('package/prebuilds/linux-x64/'))).toBe(process.platform === 'linux' && process.arch === 'x64');
    expect(list.filter((p) => /^package\/(build|build-prebuild|test|bench|node_modules)\//.test(p))).toEqual([]);
  });

  it('ships prebuilt addons that need glibc <= 2.18, no shared libstdc++, and export only Node-API entry points', () => {
    if (process.platform !== 'linux' || process.arch !== 'x64' || !onPath('objdump')) return;
    const unpacked = fs.mkdtempSync(path.join(work, 'inspect-'));
    sh('tar', ['-xzf', tarball, '-C', unpacked], { cwd: work });
    const targets = fs.readdirSync(path.join(unpacked, 'package', 'prebuilds'));
    expect(targets).toContain('linux-x64');
    if (onPath('aarch64-linux-gnu-g++')) expect(targets).toContain('linux-arm64');
    for (const target of targets) {
      const dyn = sh('objdump', ['-T', path.join(unpacked, 'package', 'prebuilds', target, 'smelu.node')], { cwd: work });
      const glibc = [...dyn.matchAll(/GLIBC_(\d+)\.(\d+)/g)].map((m) => Number(m[1]) * 1000 + Number(m[2]));
      expect(Math.max(...glibc), `${target} glibc`).toBeLessThanOrEqual(2018);
      expect(dyn, target).not.toMatch(/GLIBCXX_|CXXABI_/);
      // objdump -T: address, 7 flag characters (g/u global or w weak in the first two), section, ..., name
      const exported = dyn
        .split('\n')
        .map((l) => /^[0-9a-f]+ (.{7}) (\S+)\s.*\s(\S+)$/.exec(l))
        .filter((m) => m && m[2] !== '*UND*' && /[guw]/.test(m[1].slice(0, 2)))
        .map((m) => m![3]);
      expect(exported.sort(), target).toEqual(['napi_register_module_v1', 'node_api_module_get_api_version_v1']);
    }
  });
});

describe('install from the tarball', () => {
  it('uses the prebuilt addon, and require, import, CLI and types work', () => {
    const dir = path.join(work, 'prebuilt');
    const log = installInto(dir, tarball, process.env);
    expect(smeluLines(log)).toEqual([`smelu: using the prebuilt native addon (prebuilds/${PLATFORM})`]);
    const info = checkConsumer(dir, process.env);
    expect(info.backend).toBe('native');
    expect(info.reason).toBe(`native addon loaded from prebuilds/${PLATFORM}/smelu.node (prebuilt for ${PLATFORM})`);
    fs.writeFileSync(path.join(dir, 'use.ts'), TYPES);
    const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
    sh(process.execPath, [tsc, '--noEmit', '--strict', '--module', 'node16', '--moduleResolution', 'node16', '--types', 'node', '--typeRoots', path.join(root, 'node_modules', '@types'), 'use.ts'], { cwd: dir });
  }, 600_000);

  it('builds with node-gyp when cmake is not on PATH, and a later rebuild goes back to the prebuilt', () => {
    const dir = path.join(work, 'node-gyp');
    const env = { ...process.env, PATH: pathWithout(['cmake']), SMELU_BUILD_FROM_SOURCE: '1' };
    const log = installInto(dir, tarball, env);
    expect(smeluLines(log)).toEqual(['smelu: built the native addon with node-gyp (cmake is not on PATH; SMELU_BUILD_FROM_SOURCE=1)']);
    const info = checkConsumer(dir, env);
    expect(info.backend).toBe('native');
    expect(info.reason).toBe(`native addon loaded from build/Release/smelu.node (local build, newer than prebuilds/${PLATFORM}/smelu.node)`);

    // Without SMELU_BUILD_FROM_SOURCE the install settles on the prebuilt again: the build left
    // in build/Release must not shadow it.
    const { SMELU_BUILD_FROM_SOURCE: _, ...plain } = env;
    const rebuild = sh('npm', ['rebuild', 'smelu', '--foreground-scripts'], { cwd: dir, env: plain });
    expect(smeluLines(rebuild)).toEqual([`smelu: using the prebuilt native addon (prebuilds/${PLATFORM})`]);
    const again = checkConsumer(dir, plain);
    expect(again.reason).toBe(`native addon loaded from prebuilds/${PLATFORM}/smelu.node (prebuilt for ${PLATFORM}, newer than the local build build/Release/smelu.node)`);
  }, 900_000);

  it('falls back to the TypeScript backend with no compiler and no prebuilt addon', () => {
    const dir = path.join(work, 'no-compiler');
    const unpacked = path.join(work, 'unpacked');
    fs.mkdirSync(unpacked);
    sh('tar', ['-xzf', tarball, '-C', unpacked], { cwd: work });
    fs.rmSync(path.join(unpacked, 'package', 'prebuilds'), { recursive: true, force: true });
    const bare = path.join(work, 'smelu-no-prebuilt.tgz');
    sh('tar', ['-czf', bare, '-C', unpacked, 'package'], { cwd: work });
    const env = { ...process.env, PATH: pathWithout(NO_COMPILER) };
    const log = installInto(dir, bare, env);
    expect(smeluLines(log)).toEqual([`smelu: no C++ compiler on PATH and no prebuilt addon for ${PLATFORM}; the TypeScript backend will be used`]);
    const info = checkConsumer(dir, env);
    expect(info.backend).toBe('js');
    expect(info.reason).toBe(`native addon unavailable (no local build (build/Release/smelu.node) and no prebuilt addon for ${PLATFORM})`);
  }, 600_000);

  it('says why when the prebuilt does not load here and nothing can be built', () => {
    // What a musl system (Alpine) without a compiler sees: a prebuilt that cannot be loaded.
    const dir = path.join(work, 'broken-prebuilt');
    const unpacked = path.join(work, 'unpacked-broken');
    fs.mkdirSync(unpacked);
    sh('tar', ['-xzf', tarball, '-C', unpacked], { cwd: work });
    fs.writeFileSync(path.join(unpacked, 'package', 'prebuilds', PLATFORM, 'smelu.node'), 'not an ELF file');
    const broken = path.join(work, 'smelu-broken-prebuilt.tgz');
    sh('tar', ['-czf', broken, '-C', unpacked, 'package'], { cwd: work });
    const env = { ...process.env, PATH: pathWithout(NO_COMPILER) };
    const lines = smeluLines(installInto(dir, broken, env));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^smelu: no C\+\+ compiler on PATH and the prebuilt addon does not load here: file too short \(this system has glibc [\d.]+\); the TypeScript backend will be used$/);
    const info = checkConsumer(dir, env);
    expect(info.backend).toBe('js');
    expect(info.reason).toMatch(new RegExp(`^native addon unavailable \\(prebuilds/${PLATFORM}/smelu\\.node did not load: .*file too short \\(this system has glibc`));
  }, 600_000);
});
