/**
 * A file IO handler for TF.js layers models in Node without @tensorflow/tfjs-node: `model.json`
 * (topology + weights manifest, the standard layers-model format) and `weights.bin` in a
 * directory, each written atomically (temporary file + rename).
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type * as TF from '@tensorflow/tfjs';
import { tf } from './load';

type Artifacts = TF.io.ModelArtifacts;

function writeAtomic(file: string, data: string | Uint8Array): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, data);
  renameSync(tmp, file);
}

/**
 * An IO handler reading and writing `<dir>/model.json` and `<dir>/weights.bin`: pass it to
 * `model.save(...)` and `tf.loadLayersModel(...)`.
 * @param dir the directory (created on save when missing).
 * @returns the handler.
 * @throws TypeError when dir is not a non-empty string.
 */
export function fileHandler(dir: string): TF.io.IOHandler {
  if (typeof dir !== 'string' || !dir) throw new TypeError(`fileHandler: dir must be a non-empty string, got ${String(dir)}`);
  const modelJson = join(dir, 'model.json');
  return {
    async save(a: Artifacts): Promise<TF.io.SaveResult> {
      mkdirSync(dir, { recursive: true });
      const weights = a.weightData ? new Uint8Array(tf.io.CompositeArrayBuffer.join(a.weightData)) : new Uint8Array(0);
      writeAtomic(join(dir, 'weights.bin'), weights);
      const json = {
        modelTopology: a.modelTopology,
        format: a.format ?? 'layers-model',
        generatedBy: a.generatedBy,
        convertedBy: a.convertedBy ?? null,
        weightsManifest: [{ paths: ['weights.bin'], weights: a.weightSpecs ?? [] }],
      };
      writeAtomic(modelJson, JSON.stringify(json));
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON', weightDataBytes: weights.length } };
    },
    async load(): Promise<Artifacts> {
      const json = JSON.parse(readFileSync(modelJson, 'utf8')) as TF.io.ModelJSON;
      const manifest = json.weightsManifest ?? [];
      const buffers = manifest.flatMap((g) => g.paths.map((p) => new Uint8Array(readFileSync(join(dir, p))).buffer));
      return {
        modelTopology: json.modelTopology,
        format: json.format,
        generatedBy: json.generatedBy,
        convertedBy: json.convertedBy,
        weightSpecs: manifest.flatMap((g) => g.weights),
        weightData: tf.io.concatenateArrayBuffers(buffers),
      };
    },
  };
}
