/**
 * Chooses the backend once, at first use: the native addon unless SMELU_BACKEND=js or it cannot be
 * loaded, then applies SMELU_ISA and SMELU_THREADS. The reason for the choice is kept for info().
 */
import type { Backend, IsaTier } from './types';
import { jsBackend } from './js';
import { loadNativeBackend } from './native';

export interface Selection {
  backend: Backend;
  /** Why this backend: 'native addon loaded', 'SMELU_BACKEND=js', or the load error. */
  reason: string;
}

const ISA_NAMES: readonly IsaTier[] = ['scalar', 'avx2', 'avx512', 'neon'];

let selection: Selection | undefined;

export function selected(): Selection {
  if (!selection) selection = select(process.env);
  return selection;
}

/** For tests: choose again from a given environment. */
export function reselect(env: NodeJS.ProcessEnv): Selection {
  selection = select(env);
  return selection;
}

function select(env: NodeJS.ProcessEnv): Selection {
  const wanted = (env.SMELU_BACKEND ?? '').trim().toLowerCase();
  if (wanted !== '' && wanted !== 'native' && wanted !== 'js') {
    throw new RangeError(`SMELU_BACKEND must be 'native' or 'js', got '${env.SMELU_BACKEND}'`);
  }
  let result: Selection;
  if (wanted === 'js') {
    result = { backend: jsBackend, reason: 'SMELU_BACKEND=js' };
  } else {
    const loaded = tryLoadNative();
    if (loaded.backend) result = { backend: loaded.backend, reason: `native addon loaded from ${loaded.file} (${loaded.why})` };
    else if (wanted === 'native') throw new Error(`SMELU_BACKEND=native but the addon did not load: ${loaded.error}`);
    else result = { backend: jsBackend, reason: `native addon unavailable (${loaded.error})` };
  }
  applyIsa(result.backend, env.SMELU_ISA);
  applyThreads(result.backend, env.SMELU_THREADS);
  return result;
}

function tryLoadNative(): { backend?: Backend; file?: string; why?: string; error?: string } {
  try {
    // The addon is loaded only here, at first use, so a missing or broken addon never breaks
    // `require('smelu')`.
    const backend = loadNativeBackend();
    return { backend, file: backend.addonFile, why: backend.addonWhy };
  } catch (e) {
    return { error: (e as Error).message.split('\n')[0] };
  }
}

function applyIsa(backend: Backend, raw: string | undefined): void {
  const isa = (raw ?? '').trim().toLowerCase();
  if (isa === '') return;
  if (!(ISA_NAMES as readonly string[]).includes(isa)) {
    throw new RangeError(`SMELU_ISA must be one of ${ISA_NAMES.join(', ')}, got '${raw}'`);
  }
  if (backend.name === 'js') return; // the TypeScript backend has a single tier
  if (!backend.setIsa(isa as IsaTier)) {
    const have = backend.info().supportedIsas.join(', ');
    throw new RangeError(`SMELU_ISA=${isa} is not supported by this CPU (supported: ${have})`);
  }
}

function applyThreads(backend: Backend, raw: string | undefined): void {
  if (raw === undefined || raw.trim() === '') return;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 1024) {
    throw new RangeError(`SMELU_THREADS must be an integer from 1 to 1024, got '${raw}'`);
  }
  backend.setThreads(n);
}
