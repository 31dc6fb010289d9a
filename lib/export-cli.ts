/**
 * `smelu export`: writes a trained model (a model file or a checkpoint) as an ONNX model, a TF.js
 * layers model (model.json + weights.bin; needs @tensorflow/tfjs) and / or a model file.
 */
import { writeFileSync } from 'node:fs';
import * as nn from './nn';
import { parseCommandArgs, runCommand, UsageError, type CommandSpec } from './cli-args';

const USAGE = `usage: smelu export (--onnx OUT | --tfjs DIR | --save-model OUT) (--model FILE | --checkpoint FILE) [options]

  --onnx OUT             write the ONNX model there
  --tfjs DIR             write a TF.js layers model there (model.json, weights.bin; needs @tensorflow/tfjs)
  --save-model OUT       write a model file there (for nn.loadModel; from a checkpoint: config, head
                         from its loss and weights, no optimizer state and no feature spec)
  --model FILE           the trained model: a model file written by model.save
  --checkpoint FILE      the trained model: a checkpoint written by fit / smelu train
  --opset N              ONNX opset, 17 to 21 (default 17; from 20 on GELU uses the Gelu operator)
  --output KIND          logits, sigmoid or softmax (default: the model's head, as predict returns:
                         sigmoid, softmax, or logits for a linear head)
  --help`;

interface ExportArgs {
  onnx?: string;
  tfjs?: string;
  saveModel?: string;
  model?: string;
  checkpoint?: string;
  opset: number;
  /** Undefined: from the model's head. */
  output?: nn.OnnxOutput;
}

const text = { type: 'string' } as const;
const EXPORT: CommandSpec = {
  name: 'smelu export',
  usage: USAGE,
  options: { onnx: text, tfjs: text, 'save-model': text, model: text, checkpoint: text, opset: text, output: text },
};

/** Parses the arguments after `export`; throws {@link UsageError} for a bad or missing option. */
export function parseExportArgs(args: string[]): ExportArgs | null {
  const parsed = parseCommandArgs(EXPORT, args);
  return parsed && checkExportArgs(parsed.values as Record<string, string | undefined>);
}

function checkExportArgs(values: Record<string, string | undefined>): ExportArgs {
  const s = (k: string) => values[k];
  const onnx = s('onnx');
  const tfjs = s('tfjs');
  const saveModel = s('save-model');
  const model = s('model');
  const checkpoint = s('checkpoint');
  if (!onnx && !tfjs && !saveModel) throw new UsageError('--onnx OUT, --tfjs DIR or --save-model OUT is required');
  if (!model === !checkpoint) throw new UsageError('exactly one of --model FILE and --checkpoint FILE is required');
  const opsetText = s('opset') ?? '17';
  const opset = Number(opsetText);
  if (!/^\d+$/.test(opsetText) || opset < 17 || opset > 21) throw new UsageError(`--opset must be an integer from 17 to 21, got '${opsetText}'`);
  const output = s('output');
  if (output !== undefined && output !== 'logits' && output !== 'sigmoid' && output !== 'softmax') {
    throw new UsageError(`--output must be logits, sigmoid or softmax, got '${output}'`);
  }
  return { onnx, tfjs, saveModel, model, checkpoint, opset, output };
}

/** Runs `smelu export`; returns the exit code (2 for a bad option). */
export function exportCommand(args: string[]): Promise<number> {
  return runCommand(EXPORT, args, ({ values }) => runExport(checkExportArgs(values as Record<string, string | undefined>)));
}

async function runExport(a: ExportArgs): Promise<number> {
  const model = a.model ? nn.loadModel(a.model) : nn.modelFromCheckpoint(a.checkpoint!);
  const output = a.output ?? nn.onnxOutputOf(model.head);
  if (a.onnx) {
    const bytes = nn.exportOnnx(model, { opset: a.opset, output });
    writeFileSync(a.onnx, bytes);
    process.stdout.write(`${a.onnx}: ONNX opset ${a.opset}, ${bytes.length} bytes, output ${output}\n`);
  }
  if (a.tfjs) {
    // loaded only here: @tensorflow/tfjs is an optional peer dependency
    const t = require('./tfjs') as typeof import('./tfjs');
    await t.exportTfjs(model, { output }).save(t.fileHandler(a.tfjs));
    process.stdout.write(`${a.tfjs}: TF.js layers model (model.json, weights.bin), output ${output}\n`);
  }
  if (a.saveModel) {
    model.save(a.saveModel);
    process.stdout.write(`${a.saveModel}: model file, head ${model.head}\n`);
  }
  return 0;
}
