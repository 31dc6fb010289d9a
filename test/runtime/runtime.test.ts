/**
 * Backend choice: the native addon by default, the TypeScript backend on request, and the
 * SMELU_ISA / SMELU_THREADS / SMELU_BACKEND overrides with clear errors for bad values.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { forward, getThreads, info, setIsa, setThreads } from '../../lib/index';
import type { NativeBackend } from '../../lib/backend/native';
import { MAX_THREADS, reselect, selected } from '../../lib/runtime';

afterAll(() => {
  reselect(process.env);
});

describe('backend selection', () => {
  it('loads the native addon unless SMELU_BACKEND=js asks otherwise', () => {
    // The native suites run only on the native backend: this makes a missing addon a failure,
    // not a quiet skip of those suites.
    const i = info();
    if (process.env.SMELU_BACKEND === 'js' || process.env.SMELU_BACKEND === 'wasm') expect(i.backend).toBe(process.env.SMELU_BACKEND);
    else expect(i.backend, i.reason).toBe('native');
  });

  it('reports backend, tier, threads, versions and the reason', () => {
    const i = info();
    expect(['native', 'wasm', 'js']).toContain(i.backend);
    expect(i.supportedIsas).toContain(i.isa);
    expect(i.threads).toBeGreaterThanOrEqual(1);
    expect(i.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(i.node).toBe(process.versions.node);
    expect(i.reason.length).toBeGreaterThan(0);
  });

  it('SMELU_BACKEND=js selects the TypeScript backend with the same results', () => {
    const x = new Float32Array([-2, -0.5, 0, 0.5, 2]);
    const native = forward({ kind: 'smelu', beta: 1 }, x);
    const sel = reselect({ ...process.env, SMELU_BACKEND: 'js' });
    expect(sel.backend.name).toBe('js');
    expect(sel.reason).toBe('SMELU_BACKEND=js');
    expect(info().isa).toBe('js');
    expect(Array.from(forward({ kind: 'smelu', beta: 1 }, x))).toEqual(Array.from(native));
    expect(() => setIsa('avx2')).toThrow(RangeError);
    reselect(process.env);
  });

  it('SMELU_BACKEND=wasm selects the WebAssembly build: same results within the spec, its tier in info()', () => {
    const x = new Float32Array([-2, -0.5, 0, 0.5, 2]);
    const native = forward({ kind: 'relu' }, x);
    const sel = reselect({ ...process.env, SMELU_BACKEND: 'wasm' });
    expect(sel.backend.name).toBe('wasm');
    expect(sel.reason).toMatch(/^SMELU_BACKEND=wasm \(native.wasm.smelu\.wasm\)$/);
    expect(info()).toMatchObject({ backend: 'wasm', isa: 'wasm-simd128', supportedIsas: ['wasm-simd128'] });
    // ReLU has no multiply-add: the same bits as every native tier.
    expect(Array.from(forward({ kind: 'relu' }, x))).toEqual(Array.from(native));
    expect(() => setIsa('avx2')).toThrow(/supports \(wasm-simd128\)/);
    reselect(process.env);
  });

  it('rejects unknown SMELU_BACKEND, SMELU_ISA and SMELU_THREADS values with RangeError', () => {
    expect(() => reselect({ SMELU_BACKEND: 'gpu' })).toThrow(/SMELU_BACKEND must be 'native', 'wasm' or 'js'/);
    expect(() => reselect({ SMELU_ISA: 'sse9' })).toThrow(/SMELU_ISA must be one of scalar, avx2, avx512, neon/);
    expect(() => reselect({ SMELU_THREADS: '0' })).toThrow(/SMELU_THREADS must be an integer from 1 to 1024/);
    expect(() => reselect({ SMELU_THREADS: '2.5' })).toThrow(RangeError);
    reselect(process.env);
  });

  it('an ISA this CPU cannot run is a RangeError naming the supported tiers, not a crash', () => {
    if (info().backend !== 'native') return;
    const missing = (['scalar', 'avx2', 'avx512', 'neon'] as const).find((t) => !info().supportedIsas.includes(t));
    expect(missing).toBeDefined();
    expect(() => reselect({ SMELU_ISA: missing })).toThrow(new RegExp(`SMELU_ISA=${missing} is not supported by this CPU`));
    reselect(process.env);
    expect(() => setIsa(missing!)).toThrow(RangeError);
    const best = info().supportedIsas[info().supportedIsas.length - 1];
    setIsa('scalar');
    expect(info().isa).toBe('scalar');
    setIsa(best);
    expect(info().isa).toBe(best);
  });

  it('SMELU_THREADS and setThreads size the pool; bad counts are RangeErrors', () => {
    if (info().backend !== 'native') return;
    const before = getThreads();
    reselect({ ...process.env, SMELU_THREADS: '3' });
    expect(getThreads()).toBe(3);
    setThreads(1);
    expect(getThreads()).toBe(1);
    expect(() => setThreads(0)).toThrow(RangeError);
    expect(() => setThreads(1.5)).toThrow(RangeError);
    expect(() => setThreads(MAX_THREADS + 1)).toThrow(new RegExp(`from 1 to ${MAX_THREADS}`));
    setThreads(before);
  });

  it('one thread limit: MAX_THREADS is the addon maxThreads (when the addon exports it)', () => {
    expect(MAX_THREADS).toBe(1024);
    if (info().backend !== 'native') return;
    const addonLimit = (selected().backend as NativeBackend).maxThreads;
    if (addonLimit !== undefined) expect(addonLimit).toBe(MAX_THREADS);
  });
});
