#!/usr/bin/env node
/**
 * The `smelu` command: `smelu --version`, `smelu info`, `smelu repro ...` (the reproducibility lab).
 * Each subcommand lives in its own module and is loaded only when called.
 */
import { info, version } from './runtime';

const USAGE = `usage: smelu <command> [options]

commands:
  info               backend, ISA tier, threads and versions in use
  train [options]    train a model on digits or synthetic CTR data (smelu train --help)
  repro [options]    train replicas and measure prediction difference (smelu repro --help)
  worker --queue URL train the replicas of queued sweeps (smelu worker --help)

options:
  --version          print the version
  --help             print this help`;

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  switch (cmd) {
    case '--version':
    case '-v':
      process.stdout.write(`${version}\n`);
      return 0;
    case undefined:
    case '--help':
    case '-h':
    case 'help':
      process.stdout.write(`${USAGE}\n`);
      return cmd === undefined ? 1 : 0;
    case 'info':
      process.stdout.write(`${JSON.stringify(info(), null, 2)}\n`);
      return 0;
    case 'train': {
      const { trainCommand } = require('./train-cli') as { trainCommand(args: string[]): Promise<number> };
      return trainCommand(rest);
    }
    case 'repro': {
      const { reproCommand } = require('./repro/cli') as { reproCommand(args: string[]): Promise<number> };
      return reproCommand(rest);
    }
    case 'worker': {
      const { workerCommand } = require('./repro/queue-worker') as { workerCommand(args: string[]): Promise<number> };
      return workerCommand(rest);
    }
    default:
      process.stderr.write(`smelu: unknown command '${cmd}'\n${USAGE}\n`);
      return 2;
  }
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
