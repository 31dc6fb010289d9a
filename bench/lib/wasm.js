'use strict';
/** The wasm kernels without the backend around them, for bench/wasm-vs-peers.js and bench/wasm-parts.js. */

const fs = require('node:fs');
const path = require('node:path');
const { ROOT, loadDist } = require('./util');

/** The shipped build. */
const SHIPPED_WASM = path.join(ROOT, 'native', 'wasm', 'smelu.wasm');

/**
 * A fresh instance of a smelu.wasm build (`file`) on an unshared memory, with `params` and `x`
 * copied into its memory once. `forward()` runs the act_forward export on them (the kernel
 * alone: no copies, no validation); `forwardCopying(y)` does what the backend does around it
 * (x copied in, the kernel in place, the result copied out to y) and nothing else.
 */
function wasmKernel(code, params, x, file = SHIPPED_WASM) {
  const { withUnsharedMemory, WASM_INITIAL_PAGES, WASM_MAX_PAGES } = loadDist('backend/wasm.js');
  const memory = new WebAssembly.Memory({ initial: WASM_INITIAL_PAGES * 2, maximum: WASM_MAX_PAGES });
  const bytes = withUnsharedMemory(fs.readFileSync(file));
  const ex = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } }).exports;
  const raw = Math.ceil(ex.__heap_base.value / 64) * 64;
  const xp = raw + 64;
  const yp = xp + x.length * 4;
  new Float64Array(memory.buffer, raw, params.length).set(params);
  const mem = new Float32Array(memory.buffer);
  mem.set(x, xp >> 2);
  const out = mem.subarray(yp >> 2, (yp >> 2) + x.length);
  return {
    forward: () => ex.act_forward(code, raw, xp, yp, x.length),
    forwardCopying: (y) => () => {
      mem.set(x, yp >> 2);
      ex.act_forward(code, raw, yp, yp, x.length);
      y.set(out);
    },
  };
}

module.exports = { SHIPPED_WASM, wasmKernel };
