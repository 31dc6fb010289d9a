'use strict';
/**
 * TensorFlow.js peer: the pure-JS cpu backend and the wasm backend (XNNPACK, one thread).
 * Results are read with dataSync() outside tf.tidy: returning a large typed array out of tidy
 * costs tens of ms here.
 */
const { peerRequire } = require('./peers');

/** Loads TF.js with the given backend ('cpu' | 'wasm'); the wasm backend runs one thread. */
async function loadTf(backend) {
  const tf = peerRequire('@tensorflow/tfjs');
  if (backend === 'wasm') {
    const wasm = peerRequire('@tensorflow/tfjs-backend-wasm');
    wasm.setThreadsCount(1);
  }
  const ok = await tf.setBackend(backend);
  if (!ok || tf.getBackend() !== backend) throw new Error(`TF.js backend ${backend} did not initialise`);
  await tf.ready();
  return tf;
}

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

/** The activation in TF.js ops (GELU and SmeLU have no TF.js op: composed). */
function tfActivation(tf, act) {
  switch (act) {
    case 'identity':
      return (z) => z;
    case 'relu':
      return (z) => tf.relu(z);
    case 'sigmoid':
      return (z) => tf.sigmoid(z);
    case 'softplus':
      return (z) => tf.softplus(z);
    case 'swish':
      return (z) => tf.mul(z, tf.sigmoid(z));
    case 'gelu':
      return (z) => tf.mul(tf.mul(z, 0.5), tf.add(1, tf.erf(tf.mul(z, Math.SQRT1_2))));
    case 'gelu_tanh':
      return (z) => {
        const u = tf.mul(tf.add(z, tf.mul(tf.pow(z, 3), 0.044715)), SQRT_2_OVER_PI);
        return tf.mul(tf.mul(z, 0.5), tf.add(1, tf.tanh(u)));
      };
    case 'smelu':
      // beta = 1: m = clip((z + 1) / 2, 0, 1); y = m * ((z + 1) - m)
      return (z) => {
        const zb = tf.add(z, 1);
        const m = tf.clipByValue(tf.mul(zb, 0.5), 0, 1);
        return tf.mul(m, tf.sub(zb, m));
      };
    default:
      throw new Error(`TF.js: no graph for activation ${act}`);
  }
}

/** Returns a function running y = act(x W + b) and reading y back, with x, W, b as tensors. */
function tfDense(tf, { m, k, n, act, x, W, b }) {
  const tx = tf.tensor2d(x, [m, k]);
  const tW = tf.tensor2d(W, [k, n]);
  const tb = tf.tensor1d(b);
  const f = tfActivation(tf, act);
  const run = () => {
    const y = tf.tidy(() => f(tf.add(tf.matMul(tx, tW), tb)));
    const data = y.dataSync();
    y.dispose();
    return data;
  };
  const dispose = () => tf.dispose([tx, tW, tb]);
  return { run, dispose };
}

module.exports = { loadTf, tfActivation, tfDense };
