/**
 * Test helpers for queue mode: a private redis-server on a free loopback port (never a system
 * service), `smelu worker` processes with their output, and the cached predictions of a sweep.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { CLI, ROOT } from '../helpers/build';
import { expect } from 'vitest';

/** A port nobody listens on now (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/** Throws, failing the test, when redis-server is not installed (CI installs it: .ci/run). */
export function requireRedisServer(): void {
  const r = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) throw new Error('redis-server is not installed: apt-get install -y redis-server (the queue tests start their own on a free loopback port)');
}

/**
 * A redis-server of the test's own: no snapshots, no AOF. `restart` keeps its data through
 * SHUTDOWN SAVE (a planned restart); `crash` loses them.
 */
export class TestRedis {
  private proc: ChildProcess | null = null;

  private constructor(
    readonly port: number,
    private readonly dir: string,
  ) {}

  static async start(dir: string): Promise<TestRedis> {
    requireRedisServer();
    fs.mkdirSync(dir, { recursive: true });
    const r = new TestRedis(await freePort(), dir);
    await r.launch();
    return r;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}/0`;
  }

  private async launch(): Promise<void> {
    const args = ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--dir', this.dir];
    const p = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc = p;
    let log = '';
    await new Promise<void>((resolve, reject) => {
      p.stdout!.on('data', (d) => {
        log += d;
        if (/Ready to accept connections/.test(log)) resolve();
      });
      p.once('exit', (code) => reject(new Error(`redis-server exited (${code}):\n${log}`)));
    });
  }

  /** Stops Redis (saving its data once, as a planned restart does) and starts it again on the same port. */
  async restart(): Promise<void> {
    const r = spawnSync('redis-cli', ['-p', String(this.port), 'shutdown', 'save'], { encoding: 'utf8' });
    if (r.error) throw r.error;
    await this.exited();
    await this.launch();
  }

  /** Kills Redis (SIGKILL: nothing saved) and starts it again empty on the same port. */
  async crash(): Promise<void> {
    this.proc?.kill('SIGKILL');
    await this.exited();
    await this.launch();
  }

  private exited(): Promise<void> {
    const p = this.proc;
    if (!p || p.exitCode !== null || p.signalCode !== null) return Promise.resolve();
    return new Promise((resolve) => p.once('exit', () => resolve()));
  }

  async stop(): Promise<void> {
    this.proc?.kill('SIGTERM');
    await this.exited();
  }
}

/** A `smelu worker` process and the lines it printed so far. */
export class WorkerProc {
  readonly proc: ChildProcess;
  out = '';
  err = '';
  private listeners: Array<() => void> = [];

  constructor(url: string, dir: string, lockMs = 1500) {
    this.proc = spawn(process.execPath, [CLI, 'worker', '--queue', url, '--threads', '1', '--dir', dir, '--lock-ms', String(lockMs)], {
      cwd: ROOT,
      env: { ...process.env, SMELU_THREADS: '1' },
    });
    this.proc.stdout!.on('data', (d) => {
      this.out += d;
      for (const l of this.listeners.splice(0)) l();
    });
    this.proc.stderr!.on('data', (d) => (this.err += d));
  }

  /** Keys of the jobs this worker finished. */
  done(): string[] {
    return [...this.out.matchAll(/^done (\S+)/gm)].map((m) => m[1]);
  }

  started(): string[] {
    return [...this.out.matchAll(/^start (\S+)/gm)].map((m) => m[1]);
  }

  /** Resolves once `test` holds on this worker's output. */
  async until(test: () => boolean): Promise<void> {
    while (!test()) await new Promise<void>((r) => this.listeners.push(r));
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    const gone = new Promise<void>((r) => this.proc.once('exit', () => r()));
    this.proc.kill(signal);
    await gone;
  }
}

/**
 * Every cached replica of a sweep, by key: its stored JSON (after the checksum line) without the timing (predictions and
 * curves are base64 of the float32 bytes, so equal text is equal bits).
 */
export function cachedResults(out: string): Map<string, string> {
  const dir = path.join(out, 'cache');
  const m = new Map<string, string>();
  for (const f of fs.readdirSync(dir).filter((n) => n.endsWith('.json'))) {
    // An entry is a checksum line, then the result's JSON.
    const text = fs.readFileSync(path.join(dir, f), 'utf8');
    expect(text.startsWith('smelu-replica-1 sha256=')).toBe(true);
    const { seconds: _, ...r } = JSON.parse(text.slice(text.indexOf('\n') + 1));
    m.set(f.slice(0, -5), JSON.stringify(r));
  }
  return m;
}
