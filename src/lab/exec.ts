/** Runs host tools with argv arrays (never a shell) and captures their output. */
import { spawn, type ChildProcess } from 'node:child_process';
import { EnvironmentError } from '../errors.js';

/** Tools still running, so an interrupted build can stop them before cleaning up. */
const running = new Set<ChildProcess>();

/** SIGKILLs every tool started by runTool that is still running and waits for them to exit. */
export async function stopRunningTools(): Promise<void> {
  const children = [...running];
  await Promise.all(
    children.map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once('close', () => resolve());
          child.kill('SIGKILL');
        }),
    ),
  );
}

export interface ToolResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export function runTool(command: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<ToolResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    running.add(child);
    child.once('close', () => running.delete(child));
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') }));
  });
}

/** Last non-empty line of a tool's output, for one-line error messages. */
export function lastLine(text: string): string {
  const lines = text.split('\n').map((l) => l.trim()).filter(Boolean);
  return lines[lines.length - 1] ?? '';
}

/** runTool that throws E_LAB "<what> failed: <tool's last line>; <remedy>" unless it exits 0. */
export async function mustRun(what: string, remedy: string, command: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<ToolResult> {
  let result: ToolResult;
  try {
    result = await runTool(command, args, options);
  } catch (error) {
    throw new EnvironmentError('E_LAB', `${what} failed: cannot start ${command} (${(error as Error).message}); ${remedy}`, { cause: error });
  }
  if (result.code !== 0) {
    const why = lastLine(result.stderr) || lastLine(result.stdout) || `exit ${result.code ?? result.signal}`;
    throw new EnvironmentError('E_LAB', `${what} failed: ${why}; ${remedy}`, { details: { command: [command, ...args], stderr: result.stderr.slice(-4000) } });
  }
  return result;
}
