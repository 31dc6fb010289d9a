'use strict';
/**
 * Child-process entry of the benchmark (started by bench/lib/child.js, never by hand):
 * argv[2] is the task as JSON; the result goes back over IPC as { result } or { error }.
 */
const activations = require('./suites/activations');
const dense = require('./suites/dense');
const training = require('./suites/training');
const eventloop = require('./suites/eventloop');

const TASKS = {
  activations: activations.runTier,
  'dense-smelu': dense.denseSmelu,
  'dense-openblas': dense.denseOpenblas,
  'dense-ort': dense.denseOrt,
  'dense-tfjs': dense.denseTfjs,
  'dense-share': dense.share,
  probe: dense.probe,
  'training-smelu': training.trainSmelu,
  'training-tfjs': training.trainTfjs,
  eventloop: eventloop.eventloop,
};

async function main() {
  const task = JSON.parse(process.argv[2] || '{}');
  const fn = TASKS[task.name];
  if (!fn) throw new Error(`unknown bench task '${task.name}'`);
  return fn(task);
}

main().then(
  (result) => process.send({ result }, () => process.exit(0)),
  (e) => process.send({ error: e && e.message ? e.message : String(e) }, () => process.exit(1)),
);
