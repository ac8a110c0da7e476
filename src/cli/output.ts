import chalk from 'chalk';
import { ConfigError, ExitCode, QplugError, isQplugError, type ExitCodeValue } from '../errors.js';

/** Options every command accepts. */
export interface GlobalArgs {
  json: boolean;
  debug: boolean;
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/**
 * Print an error the way DEVELOPERS.md asks: one line (what, why, what to do),
 * a JSON object on stdout with --json, the stack only with --debug.
 * Returns the exit code to use.
 */
export function reportError(error: unknown, args: Partial<GlobalArgs>): ExitCodeValue {
  const known = isQplugError(error);
  const code = known ? error.code : 'E_INTERNAL';
  const exitCode = known ? error.exitCode : ExitCode.failure;
  const message = error instanceof Error ? error.message : String(error);
  if (args.json) {
    const body = known ? (error as QplugError).toJSON() : { code, exitCode, message };
    process.stdout.write(`${JSON.stringify({ error: body })}\n`);
  }
  const suffix = known ? '' : ' (unexpected: rerun with --debug and report it)';
  // A configuration file with several faults: one located line per fault.
  const lines = error instanceof ConfigError ? error.problems : [message.split('\n')[0] ?? message];
  for (const line of lines) process.stderr.write(`${chalk.red('qplug:')} ${line}${suffix} ${chalk.dim(`[${code}]`)}\n`);
  if (args.debug && error instanceof Error) {
    process.stderr.write(`${error.stack ?? ''}\n`);
    if (error.cause !== undefined) process.stderr.write(`cause: ${String((error.cause as Error)?.stack ?? error.cause)}\n`);
  }
  return exitCode;
}
