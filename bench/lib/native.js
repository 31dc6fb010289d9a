'use strict';
/**
 * The bench-only addon (bench/native): OpenBLAS sgemm peer and FMA peak probe. Built with the
 * root's cmake-js into bench/build when missing or older than its sources; nothing is downloaded
 * (bench/native/package.json sets binary.napi_versions, so cmake-js uses node-api-headers).
 */
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { ROOT, BENCH, progress } = require('./util');

const SRC = path.join(BENCH, 'native');
const OUT = path.join(BENCH, 'build');
const ADDON = path.join(OUT, 'Release', 'smelu_bench.node');

function mtime(file) {
  try {
    return fs.statSync(file).mtimeMs;
  } catch {
    return 0;
  }
}

function isStale() {
  const built = mtime(ADDON);
  if (!built) return true;
  return ['bench_addon.c', 'onednn_bench.cc', 'CMakeLists.txt'].some((f) => mtime(path.join(SRC, f)) > built);
}

/** Builds the addon if needed; returns null on success or a one-line reason on failure. */
function ensureBuilt() {
  if (!isStale()) return null;
  const cmakeJs = path.join(ROOT, 'node_modules', '.bin', 'cmake-js');
  if (!fs.existsSync(cmakeJs)) return 'cmake-js not found in node_modules (run npm install)';
  progress('building the bench addon (bench/native) with cmake-js');
  const r = spawnSync(cmakeJs, ['build', '-d', SRC, '-O', OUT], { encoding: 'utf8', cwd: ROOT });
  // cmake-js can exit 0 without producing the file (e.g. offline header download): check it.
  if (r.status !== 0 || !fs.existsSync(ADDON)) {
    const tail = `${r.stdout || ''}${r.stderr || ''}`.trim().split('\n').slice(-3).join(' | ');
    return `bench addon build failed: ${tail || r.error || 'no output'}`;
  }
  return null;
}

/** Loads the addon (building it first); returns { addon } or { error }. */
function loadBenchAddon() {
  const err = ensureBuilt();
  if (err) return { error: err };
  try {
    return { addon: require(ADDON) };
  } catch (e) {
    return { error: `bench addon did not load: ${e.message.split('\n')[0]}` };
  }
}

module.exports = { ensureBuilt, loadBenchAddon, ADDON };
