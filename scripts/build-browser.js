#!/usr/bin/env node
// Writes dist/browser.mjs, the package's `browser` export: lib/browser.ts bundled as one ES module
// with native/wasm/smelu.wasm embedded (base64), the browser backend choice in place of the Node
// one (./runtime -> ./runtime_browser), node:util's one use replaced
// (./backend/util_browser), and no Node built-ins.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');

async function main() {
  const { build } = await import('vite');
  const wasm = fs.readFileSync(path.join(root, 'native', 'wasm', 'smelu.wasm')).toString('base64');
  await build({
    root,
    logLevel: 'warn',
    configFile: false,
    define: { __SMELU_WASM_BASE64__: JSON.stringify(wasm) },
    resolve: {
      alias: [
        { find: /^\.\/runtime$/, replacement: path.join(root, 'lib', 'runtime_browser.ts') },
        { find: /^node:util$/, replacement: path.join(root, 'lib', 'backend', 'util_browser.ts') },
      ],
    },
    build: {
      outDir: path.join(root, 'dist'),
      emptyOutDir: false,
      minify: false,
      target: 'es2022',
      lib: { entry: path.join(root, 'lib', 'browser.ts'), formats: ['es'], fileName: () => 'browser.mjs' },
    },
  });
  const out = fs.readFileSync(path.join(root, 'dist', 'browser.mjs'), 'utf8');
  const nodeImport = out.match(/from ['"](node:[^'"]+|fs|path|os|worker_threads|crypto)['"]/);
  if (nodeImport) throw new Error(`dist/browser.mjs imports the Node built-in ${nodeImport[1]}`);
}

main().catch((e) => {
  console.error(e.message);
  process.exit(1);
});
