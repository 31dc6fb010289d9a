#!/usr/bin/env node
// npm install hook: make the native addon available, or explain in one line why the TypeScript
// backend will be used. It never fails the install: a missing compiler must not cost the user the
// package. Order: a prebuilt addon for this platform, then a local build (cmake-js when cmake is on
// PATH, otherwise node-gyp with binding.gyp), then the TypeScript backend.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const built = path.join(root, 'build', 'Release', 'smelu.node');
const prebuilt = path.join(root, 'prebuilds', `${process.platform}-${process.arch}`, 'smelu.node');
const verbose = process.env.SMELU_INSTALL_VERBOSE === '1';

function say(line) {
  process.stdout.write(`smelu: ${line}\n`);
}

/** Loads the addon in a child process: a crash or a missing symbol there cannot take npm down. */
function loads(file) {
  const r = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(file)}).info()`], { encoding: 'utf8' });
  return r.status === 0 ? null : (r.stderr || '').trim().split('\n').find((l) => /Error/.test(l)) || `exit ${r.status}`;
}

function onPath(cmd) {
  const dirs = (process.env.PATH || '').split(path.delimiter);
  return dirs.some((d) => d && fs.existsSync(path.join(d, cmd)));
}

function run(cmd, args) {
  const r = spawnSync(cmd, args, { cwd: root, encoding: 'utf8', stdio: verbose ? 'inherit' : 'pipe' });
  if (r.error) return r.error.message;
  if (r.status !== 0) {
    const out = `${r.stdout || ''}\n${r.stderr || ''}`.split('\n').filter((l) => /error|not found|No such/i.test(l));
    return (out[0] || `exited with ${r.status}`).trim().slice(0, 200);
  }
  return null;
}

function resolveBin(pkg, rel) {
  try {
    return require.resolve(`${pkg}/${rel}`, { paths: [root] });
  } catch {
    return null;
  }
}

function buildWithCmake() {
  const bin = resolveBin('cmake-js', 'bin/cmake-js');
  if (!bin) return 'cmake-js is not installed';
  const err = run(process.execPath, [bin, 'rebuild', '--log-level', 'error']);
  if (err) return `cmake-js: ${err}`;
  // cmake-js can exit 0 without producing the addon (offline header download): check the file.
  return fs.existsSync(built) ? null : 'cmake-js produced no build/Release/smelu.node';
}

function buildWithNodeGyp() {
  if (!fs.existsSync(path.join(root, 'binding.gyp'))) return 'no binding.gyp';
  const bin = resolveBin('node-gyp', 'bin/node-gyp.js');
  if (!bin) return 'node-gyp is not installed';
  const err = run(process.execPath, [bin, 'rebuild']);
  if (err) return `node-gyp: ${err}`;
  return fs.existsSync(built) ? null : 'node-gyp produced no build/Release/smelu.node';
}

function main() {
  if (process.env.SMELU_BACKEND === 'js') {
    say('SMELU_BACKEND=js: skipping the native build; the TypeScript backend will be used');
    return;
  }
  if (fs.existsSync(prebuilt) && process.env.SMELU_BUILD_FROM_SOURCE !== '1') {
    const err = loads(prebuilt);
    if (!err) {
      say(`using the prebuilt native addon (prebuilds/${process.platform}-${process.arch})`);
      return;
    }
    if (verbose) say(`prebuilt addon does not load here: ${err}`);
  }
  const hasCompiler = onPath('c++') || onPath('g++') || onPath('clang++');
  if (!hasCompiler) {
    say('no C++ compiler on PATH and no prebuilt addon for this platform; the TypeScript backend will be used');
    return;
  }
  const useCmake = onPath('cmake');
  const err = useCmake ? buildWithCmake() : buildWithNodeGyp();
  if (!err) {
    const loadErr = loads(built);
    if (!loadErr) {
      say(`built the native addon with ${useCmake ? 'cmake-js' : 'node-gyp'}`);
      return;
    }
    say(`the built addon does not load (${loadErr}); the TypeScript backend will be used`);
    return;
  }
  say(`native build failed (${err}); the TypeScript backend will be used`);
}

try {
  main();
} catch (e) {
  say(`native build skipped (${e.message}); the TypeScript backend will be used`);
}
