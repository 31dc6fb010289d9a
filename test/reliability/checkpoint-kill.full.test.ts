/**
 * Checkpoint safety: a child process saves checkpoints in a loop (lib/nn saveCheckpoint: temp
 * file, fsync, rename, fsync of the directory) and is killed with SIGKILL at a random moment, 60
 * times in a row, each child continuing from what the last one left. After every kill the
 * checkpoint must load (size, magic, checksum all valid) and be one whole save: every value equal
 * to its step, the step never going back. Temp files left by a kill in the middle of a save show
 * that kills did land mid-write; they must never be mistaken for the checkpoint.
 */
import { mkdtempSync, readdirSync, rmSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { loadCheckpoint, saveCheckpoint } from '../../lib/nn';
import { runChild } from './helpers/env';
import { stateAt } from './helpers/checkpoint-child';
import { seededRandom } from '../../lib/reference';

const KILLS = 60;
const dir = mkdtempSync(join(tmpdir(), 'smelu-ckpt-kill-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it(`SIGKILL at random moments during repeated saves never leaves an unreadable checkpoint (${KILLS} kills)`, async () => {
  const file = join(dir, 'model.ckpt');
  saveCheckpoint(file, stateAt(0));
  const rnd = seededRandom(99);
  let step = 0;
  let midSave = 0;
  let saves = 0;
  for (let kill = 0; kill < KILLS; kill++) {
    // Kill 0-25 ms after the child's first save returned: inside a later save most of the time,
    // sometimes between two.
    const delay = rnd() * 25;
    let lastSeen = step;
    let timer: NodeJS.Timeout | undefined;
    const r = await runChild(resolve(__dirname, 'helpers/checkpoint-child.ts'), {
      env: { CKPT: file, START: String(step + 1) },
      timeoutMs: 60_000,
      onLine(line, killNow) {
        const m = /^saved (\d+)$/.exec(line);
        if (!m) return;
        lastSeen = Number(m[1]);
        timer ??= setTimeout(killNow, delay);
      },
    });
    if (timer) clearTimeout(timer);
    expect(r.signal, r.stderr).toBe('SIGKILL');
    const state = loadCheckpoint(file); // throws CheckpointError when unreadable
    const s = state.position.step;
    // A whole save: the step the child reached (or the one whose "saved" line was still in the
    // pipe), never older than what the last child left, every tensor holding that same step.
    expect(s).toBeGreaterThanOrEqual(Math.max(step, lastSeen));
    expect(s).toBeLessThanOrEqual(lastSeen + 1);
    expect(state.optimizer.t).toBe(s);
    for (const p of [...state.params.map((q) => q.value), ...state.optimizer.state]) {
      expect(p[0]).toBe(s);
      expect(p[p.length - 1]).toBe(s);
    }
    saves += s - step;
    step = s;
    const temps = readdirSync(dir).filter((f) => f.endsWith('.tmp'));
    if (temps.length > 0) midSave++;
    for (const t of temps) unlinkSync(join(dir, t));
    expect(readdirSync(dir)).toEqual(['model.ckpt']);
  }
  console.log(`checkpoint kills: ${KILLS} SIGKILLs, ${midSave} in the middle of a save (temp file left), ${saves} saves completed; the checkpoint loaded whole after every kill`);
  // Most kills land inside a save (the loop does nothing else): the test really hit mid-write.
  expect(midSave).toBeGreaterThanOrEqual(KILLS / 5);
});
