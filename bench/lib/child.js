'use strict';
/**
 * Runs one benchmark task in a child process. Each ISA tier, backend and peer gets its own
 * process because the tier and backend are chosen once per process (SMELU_ISA, SMELU_BACKEND) and
 * OpenBLAS reads its environment at load time. Results come back over IPC; the child's stdout
 * (TF.js prints banners there) is sent to our stderr so that `--json` output stays clean.
 */
const { fork } = require('node:child_process');
const path = require('node:path');

const WORKER = path.join(__dirname, '..', 'worker.js');

/**
 * @param task plain object, at least { name } (see worker.js)
 * @param env  variables to set; a value of null removes the variable
 * @returns the task's result, or throws with the child's error
 */
function runTask(task, env = {}) {
  const childEnv = { ...process.env };
  for (const [k, v] of Object.entries(env)) {
    if (v === null) delete childEnv[k];
    else childEnv[k] = String(v);
  }
  return new Promise((resolve, reject) => {
    const child = fork(WORKER, [JSON.stringify(task)], {
      env: childEnv,
      stdio: ['ignore', 2, 2, 'ipc'],
      // The DRAM-size activation arrays are 256 MB each; V8's default old space is enough for
      // typed arrays (they live outside the heap), so no flags are needed.
    });
    let reply = null;
    child.on('message', (m) => {
      reply = m;
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (reply && reply.error) reject(new Error(reply.error));
      else if (reply && 'result' in reply) resolve(reply.result);
      else reject(new Error(`worker ${task.name} exited (${signal || code}) without a result`));
    });
  });
}

module.exports = { runTask };
