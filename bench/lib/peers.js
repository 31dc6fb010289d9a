'use strict';
/**
 * The peer packages (bench/peers/package.json): onnxruntime-node, onnx-proto, TF.js, vega.
 * Installed on demand with `npm install --prefix bench/peers`; onnxruntime-node's postinstall
 * would try to download GPU files, so ONNXRUNTIME_NODE_INSTALL=skip keeps it offline (the CPU
 * library ships in the package).
 */
const fs = require('node:fs');
const path = require('node:path');
const { createRequire } = require('node:module');
const { spawnSync } = require('node:child_process');
const { BENCH, progress } = require('./util');

/** The pinned list; SMELU_BENCH_PEERS_DIR installs / looks for them elsewhere (tests use an empty dir). */
const MANIFEST = path.join(BENCH, 'peers', 'package.json');
const PEERS_DIR = process.env.SMELU_BENCH_PEERS_DIR ? path.resolve(process.env.SMELU_BENCH_PEERS_DIR) : path.dirname(MANIFEST);
const peerRequire = createRequire(path.join(PEERS_DIR, 'package.json'));

function wanted() {
  return JSON.parse(fs.readFileSync(MANIFEST, 'utf8')).dependencies;
}

/** Installed version of a peer, or null. */
function installedVersion(name) {
  try {
    const file = path.join(PEERS_DIR, 'node_modules', name, 'package.json');
    return JSON.parse(fs.readFileSync(file, 'utf8')).version;
  } catch {
    return null;
  }
}

function missingPeers() {
  return Object.keys(wanted()).filter((name) => installedVersion(name) === null);
}

/**
 * Makes sure the peers are installed. `allowInstall` false (--quick without an existing
 * bench/peers/node_modules) never touches the network. Returns { versions, notes }.
 */
function ensurePeers({ allowInstall }) {
  const notes = [];
  let missing = missingPeers();
  if (missing.length && allowInstall) {
    progress(`installing peers into bench/peers: ${missing.join(', ')}`);
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
    if (PEERS_DIR !== path.dirname(MANIFEST)) {
      fs.mkdirSync(PEERS_DIR, { recursive: true });
      fs.copyFileSync(MANIFEST, path.join(PEERS_DIR, 'package.json'));
    }
    const r = spawnSync(npm, ['install', '--prefix', PEERS_DIR, '--no-audit', '--no-fund', '--loglevel=error'], {
      env: { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'skip' },
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    if (r.status !== 0) {
      const why = `${r.stderr || ''}`.trim().split('\n').filter(Boolean).slice(-1)[0] || r.error || `exit ${r.status}`;
      notes.push(`peers: npm install failed (${why})`);
    }
    missing = missingPeers();
  }
  if (missing.length) {
    notes.push(
      allowInstall
        ? `peers missing, skipped: ${missing.join(', ')}`
        : `peers not installed (bench/peers/node_modules absent; --quick does not download), skipped: ${missing.join(', ')}`,
    );
  }
  const versions = {};
  for (const name of Object.keys(wanted())) versions[name] = installedVersion(name);
  return { versions, notes };
}

module.exports = { PEERS_DIR, peerRequire, ensurePeers, installedVersion };
