/**
 * The one command-line convention of every smelu command (`smelu`, `smelu info|train|repro|...`,
 * bench/run.js): node:util parseArgs, strict; `--flag=value` and `--flag value` both work; an unknown
 * or malformed option, or a bad value, prints `<command>: <why>` and the usage on stderr and exits
 * 2; `--help` prints the usage on stdout and exits 0.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';

/** A bad command line: reported with the usage on stderr, exit code 2. */
export class UsageError extends Error {}

/** parseArgs option definitions (`--help` is added to every command). */
export type OptionSpecs = NonNullable<ParseArgsConfig['options']>;

/** A command's line: how it is named in messages, its usage text and options. */
export interface CommandSpec {
  /** e.g. 'smelu train'. */
  name: string;
  usage: string;
  options: OptionSpecs;
  /** Whether bare arguments are allowed (default: none). */
  positionals?: boolean;
}

/** What parseArgs found: option values by name, and the bare arguments. */
export interface ParsedArgs {
  values: Record<string, string | boolean | (string | boolean)[] | undefined>;
  positionals: string[];
}

/**
 * Strict parse of a command's arguments.
 * @returns the values, or null when `--help` is given.
 * @throws UsageError for an unknown option, a missing value or an unexpected argument.
 */
export function parseCommandArgs(spec: CommandSpec, args: string[]): ParsedArgs | null {
  let parsed: ParsedArgs;
  try {
    parsed = parseArgs({ args, strict: true, allowPositionals: spec.positionals ?? false, options: { ...spec.options, help: { type: 'boolean', short: 'h' } } });
  } catch (e) {
    throw new UsageError(plainMessage((e as Error).message));
  }
  return parsed.values.help ? null : parsed;
}

/**
 * parseArgs' message in the commands' own words: its first sentence (the advice after it is about
 * `--` and positionals), lower case, and "needs a value" for a missing one.
 * "Unknown option '--x'. To specify ..." -> "unknown option '--x'".
 */
function plainMessage(message: string): string {
  const first = message.split('. ')[0].replace(/^Option '(--[\w-]+) <value>' argument missing$/, "option '$1' needs a value");
  return first.charAt(0).toLowerCase() + first.slice(1);
}

/** Prints a usage error the one way every command does; returns the exit code 2. */
export function usageFailure(spec: Pick<CommandSpec, 'name' | 'usage'>, message: string): number {
  process.stderr.write(`${spec.name}: ${message}\n${spec.usage}\n`);
  return 2;
}

/**
 * Runs a command under the convention: parses, answers `--help`, and turns a UsageError thrown by
 * the parse or by `run` (a bad value found while checking the options) into exit code 2.
 */
export async function runCommand(spec: CommandSpec, args: string[], run: (a: ParsedArgs) => number | Promise<number>): Promise<number> {
  try {
    const parsed = parseCommandArgs(spec, args);
    if (parsed === null) {
      process.stdout.write(`${spec.usage}\n`);
      return 0;
    }
    return await run(parsed);
  } catch (e) {
    if (e instanceof UsageError) return usageFailure(spec, e.message);
    throw e;
  }
}
