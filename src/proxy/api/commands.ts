/**
 * The runtime API as a table of commands (HAProxy's CLI keyword tables): each
 * row has its words, a usage line, a one-line help, the access level it needs
 * and a handler. Monitoring, stats and operational state go through here;
 * configuration never does (only the file and a reload change it).
 *
 * Any command takes the extra word `--json` and then answers with one JSON line.
 */
import { UsageError } from '../../errors.js';
import { editDistance } from '../../text/didYouMean.js';
import { LIMITS, NAME_PATTERN } from '../configSchema.js';
import type { AdminState, InjectedHealth } from '../health.js';
import { formatInfo, formatPool, formatServer, formatServersState, formatStat, printable } from './format.js';
import { RELOAD_STRATEGIES, type ApiTarget, type ReloadStrategy, type ServerStateRecord } from './target.js';

/** 'monitor' reads; 'operator' also changes operational state and reloads. */
export type ApiLevel = 'monitor' | 'operator';
const LEVEL_RANK: Record<ApiLevel, number> = { monitor: 0, operator: 1 };

export interface ApiRequest {
  /** The words after the command's own, without `--json`. */
  args: string[];
  json: boolean;
  target: ApiTarget;
  /** The level of the connection asking. */
  level: ApiLevel;
}

export interface ApiCommandRow {
  readonly words: readonly string[];
  /** The words, then `<required>` and `[optional]` arguments (literal words count as required). */
  readonly usage: string;
  readonly help: string;
  readonly level: ApiLevel;
  /** Reply lines (never empty ones), or one JSON line when req.json. Throw to answer with an error line. */
  readonly handler: (req: ApiRequest) => Promise<string[]>;
}

export const JSON_WORD = '--json';

/** What a request for a command with a JSON variant gets as one line. */
const json = (value: unknown): string[] => [JSON.stringify(value)];

/** `backend/server` -> its two names (UsageError otherwise). */
export function parseServerRef(text: string | undefined): { backend: string; server: string } {
  const slash = text?.indexOf('/') ?? -1;
  const backend = text?.slice(0, slash) ?? '';
  const server = text?.slice(slash + 1) ?? '';
  if (slash < 0 || !NAME_PATTERN.test(backend) || !NAME_PATTERN.test(server)) {
    throw new UsageError(`expected backend/server (e.g. app/s1), got '${printable(text ?? '')}'`);
  }
  return { backend, server };
}

/** A weight 0..256 in decimal digits. */
export function parseWeight(text: string | undefined): number {
  const { min, max } = LIMITS.weight;
  const value = /^\d{1,6}$/.test(text ?? '') ? Number(text) : NaN;
  if (!(value >= min && value <= max)) throw new UsageError(`weight '${printable(text ?? '')}' is not a whole number from ${min} to ${max}`);
  return value;
}

function oneOf<T extends string>(text: string | undefined, allowed: readonly T[], what: string): T {
  if (allowed.includes(text as T)) return text as T;
  throw new UsageError(`${what} '${printable(text ?? '')}' is not one of ${allowed.join(', ')}`);
}

async function serverRecord(target: ApiTarget, backend: string, server: string): Promise<ServerStateRecord> {
  const found = (await target.serverState()).find((r) => r.backend === backend && r.server === server);
  if (!found) throw new UsageError(`no server ${backend}/${server}`);
  return found;
}

/** The change, then the server's state after it (text or JSON). */
async function changeServer(req: ApiRequest, ref: string | undefined, change: (backend: string, server: string) => Promise<void>): Promise<string[]> {
  const { backend, server } = parseServerRef(ref);
  await change(backend, server);
  const record = await serverRecord(req.target, backend, server);
  return req.json ? json(record) : [formatServer(record)];
}

function setAdmin(admin: AdminState) {
  return (req: ApiRequest) => changeServer(req, req.args[0], (b, s) => req.target.setAdmin(b, s, admin));
}

export const API_COMMANDS: readonly ApiCommandRow[] = [
  {
    words: ['help'],
    usage: 'help',
    help: 'list the commands, their usage and level',
    level: 'monitor',
    handler: async (req) => helpReply(req),
  },
  {
    words: ['show', 'info'],
    usage: 'show info',
    help: 'pid, version, uptime, config file, reload strategy, frontends, server and connection counts',
    level: 'monitor',
    handler: async (req) => {
      const info = await req.target.info();
      return req.json ? json(info) : formatInfo(info);
    },
  },
  {
    words: ['show', 'stat'],
    usage: 'show stat',
    help: 'counters per frontend, backend and server (CSV with a # header line)',
    level: 'monitor',
    handler: async (req) => {
      const [stats, states] = await Promise.all([req.target.stats(), req.target.serverState()]);
      return req.json ? json(stats) : formatStat(stats, states);
    },
  },
  {
    words: ['show', 'servers', 'state'],
    usage: 'show servers state [<backend>]',
    help: 'operational state of every server (of one backend): admin, weight, injected health, check, effective',
    level: 'monitor',
    handler: async (req) => {
      let records = await req.target.serverState();
      const backend = req.args[0];
      if (backend !== undefined) {
        records = records.filter((r) => r.backend === backend);
        if (records.length === 0) throw new UsageError(`no backend '${printable(backend)}'`);
      }
      return req.json ? json(records) : formatServersState(records);
    },
  },
  {
    words: ['show', 'pool'],
    usage: 'show pool',
    help: 'the copy path buffer pool and the splice pipes',
    level: 'monitor',
    handler: async (req) => {
      const { pool, pipes } = await req.target.stats();
      return req.json ? json({ pool, pipes }) : formatPool({ pool, pipes });
    },
  },
  {
    words: ['disable', 'server'],
    usage: 'disable server <backend>/<server>',
    help: 'maintenance: the server takes no new connections, whatever its health (established ones go on)',
    level: 'operator',
    handler: setAdmin('maint'),
  },
  {
    words: ['enable', 'server'],
    usage: 'enable server <backend>/<server>',
    help: 'end maintenance: health (checked or injected) decides again',
    level: 'operator',
    handler: setAdmin('ready'),
  },
  {
    words: ['set', 'weight'],
    usage: 'set weight <backend>/<server> <0..256>',
    help: 'balancing weight; 0 keeps the server enabled but gives it no new connections',
    level: 'operator',
    handler: async (req) => {
      const weight = parseWeight(req.args[1]);
      return changeServer(req, req.args[0], (b, s) => req.target.setWeight(b, s, weight));
    },
  },
  {
    words: ['set', 'server'],
    usage: 'set server <backend>/<server> health <up|down|auto>',
    help: 'inject health: up/down override the checks until auto hands back to them',
    level: 'operator',
    handler: async (req) => {
      if (req.args[1] !== 'health') throw new UsageError(`set server only sets health here, got '${printable(req.args[1] ?? '')}' (usage: set server <backend>/<server> health <up|down|auto>)`);
      const health = oneOf<InjectedHealth>(req.args[2], ['up', 'down', 'auto'], 'health');
      return changeServer(req, req.args[0], (b, s) => req.target.setHealth(b, s, health));
    },
  },
  {
    words: ['reload'],
    usage: 'reload [<restart|reuseport|handoff>]',
    help: 'start a new proxy process from the config file; returns once it serves (needs a master process)',
    level: 'operator',
    handler: async (req) => {
      const reload = req.target.reload;
      if (!reload) throw new UsageError('this proxy cannot reload through its API: it runs without a master process');
      const strategy = req.args[0] === undefined ? undefined : oneOf<ReloadStrategy>(req.args[0], RELOAD_STRATEGIES, 'reload strategy');
      const result = await reload.call(req.target, strategy);
      return req.json ? json(result) : [`reloaded (${result.strategy}): pid ${result.oldPid} -> ${result.newPid} in ${Math.round(result.ms)}ms`];
    },
  },
];

function helpReply(req: ApiRequest): string[] {
  const rows = API_COMMANDS.filter((row) => LEVEL_RANK[row.level] <= LEVEL_RANK[req.level]);
  if (req.json) return json(rows.map(({ words, usage, help, level }) => ({ command: words.join(' '), usage, help, level })));
  const width = Math.max(...rows.map((row) => row.usage.length));
  return [
    ...rows.map((row) => `${row.usage.padEnd(width)}  ${row.level.padEnd(8)}  ${row.help}`),
    `(add ${JSON_WORD} to any command for one JSON line; this connection's level: ${req.level})`,
  ];
}

export interface ParsedLine {
  row: ApiCommandRow;
  args: string[];
  json: boolean;
}

/** The row a line names and its arguments; UsageError says what is wrong. */
export function parseApiLine(line: string, rows: readonly ApiCommandRow[] = API_COMMANDS): ParsedLine {
  const all = line.replace(/\r$/, '').split(/[ \t]+/).filter((t) => t !== '');
  const jsonWanted = all.includes(JSON_WORD);
  const tokens = all.filter((t) => t !== JSON_WORD);
  if (tokens.length === 0) throw new UsageError(`empty command (try help)`);
  const lower = tokens.map((t) => t.toLowerCase());
  let row: ApiCommandRow | undefined;
  for (const candidate of rows) {
    if (candidate.words.every((w, i) => lower[i] === w) && (!row || candidate.words.length > row.words.length)) row = candidate;
  }
  if (!row) throw new UsageError(unknownCommand(lower, rows));
  const args = tokens.slice(row.words.length);
  const spec = row.usage.split(' ').slice(row.words.length);
  const optional = spec.filter((s) => s.startsWith('[')).length;
  const required = spec.length - optional;
  if (args.length < required || args.length > required + optional) throw new UsageError(`usage: ${row.usage}`);
  return { row, args, json: jsonWanted };
}

function unknownCommand(lower: string[], rows: readonly ApiCommandRow[]): string {
  const phrase = (row: ApiCommandRow) => row.words.join(' ');
  const continuing = rows.filter((row) => lower.length < row.words.length && lower.every((t, i) => row.words[i] === t));
  if (continuing.length > 0) return `incomplete command '${printable(lower.join(' '))}': ${continuing.map(phrase).join(', ')}`;
  let best: ApiCommandRow | undefined;
  let bestDistance = Infinity;
  for (const row of rows) {
    const said = lower.slice(0, row.words.length).join(' ').slice(0, 64);
    const distance = editDistance(said, phrase(row));
    if (distance < bestDistance) [best, bestDistance] = [row, distance];
  }
  const close = best && bestDistance <= Math.max(2, Math.floor(phrase(best).length / 3));
  return `unknown command '${printable(lower.slice(0, 3).join(' '), 40)}' (${close ? `did you mean '${phrase(best!)}'? ` : ''}try help)`;
}

/** One error line: `error: ` and a single printable line. */
export function errorLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return `error: ${printable(message.split('\n')[0] ?? '', 500)}`;
}

/**
 * Run one line: the reply lines, or exactly one `error: ...` line. Never
 * throws; the API server adds the empty line that ends the reply.
 */
export async function runApiLine(line: string, target: ApiTarget, level: ApiLevel = 'operator'): Promise<string[]> {
  try {
    const { row, args, json: wantsJson } = parseApiLine(line);
    if (LEVEL_RANK[row.level] > LEVEL_RANK[level]) {
      throw new UsageError(`'${row.words.join(' ')}' needs level ${row.level}; this connection is ${level}`);
    }
    const reply = await row.handler({ args, json: wantsJson, target, level });
    // An empty line would end the reply early.
    return reply.flatMap((l) => l.split('\n')).filter((l) => l !== '');
  } catch (error) {
    return [errorLine(error)];
  }
}
