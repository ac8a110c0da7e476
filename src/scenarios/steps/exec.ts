/** exec: run a command in a host (argv; a shell only with `shell:`). */
import type { Command, StepBase } from '../planTypes.js';
import { argvSpec, envSpec, shellSpec } from '../schema/common.js';
import { bool, duration, obj } from '../schema/spec.js';
import { StepFailure } from '../run/stepContext.js';
import { defineStep, hostField } from './registry.js';

export interface ExecStep extends StepBase {
  readonly type: 'exec';
  readonly host: string;
  readonly command: Command;
  readonly env: Readonly<Record<string, string>>;
  readonly timeoutMs: number;
  /** A non-zero exit (or the timeout) fails the run. */
  readonly check: boolean;
}

export const execStep = defineStep<ExecStep>({
  type: 'exec',
  summary: 'Run a command in a host and wait for it: argv, or shell only when asked for.',
  spec: obj(
    {
      host: hostField,
      argv: argvSpec,
      shell: shellSpec,
      env: envSpec,
      timeout: duration({ default: '30s', positive: true, description: 'Kill the command after this long.' }),
      check: bool({ default: true, description: 'Fail the run when the command exits non-zero or times out.' }),
    },
    { exactlyOne: [['argv', 'shell']] },
  ),
  normalise: (d, ctx) => {
    const host = ctx.host(d);
    const command = ctx.command(d);
    if (!host || !command) return undefined;
    return { type: 'exec', host, command, env: (d.env as Record<string, string> | undefined) ?? {}, timeoutMs: d.timeout as number, check: d.check as boolean };
  },
  run: async (s, ctx) => {
    const r = await ctx.exec(s.host, s.command, s.env, s.timeoutMs);
    if (!s.check || (r.code === 0 && !r.timedOut)) return;
    const what = s.command.shell ? (s.command.argv[2] ?? '') : s.command.argv.join(' ');
    const why = r.timedOut ? `timed out after ${s.timeoutMs} ms` : `exited ${r.code ?? r.signal}`;
    const stderr = r.stderr.trim().split('\n').slice(-1)[0];
    throw new StepFailure(`exec \`${what}\` in ${s.host} ${why}${stderr ? `: ${stderr.slice(0, 200)}` : ''}`);
  },
});
