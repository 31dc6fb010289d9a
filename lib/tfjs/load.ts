/**
 * Loads the optional peer dependency `@tensorflow/tfjs` once, with one clear error when it is not
 * installed (the rest of smelu never needs it).
 */
import type * as TF from '@tensorflow/tfjs';

/** The package `smelu/tfjs` builds on. */
export const TFJS_PACKAGE = '@tensorflow/tfjs';

function load(): typeof TF {
  try {
    return require(TFJS_PACKAGE) as typeof TF;
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err?.code === 'MODULE_NOT_FOUND' && String(err.message).includes(TFJS_PACKAGE)) {
      throw new Error(`smelu/tfjs needs the package ${TFJS_PACKAGE} (an optional peer dependency): npm install ${TFJS_PACKAGE}`);
    }
    throw e;
  }
}

/** The TensorFlow.js namespace. */
export const tf: typeof TF = load();
