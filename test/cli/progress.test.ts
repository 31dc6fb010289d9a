/**
 * The shared progress display: on a terminal one line redrawn in place and never wider than the
 * terminal; piped, plain lines without escape sequences.
 */
import { describe, expect, it } from 'vitest';
import { terminalProgress } from '../../lib/nn/progress';
import type { ProgressEvent } from '../../lib/nn/train';
import { fitLine, formatLine, Progress, type ProgressStream } from '../../lib/progress';

function fakeStream(isTTY: boolean, columns?: number): ProgressStream & { text: () => string } {
  const chunks: string[] = [];
  return { isTTY, columns, write: (s: string) => chunks.push(s), text: () => chunks.join('') };
}

/** Every line drawn (\r starts a redraw, \n a new line), without the clear-to-end sequence. */
function drawnLines(text: string): string[] {
  return text.split(/[\r\n]/).map((l) => l.replace(/\x1b\[K/g, '')).filter((l) => l !== '');
}

const EVENT: ProgressEvent = {
  phase: 'step', epoch: 0, epochs: 12, step: 5, batch: 5, batchesPerEpoch: 10, examples: 640, loss: 0.693147,
  lr: 0.0123456, examplesPerSec: 1234567.8, elapsedMs: 52, validation: { auc: 0.75, accuracy: 0.9, logloss: 0.31 },
};

describe('progress display', () => {
  it('never draws wider than an 80-column terminal, for training and a long lab label', () => {
    const stream = fakeStream(true, 80);
    const train = terminalProgress({ stream, intervalMs: 0 });
    train(EVENT);
    train({ ...EVENT, phase: 'epoch', batch: 10 });
    train({ ...EVENT, phase: 'done' });
    const lab = new Progress({ stream, intervalMs: 0 });
    lab.update({ label: 'repro digits', fraction: 0.4, detail: `12/30 replicas | 1m05s left | ${'smelu(beta=0.25) both #3 '.repeat(3)}` });
    lab.end();
    const lines = drawnLines(stream.text());
    expect(lines.length).toBe(3);
    for (const l of lines) expect([...l].length, l).toBeLessThan(80);
    expect(lines[0]).toMatch(/^epoch 1\/12 \[#+\.+\]  50% 1,234,568 ex\/s/);
    expect(lines[2]).toMatch(/^repro digits \[#+\.+\]  40% 12\/30 replicas .*…$/);
  });

  it('narrows the bar before cutting the detail, and drops it when there is no room', () => {
    const s = { label: 'epoch 1/2', fraction: 0.5, detail: 'loss 0.1' };
    expect(formatLine(s, 80)).toBe('epoch 1/2 [############............]  50% loss 0.1');
    expect(formatLine(s, 40)).toBe('epoch 1/2 [#######.......]  50% loss 0.1');
    expect(formatLine(s, 32)).toBe('epoch 1/2 [#####.....]  50% los…');
    expect(formatLine(s, 20)).toBe('epoch 1/2  50% loss…');
    expect(fitLine('abc', 3)).toBe('abc');
  });

  it('prints plain throttled lines when piped', () => {
    const stream = fakeStream(false);
    const p = new Progress({ stream, intervalMs: 60_000 });
    p.update({ label: 'x', fraction: 0.1, detail: 'first' });
    p.update({ label: 'x', fraction: 0.2, detail: 'throttled' });
    p.commit({ label: 'x', fraction: 1, detail: 'last' });
    p.end();
    expect(stream.text()).toBe('x 10% first\nx 100% last\n');
  });
});
