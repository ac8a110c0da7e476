/** `qplug lab ...` parsing with fake library calls: the inner command must arrive untouched. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import yargs from 'yargs';
import { createLabCommand, innerCommand, type LabDeps } from '../../src/cli/commands/LabCommand.js';
import type { RunOptions, RunResult } from '../../src/lab/index.js';
import { UsageError } from '../../src/errors.js';

function harness(result: Partial<RunResult> = {}) {
  const runs: RunOptions[] = [];
  const deps: LabDeps = {
    runInLab: vi.fn(async (options: RunOptions) => {
      runs.push(options);
      return { exitCode: 0, timedOut: false, interrupted: null, seconds: 1, accel: 'tcg', jobDir: null, ...result } as RunResult;
    }),
    buildLab: vi.fn(),
    labStatus: vi.fn(),
  } as unknown as LabDeps;
  // async: yargs throws some usage errors synchronously.
  const parse = async (args: string[]) =>
    yargs(args)
      .option('json', { type: 'boolean', default: false })
      .option('debug', { type: 'boolean', default: false })
      .command(createLabCommand(deps))
      .strict()
      .fail((message, error) => {
        throw error ?? new UsageError(message);
      })
      .parseAsync();
  return { runs, deps, parse };
}

afterEach(() => {
  process.exitCode = undefined;
  vi.restoreAllMocks();
});

describe('qplug lab run argument passing', () => {
  it('passes everything after -- untouched, flags and numbers included', async () => {
    const h = harness();
    await h.parse(['lab', 'run', '--', 'npx', 'vitest', 'run', '--project', 'kernel']);
    expect(h.runs[0]?.argv).toEqual(['npx', 'vitest', 'run', '--project', 'kernel']);
    await h.parse(['lab', 'run', '--', 'node', '-e', 'x', '--json', '--help', '--timeout', '007', '-x', '', 'a b']);
    expect(h.runs[1]?.argv).toEqual(['node', '-e', 'x', '--json', '--help', '--timeout', '007', '-x', '', 'a b']);
  });

  it('reads its own options before --', async () => {
    const h = harness();
    await h.parse(['lab', 'run', '--memory', '512', '--cpus', '1', '--timeout', '1.5s', '--', 'sh', '-c', 'exit 7']);
    expect(h.runs[0]).toMatchObject({ argv: ['sh', '-c', 'exit 7'], memoryMb: 512, cpus: 1, timeoutMs: 1500 });
    await h.parse(['lab', 'run', '--', 'true']);
    expect(h.runs[1]).toMatchObject({ memoryMb: 2048, cpus: 2, timeoutMs: undefined });
  });

  it('without --, keeps words as strings and a later -- for the command', async () => {
    const h = harness();
    await h.parse(['lab', 'run', 'sleep', '60']);
    expect(h.runs[0]?.argv).toEqual(['sleep', '60']);
    expect(innerCommand({ command: ['ls'], '--': ['-la'] })).toEqual(['ls', '--', '-la']);
    expect(innerCommand({ '--': ['a'] })).toEqual(['a']);
  });

  it('sets process.exitCode to the command exit code', async () => {
    const h = harness({ exitCode: 7 });
    await h.parse(['lab', 'run', '--', 'sh', '-c', 'exit 7']);
    expect(process.exitCode).toBe(7);
  });

  it('reports a timeout on stderr and exits 124', async () => {
    const h = harness({ exitCode: 124, timedOut: true });
    const write = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    await h.parse(['lab', 'run', '--timeout', '1s', '--', 'sleep', '60']);
    expect(process.exitCode).toBe(124);
    expect(String(write.mock.calls[0]?.[0])).toMatch(/did not finish within 1s/);
  });

  it('refuses a missing command and a bad --timeout with usage errors', async () => {
    const h = harness();
    await expect(h.parse(['lab', 'run'])).rejects.toThrow(/no command/);
    await expect(h.parse(['lab', 'run', '--timeout', 'soon', '--', 'true'])).rejects.toThrow(UsageError);
    await expect(h.parse(['lab'])).rejects.toThrow(/build, run or status/);
    expect(h.runs).toHaveLength(0);
  });
});
