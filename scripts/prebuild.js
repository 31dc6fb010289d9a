#!/usr/bin/env node
// Builds the addons shipped inside the npm package (prebuilds/<platform>-<arch>/smelu.node):
// linux-x64 natively, and linux-arm64 with g++-aarch64-linux-gnu when that cross compiler is
// installed. libstdc++ and libgcc are linked statically so the binary needs only glibc; the ISA
// tier is still chosen at run time, so the binary assumes nothing beyond baseline x86-64 / ARMv8.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const cmakeJs = require.resolve('cmake-js/bin/cmake-js', { paths: [root] });

function onPath(cmd) {
  return (process.env.PATH || '').split(path.delimiter).some((d) => d && fs.existsSync(path.join(d, cmd)));
}

function build(target, extraArgs) {
  const out = path.join(root, 'build-prebuild', target);
  const args = [cmakeJs, 'rebuild', '--out', out, '--log-level', 'error', '--CDSMELU_STATIC_RUNTIME=ON', ...extraArgs];
  const r = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' });
  const file = path.join(out, 'Release', 'smelu.node');
  if (r.status !== 0 || !fs.existsSync(file)) throw new Error(`${target}: build failed`);
  const dest = path.join(root, 'prebuilds', target);
  fs.mkdirSync(dest, { recursive: true });
  fs.copyFileSync(file, path.join(dest, 'smelu.node'));
  console.log(`prebuilds/${target}/smelu.node (${fs.statSync(file).size} bytes)`);
}

function main() {
  if (process.platform !== 'linux') {
    console.log(`prebuild: only linux builds are scripted; skipping on ${process.platform}`);
    return;
  }
  if (process.arch === 'x64') build('linux-x64', []);
  else if (process.arch === 'arm64') build('linux-arm64', []);
  if (process.arch === 'x64') {
    if (onPath('aarch64-linux-gnu-g++')) {
      build('linux-arm64', [
        '--CDCMAKE_SYSTEM_NAME=Linux',
        '--CDCMAKE_SYSTEM_PROCESSOR=aarch64',
        '--CDCMAKE_CXX_COMPILER=aarch64-linux-gnu-g++',
      ]);
    } else {
      console.log('prebuild: aarch64-linux-gnu-g++ not found; no linux-arm64 binary');
    }
  }
  fs.rmSync(path.join(root, 'build-prebuild'), { recursive: true, force: true });
}

main();
