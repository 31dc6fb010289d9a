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
import { MAX_HELPERS } from '../../lib/backend/wasm';

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
  // Without shared memory allocArray gives an ordinary array, with the same rules.
  const r = smelu.allocArray(17);
  out.allocShared = typeof SharedArrayBuffer !== 'undefined' && r.buffer instanceof SharedArrayBuffer;
  smelu.releaseArray(r);
  try { smelu.forward(a, r); } catch (e) { out.released = e.constructor.name; }
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
  allocShared?: boolean;
  released?: string;
  error?: string;
}

let server: http.Server | undefined;
let browser: ChildProcess | undefined;
const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'smelu-chromium-'));
/** Ends the Chromium started last (a process group of its own: detached) and its server. */
async function closeBrowser(): Promise<void> {
  if (browser?.pid && browser.exitCode === null) {
    const exited = new Promise((resolve) => browser!.once('exit', resolve));
    process.kill(-browser.pid, 'SIGKILL');
    await exited;
  }
  server?.close();
}
afterAll(async () => {
  await closeBrowser();
  fs.rmSync(profile, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
});

/** Opens `url` in headless Chromium; resolves with `result`. */
function openInChromium<R>(url: string, result: Promise<R>): Promise<R> {
  const flags = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-extensions',
    '--disable-sync', '--no-first-run', '--disable-dev-shm-usage', `--user-data-dir=${profile}`];
  browser = spawn('chromium', [...flags, url], { stdio: 'ignore', detached: true });
  return result;
}

// A page served cross-origin isolated: a dense layer large enough to split, on 1 thread and on all
// the page has; the two results must have the same bits.
const [TM, TK, TN] = [64, 256, 256];
const THREADS_PAGE = `<!doctype html><meta charset="utf-8"><script type="module">
import * as smelu from '/browser.mjs';
const out = {};
try {
  out.isolated = globalThis.crossOriginIsolated;
  out.info = await smelu.ready();
  const f = (n, s) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * s));
  const layer = { x: f(${TM * TK}, 0.37), W: f(${TK * TN}, 0.11), b: f(${TN}, 0.5), m: ${TM}, k: ${TK}, n: ${TN}, activation: { kind: 'smelu', beta: 1 } };
  smelu.setThreads(1);
  out.threads1 = smelu.info().threads;
  const one = smelu.denseForward(layer).y;
  smelu.setThreads(out.info.threads);
  out.threadsN = smelu.info().threads;
  const many = smelu.denseForward(layer).y;
  out.differ = 0;
  const a = new Uint32Array(one.buffer), b = new Uint32Array(many.buffer);
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) out.differ++;
  out.finite = one.every(Number.isFinite);
  // allocArray: in the shared module memory here, computed without copies, with the same bits.
  const r = smelu.allocArray(17), ro = smelu.allocArray(17);
  for (let i = 0; i < 17; i++) r[i] = i / 4 - 2;
  out.allocShared = r.buffer instanceof SharedArrayBuffer;
  smelu.forward(layer.activation, r, ro);
  const plain = smelu.forward(layer.activation, r.slice());
  out.allocDiffer = ro.filter((v, i) => !Object.is(v, plain[i])).length;
  smelu.releaseArray(r);
  try { smelu.forward(layer.activation, r); } catch (e) { out.released = e.constructor.name; }
} catch (e) {
  out.error = String((e && e.stack) || e);
}
await fetch('/result', { method: 'POST', body: JSON.stringify(out) });
</script>`;

interface ThreadsResult {
  isolated?: boolean;
  info?: { backend: string; threads: number; reason: string };
  threads1?: number;
  threadsN?: number;
  differ?: number;
  finite?: boolean;
  allocShared?: boolean;
  allocDiffer?: number;
  released?: string;
  error?: string;
}

/**
 * Serves `page` and the bundle on 127.0.0.1 (with the COOP/COEP headers that make a page
 * cross-origin isolated when `isolated`); resolves with what the page posts back.
 */
function serve<R = PageResult>(page = PAGE, isolated = false): Promise<{ url: string; result: Promise<R> }> {
  let deliver!: (r: R) => void;
  const result = new Promise<R>((resolve) => (deliver = resolve));
  server = http.createServer((req, res) => {
    if (isolated) {
      res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
      res.setHeader('Cross-Origin-Embedder-Policy', 'require-corp');
    }
    if (req.method === 'POST' && req.url === '/result') {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        res.end('ok');
        deliver(JSON.parse(body) as R);
      });
    } else if (req.url === '/browser.mjs') {
      res.setHeader('content-type', 'text/javascript');
      res.end(fs.readFileSync(BUNDLE));
    } else if (req.url === '/') {
      res.setHeader('content-type', 'text/html');
      res.end(page);
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
    const got = await withTimeout(openInChromium(url, result), 90_000, 'chromium');
    expect(got.error).toBeUndefined();
    expect(got.before).toBe('js');
    expect(got.info).toMatchObject({ backend: 'wasm', isa: 'wasm-simd128', threads: 1 });
    expect(got.info!.reason).toMatch(/one thread \(not cross-origin isolated\)/);
    expect(got.badInput).toMatch(/^TypeError: x must be a Float32Array/);
    expect(got.allocShared).toBe(false);
    expect(got.released).toBe('TypeError');
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

  it('cross-origin isolated: the dense layer runs on Web Workers with the bits of one thread', async () => {
    await closeBrowser();
    const { url, result } = await serve<ThreadsResult>(THREADS_PAGE, true);
    const got = await withTimeout(openInChromium(url, result), 90_000, 'chromium');
    expect(got.error).toBeUndefined();
    expect(got.isolated).toBe(true);
    const cores = os.availableParallelism();
    expect(got.info!.threads).toBe(Math.min(cores, MAX_HELPERS + 1));
    expect(got.info!.reason).toContain(`${got.info!.threads} threads (cross-origin isolated)`);
    expect(got.threads1).toBe(1);
    expect(got.threadsN).toBe(got.info!.threads);
    expect(got.finite).toBe(true);
    expect(got.differ).toBe(0);
    expect(got.allocShared).toBe(true);
    expect(got.allocDiffer).toBe(0);
    expect(got.released).toBe('TypeError');
  });
});
