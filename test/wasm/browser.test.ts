/**
 * The package's `browser` export (dist/browser.mjs) in headless Chromium: a static page served on
 * 127.0.0.1 imports it, awaits ready() (the WebAssembly backend), computes a SmeLU dense layer and
 * an elementwise SmeLU, and posts the values back; they must match the float64 reference within
 * the spec's bound. The bundle must not import Node built-ins.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { activation } from '../../lib/activation';
import { SPEC_TOL, refForward, scaledError } from '../../lib/reference';

const ROOT = path.resolve(__dirname, '..', '..');
const BUNDLE = path.join(ROOT, 'dist', 'browser.mjs');
const [M, K, N] = [3, 70, 5];
const X = Float32Array.from({ length: M * K }, (_, i) => Math.sin(i) * 2);
const W = Float32Array.from({ length: K * N }, (_, i) => Math.cos(i) / 8);
const B = Float32Array.from({ length: N }, (_, i) => i / 4 - 0.5);
const XS = Float32Array.from({ length: 17 }, (_, i) => i / 4 - 2);

const PAGE = `<!doctype html><meta charset="utf-8"><script type="module">
import * as smelu from '/browser.mjs';
const out = {};
try {
  out.before = smelu.info().backend;
  out.info = await smelu.ready();
  const a = { kind: 'smelu', beta: 1 };
  const f = (v) => new Float32Array(v);
  out.y = Array.from(smelu.denseForward({ x: f(${JSON.stringify(Array.from(X))}), W: f(${JSON.stringify(Array.from(W))}),
    b: f(${JSON.stringify(Array.from(B))}), m: ${M}, k: ${K}, n: ${N}, activation: a }).y);
  out.forward = Array.from(smelu.forward(a, f(${JSON.stringify(Array.from(XS))})));
  try { smelu.forward(a, [1, 2]); } catch (e) { out.badInput = e.constructor.name + ': ' + e.message; }
} catch (e) {
  out.error = String((e && e.stack) || e);
}
await fetch('/result', { method: 'POST', body: JSON.stringify(out) });
</script>`;

interface PageResult {
  before?: string;
  info?: { backend: string; isa: string; reason: string };
  y?: number[];
  forward?: number[];
  badInput?: string;
  error?: string;
}

let server: http.Server | undefined;
let browser: ChildProcess | undefined;
const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'smelu-chromium-'));
afterAll(async () => {
  // Chromium runs as a process group of its own (detached): end the whole group it started.
  if (browser?.pid && browser.exitCode === null) {
    const exited = new Promise((resolve) => browser!.once('exit', resolve));
    process.kill(-browser.pid, 'SIGKILL');
    await exited;
  }
  server?.close();
  fs.rmSync(profile, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
});

/** Serves the page and the bundle on 127.0.0.1; resolves with what the page posts back. */
function serve(): Promise<{ url: string; result: Promise<PageResult> }> {
  let deliver!: (r: PageResult) => void;
  const result = new Promise<PageResult>((resolve) => (deliver = resolve));
  server = http.createServer((req, res) => {
    if (req.method === 'POST' && req.url === '/result') {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        res.end('ok');
        deliver(JSON.parse(body) as PageResult);
      });
    } else if (req.url === '/browser.mjs') {
      res.setHeader('content-type', 'text/javascript');
      res.end(fs.readFileSync(BUNDLE));
    } else if (req.url === '/') {
      res.setHeader('content-type', 'text/html');
      res.end(PAGE);
    } else {
      res.statusCode = 404;
      res.end();
    }
  });
  return new Promise((resolve) => {
    server!.listen(0, '127.0.0.1', () => {
      const { port } = server!.address() as { port: number };
      resolve({ url: `http://127.0.0.1:${port}/`, result });
    });
  });
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return Promise.race([p, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`${what}: no answer in ${ms} ms`)), ms))]);
}

describe('browser export', () => {
  it('the bundle has no Node built-ins and package.json points browsers at it', () => {
    const text = fs.readFileSync(BUNDLE, 'utf8');
    expect(text).not.toMatch(/from\s*["'](node:|fs|path|os|worker_threads|util)["']/);
    expect(text).not.toMatch(/\brequire\(/);
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
    expect(pkg.exports['.'].browser).toBe('./dist/browser.mjs');
  });

  it('computes a SmeLU layer on the wasm backend in headless Chromium', async () => {
    const { url, result } = await serve();
    const flags = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-extensions',
      '--disable-sync', '--no-first-run', '--disable-dev-shm-usage', `--user-data-dir=${profile}`];
    browser = spawn('chromium', [...flags, url], { stdio: 'ignore', detached: true });
    const got = await withTimeout(result, 90_000, 'chromium');
    expect(got.error).toBeUndefined();
    expect(got.before).toBe('js');
    expect(got.info).toMatchObject({ backend: 'wasm', isa: 'wasm-simd128' });
    expect(got.badInput).toMatch(/^TypeError: x must be a Float32Array/);
    const s = activation({ kind: 'smelu', beta: 1 });
    for (let i = 0; i < M; i++) {
      for (let j = 0; j < N; j++) {
        let z = B[j];
        let mag = Math.abs(B[j]);
        for (let p = 0; p < K; p++) {
          z += X[i * K + p] * W[p * N + j];
          mag += Math.abs(X[i * K + p] * W[p * N + j]);
        }
        // float32 products and sums: K roundings of terms up to mag, then the activation's bound.
        const tol = K * 2 ** -24 * mag + SPEC_TOL * Math.max(1, Math.abs(z));
        expect(Math.abs(got.y![i * N + j] - refForward('smelu', s.params, z)), `y[${i}][${j}]`).toBeLessThanOrEqual(tol);
      }
    }
    got.forward!.forEach((v, i) => expect(scaledError(v, refForward('smelu', s.params, XS[i]))).toBeLessThanOrEqual(SPEC_TOL));
  });
});
