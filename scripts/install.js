#!/usr/bin/env node
// npm install hook: make the native addon available, or explain in one line why the WebAssembly
// backend will be used. It never fails the install: a missing compiler must not cost the user the
// package. Order: a prebuilt addon for this platform (unless SMELU_BUILD_FROM_SOURCE=1), then a
// local build, then the WebAssembly build shipped in the package (native/wasm/smelu.wasm). The
// local build uses cmake-js when it is installed (it is this project's own build, a dev
// dependency) and cmake is on PATH; otherwise node-gyp, which npm ships, with binding.gyp
// (node-addon-api, a dependency, gives it the C++ headers). It prints exactly one line saying
// which is in use and why.
//
// The loader (lib/backend/native.ts) tries the newer of build/Release/smelu.node and the prebuilt
// first. So when this script settles on the prebuilt it touches it: a build directory left over
// from an earlier install must not shadow the choice made now.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const built = path.join(root, 'build', 'Release', 'smelu.node');
const platform = `${process.platform}-${process.arch}`;
const prebuilt = path.join(root, 'prebuilds', platform, 'smelu.node');
const verbose = process.env.SMELU_INSTALL_VERBOSE === '1';

function say(line) {
  process.stdout.write(`smelu: ${line}\n`);
}

// Loads the addon in a child process, so a crash or a missing symbol there cannot take npm down.
// The bad call checks that a C++ exception thrown inside the addon comes out as a JS TypeError: a
// binary whose unwinding is broken on this system aborts here instead of in the user's program.
const PROBE = `
const a = require(process.argv[1]);
a.info();
try { a.actForward(0, null, null, null); } catch (e) { if (e instanceof TypeError) process.exit(0); throw e; }
throw new Error('a bad argument did not throw');
`;

/** null when `file` loads and works here, else a short reason. */
function loads(file) {
  const r = spawnSync(process.execPath, ['-e', PROBE, file], { encoding: 'utf8' });
  if (r.status === 0) return null;
  const lines = (r.stderr || '').split('\n').map((l) => l.trim());
  const line = lines.find((l) => /Error/.test(l));
  // "Error: /long/path/smelu.node: file too short" -> "file too short"
  const err = line ? line.replace(/^\w*Error: /, '').split(`${file}: `).join('') : r.signal ? `killed by ${r.signal}` : `exit ${r.status}`;
  return err.slice(0, 300) + libcNote(file);
}

/** The prebuilts for Linux are built for glibc: say which C library this system has. */
function libcNote(file) {
  if (process.platform !== 'linux' || file !== prebuilt) return '';
  const glibc = process.report && process.report.getReport().header.glibcVersionRuntime;
  return glibc ? ` (this system has glibc ${glibc})` : ' (the Linux prebuilts need glibc; this system has another C library, e.g. musl)';
}

function onPath(cmd) {
  const exts = process.platform === 'win32' ? (process.env.PATHEXT || '.EXE;.CMD;.BAT').split(';') : [''];
  const dirs = (process.env.PATH || '').split(path.delimiter);
  return dirs.some((d) => d && exts.some((e) => fs.existsSync(path.join(d, cmd + e))));
}

/** Whether a build can be tried at all; a reason when it cannot. */
function noCompiler() {
  // node-gyp finds Visual Studio itself (it is not on PATH); let it try and report.
  if (process.platform === 'win32') return null;
  // macOS has /usr/bin/c++ even without a compiler: it is a stub that offers to install the
  // Command Line Tools. xcode-select -p fails until they are installed.
  if (process.platform === 'darwin' && spawnSync('xcode-select', ['-p']).status !== 0) return 'no Xcode Command Line Tools';
  const cxx = process.env.CXX ? [process.env.CXX] : ['c++', 'g++', 'clang++'];
  return cxx.some(onPath) ? null : 'no C++ compiler on PATH';
}

function run(cmd, args) {
  // A compiler's warnings can run to megabytes: spawnSync's default 1 MiB buffer then fails the
  // build with ENOBUFS although it succeeded.
  const r = spawnSync(cmd, args, { cwd: root, encoding: 'utf8', stdio: verbose ? 'inherit' : 'pipe', maxBuffer: 256 << 20 });
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
  const err = run(process.execPath, [bin, 'rebuild', '--log-level', 'error']);
  if (err) return `cmake-js: ${err}`;
  // cmake-js can exit 0 without producing the addon (offline header download): check the file.
  return fs.existsSync(built) ? null : 'cmake-js produced no build/Release/smelu.node';
}

function buildWithNodeGyp() {
  if (!fs.existsSync(path.join(root, 'binding.gyp'))) return 'no binding.gyp';
  // node-gyp is not a dependency: npm ships one and names it in npm_config_node_gyp for install
  // scripts. A node-gyp in the tree or on PATH also does.
  const bin = process.env.npm_config_node_gyp || resolveBin('node-gyp', 'bin/node-gyp.js');
  const args = ['rebuild', ...nodedirArgs()];
  let err;
  if (bin && fs.existsSync(bin)) err = run(process.execPath, [bin, ...args]);
  else if (onPath('node-gyp')) err = run(process.platform === 'win32' ? 'node-gyp.cmd' : 'node-gyp', args);
  else return 'node-gyp is not available';
  if (err) return `node-gyp: ${err}`;
  return fs.existsSync(built) ? null : 'node-gyp produced no build/Release/smelu.node';
}

/**
 * node-gyp downloads this Node's headers unless told where they are; offline, that fails. Node's
 * Linux and macOS builds ship them next to the binary (<prefix>/include/node), so point there.
 * An explicit npm_config_nodedir wins.
 */
function nodedirArgs() {
  if (process.env.npm_config_nodedir) return [];
  const prefix = path.resolve(path.dirname(process.execPath), '..');
  return fs.existsSync(path.join(prefix, 'include', 'node', 'common.gypi')) ? [`--nodedir=${prefix}`] : [];
}

/** Settles on the prebuilt: newer than any local build, so the loader tries it first. */
function usePrebuilt(why) {
  try {
    const now = new Date();
    fs.utimesSync(prebuilt, now, now);
  } catch {
    /* read-only package directory: nothing can have built here either */
  }
  say(`using the prebuilt native addon (prebuilds/${platform}${why ? `; ${why}` : ''})`);
}

function main() {
  if (process.env.SMELU_BACKEND === 'js') {
    say('SMELU_BACKEND=js: skipping the native build; the TypeScript backend will be used');
    return;
  }
  const fromSource = process.env.SMELU_BUILD_FROM_SOURCE === '1';
  let prebuiltWorks = false;
  let why; // why a local build is tried
  if (!fs.existsSync(prebuilt)) {
    why = `no prebuilt addon for ${platform}`;
  } else {
    const err = loads(prebuilt);
    prebuiltWorks = err === null;
    if (prebuiltWorks && !fromSource) {
      usePrebuilt('');
      return;
    }
    why = prebuiltWorks ? 'SMELU_BUILD_FROM_SOURCE=1' : `the prebuilt addon does not load here: ${err}`;
  }

  const missing = noCompiler();
  if (missing) {
    if (prebuiltWorks) usePrebuilt(`${why}, but ${missing}`);
    else say(`${missing} and ${why}; the WebAssembly backend will be used`);
    return;
  }

  const noCmake = !resolveBin('cmake-js', 'bin/cmake-js') ? 'cmake-js is not installed' : !onPath('cmake') ? 'cmake is not on PATH' : null;
  const err = noCmake ? buildWithNodeGyp() : buildWithCmake();
  const loadErr = err ? null : loads(built);
  if (!err && !loadErr) {
    say(`built the native addon with ${noCmake ? `node-gyp (${noCmake}; ` : 'cmake-js ('}${why})`);
    return;
  }
  const failure = err ? `the native build failed (${err})` : `the built addon does not load (${loadErr})`;
  if (prebuiltWorks) usePrebuilt(`${why}, but ${failure}`);
  else say(`${failure}; ${why}; the WebAssembly backend will be used`);
}

try {
  main();
} catch (e) {
  say(`native build skipped (${e.message}); the WebAssembly backend will be used`);
}
