'use strict';
/**
 * Training suite: examples per second of a CTR model and an MLP on digits, with smelu.nn and
 * with TF.js (wasm and cpu). Skipped while lib/nn is not available.
 */
const { loadSmelu, progress } = require('../lib/util');

const NOT_YET = 'training suite: lib/nn not available yet';

function trainSmelu() {
  const smelu = loadSmelu();
  if (!smelu.nn) throw new Error(NOT_YET);
  throw new Error('training suite: not written yet');
}

function trainTfjs() {
  throw new Error('training suite: not written yet');
}

async function run(ctx) {
  if (!ctx.smelu.nn) {
    progress(NOT_YET);
    return { skipped: NOT_YET, rows: [], notes: [NOT_YET] };
  }
  return { skipped: 'training suite: not written yet', rows: [], notes: ['training suite: not written yet'] };
}

module.exports = { run, trainSmelu, trainTfjs, NOT_YET };
