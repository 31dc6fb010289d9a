#!/usr/bin/env node
/**
 * The `smelu` command: `smelu --version`, `smelu info`, `smelu train ...`, `smelu repro ...` (the
 * reproducibility lab), `smelu export ...`. Each subcommand lives in its own module and is loaded only when called;
 * all of them follow the convention of lib/cli-args.ts.
 */
import { runCommand, usageFailure, type CommandSpec } from './cli-args';
import { info, version } from './runtime';

const USAGE = `usage: smelu <command> [options]

commands:
  info               backend, ISA tier, threads and versions in use
  train [options]    train a model on digits or synthetic CTR data (smelu train --help)
  repro [options]    train replicas and measure prediction difference (smelu repro --help)
  export [options]   write a trained model as ONNX, TF.js or a model file (smelu export --help)
  worker --queue URL train the replicas of queued sweeps (smelu worker --help)

options:
  --version          print the version
  --help             print this help`;

const TOP: CommandSpec = { name: 'smelu', usage: USAGE, options: { version: { type: 'boolean', short: 'v' } } };
const INFO: CommandSpec = { name: 'smelu info', usage: 'usage: smelu info\n\nprints the backend, ISA tier, threads and versions in use (JSON)', options: {} };

/** The subcommands, each loaded when called. */
const COMMANDS: Record<string, () => (args: string[]) => Promise<number>> = {
  info: () => (args) =>
    runCommand(INFO, args, () => {
      process.stdout.write(`${JSON.stringify(info(), null, 2)}\n`);
      return 0;
    }),
  train: () => (require('./train-cli') as { trainCommand(args: string[]): Promise<number> }).trainCommand,
  repro: () => (require('./repro/cli') as { reproCommand(args: string[]): Promise<number> }).reproCommand,
  worker: () => (require('./repro/queue-worker') as { workerCommand(args: string[]): Promise<number> }).workerCommand,
  export: () => (require('./export-cli') as { exportCommand(args: string[]): Promise<number> }).exportCommand,
};

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (cmd === undefined) return usageFailure(TOP, 'no command given');
  if (cmd === 'help') return main(['--help']);
  if (cmd.startsWith('-')) {
    return runCommand(TOP, argv, ({ values }) => {
      if (!values.version) return usageFailure(TOP, 'no command given');
      process.stdout.write(`${version}\n`);
      return 0;
    });
  }
  const command = COMMANDS[cmd];
  if (!command) return usageFailure(TOP, `unknown command '${cmd}'`);
  return command()(rest);
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e: Error) => {
      // Bad options are reported by each command with exit code 2; anything thrown is a failure.
      process.stderr.write(`smelu: ${e.message}\n`);
      process.exitCode = 1;
    },
  );
}
