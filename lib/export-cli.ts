/**
 * `smelu export`: writes a trained model (from a checkpoint) as an ONNX model and / or a TF.js
 * layers model (model.json + weights.bin; needs @tensorflow/tfjs).
 */
import { writeFileSync } from 'node:fs';
import * as nn from './nn';
import { parseCommandArgs, runCommand, UsageError, type CommandSpec } from './cli-args';

const USAGE = `usage: smelu export (--onnx OUT | --tfjs DIR) --checkpoint FILE [options]

  --onnx OUT             write the ONNX model there
  --tfjs DIR             write a TF.js layers model there (model.json, weights.bin; needs @tensorflow/tfjs)
  --checkpoint FILE      the trained model: a checkpoint written by fit / smelu train
  --opset N              ONNX opset, 17 to 21 (default 17; from 20 on GELU uses the Gelu operator)
  --output KIND          logits (default), sigmoid or softmax
  --help`;

interface ExportArgs {
  onnx?: string;
  tfjs?: string;
  checkpoint: string;
  opset: number;
  output: nn.OnnxOutput;
}

const text = { type: 'string' } as const;
const EXPORT: CommandSpec = { name: 'smelu export', usage: USAGE, options: { onnx: text, tfjs: text, checkpoint: text, opset: text, output: text } };

/** Parses the arguments after `export`; throws {@link UsageError} for a bad or missing option. */
export function parseExportArgs(args: string[]): ExportArgs | null {
  const parsed = parseCommandArgs(EXPORT, args);
  return parsed && checkExportArgs(parsed.values as Record<string, string | undefined>);
}

function checkExportArgs(values: Record<string, string | undefined>): ExportArgs {
  const s = (k: string) => values[k];
  const onnx = s('onnx');
  const tfjs = s('tfjs');
  const checkpoint = s('checkpoint');
  if (!onnx && !tfjs) throw new UsageError('--onnx OUT or --tfjs DIR is required');
  if (!checkpoint) throw new UsageError('--checkpoint FILE is required');
  const opsetText = s('opset') ?? '17';
  const opset = Number(opsetText);
  if (!/^\d+$/.test(opsetText) || opset < 17 || opset > 21) throw new UsageError(`--opset must be an integer from 17 to 21, got '${opsetText}'`);
  const output = s('output') ?? 'logits';
  if (output !== 'logits' && output !== 'sigmoid' && output !== 'softmax') {
    throw new UsageError(`--output must be logits, sigmoid or softmax, got '${output}'`);
  }
  return { onnx, tfjs, checkpoint, opset, output };
}

/** Runs `smelu export`; returns the exit code (2 for a bad option). */
export function exportCommand(args: string[]): Promise<number> {
  return runCommand(EXPORT, args, ({ values }) => runExport(checkExportArgs(values as Record<string, string | undefined>)));
}

async function runExport(a: ExportArgs): Promise<number> {
  const state = nn.loadCheckpoint(a.checkpoint);
  const model = nn.buildModel(state.model);
  nn.loadWeights(model, state);
  if (a.onnx) {
    const bytes = nn.exportOnnx(model, { opset: a.opset, output: a.output });
    writeFileSync(a.onnx, bytes);
    process.stdout.write(`${a.onnx}: ONNX opset ${a.opset}, ${bytes.length} bytes, output ${a.output}\n`);
  }
  if (a.tfjs) {
    // loaded only here: @tensorflow/tfjs is an optional peer dependency
    const t = require('./tfjs') as typeof import('./tfjs');
    await t.exportTfjs(model, { output: a.output }).save(t.fileHandler(a.tfjs));
    process.stdout.write(`${a.tfjs}: TF.js layers model (model.json, weights.bin), output ${a.output}\n`);
  }
  return 0;
}
