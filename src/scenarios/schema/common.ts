/** Specs shared by several parts of the scenario file. */
import { constants } from 'node:os';
import { compileMatch } from '../../plug/match.js';
import { expressionProblem } from '../expression.js';
import { described, duration, int, list, named, obj, str, union, type StringSpec } from './spec.js';

export const NAME_PATTERN = '^[a-z][a-z0-9_-]{0,31}$';
export const NAME_RULE = 'lower-case letters, digits, _ and -, starting with a letter, at most 32 characters';

/** A name chosen by the author (host, service, load generator). */
export const nameSpec = (what: string): StringSpec =>
  str({ description: `The name of a ${what}.`, pattern: NAME_PATTERN, validate: (v) => (new RegExp(NAME_PATTERN).test(v) ? undefined : `invalid ${what} name '${v}' (${NAME_RULE})`) });

/** Network device names: at most 15 characters (IFNAMSIZ). */
export const deviceSpec = str({
  ref: 'device',
  description: 'A network device of the host: lo, or one end of a link.',
  pattern: '^[A-Za-z0-9_.-]{1,15}$',
  examples: ['veth0'],
  validate: (v) => (/^[A-Za-z0-9_.-]{1,15}$/.test(v) ? undefined : `invalid device name '${v}': at most 15 letters, digits, _ . -`),
});

const IPV4 = '(?:(?:25[0-5]|2[0-4]\\d|1?\\d?\\d)\\.){3}(?:25[0-5]|2[0-4]\\d|1?\\d?\\d)';
export const isIpv4 = (v: string) => new RegExp(`^${IPV4}$`).test(v);

export const cidrSpec = str({
  ref: 'cidr',
  description: 'An IPv4 address with its prefix length.',
  pattern: `^${IPV4}/(?:3[0-2]|[12]?\\d)$`,
  examples: ['10.0.0.1/24'],
  validate: (v) => (new RegExp(`^${IPV4}/(?:3[0-2]|[12]?\\d)$`).test(v) ? undefined : `invalid address '${v}': expected IPv4 with a prefix length, e.g. 10.0.0.1/24`),
});

export const portSpec = int({ min: 1, max: 65535, description: 'A TCP port.' });

/** `<address or host name>:<port>`; the host name is checked against topology: later. */
export const TARGET_PATTERN = '^[A-Za-z0-9_.-]+:[0-9]{1,5}$';
export const targetSpec = str({
  ref: 'target',
  description: 'Where to connect: <address>:<port> or <host>:<port> (a host of the topology, meaning its first address), or localhost:<port>.',
  pattern: TARGET_PATTERN,
  examples: ['server:8080'],
  validate: (v) => {
    const port = Number(v.split(':')[1]);
    return new RegExp(TARGET_PATTERN).test(v) && port >= 1 && port <= 65535 ? undefined : `invalid target '${v}': expected <address or host>:<port>, e.g. 10.0.0.2:8080 or server:8080`;
  },
});

export const argvSpec = list(str({ minLength: 1 }), { ref: 'argv', minItems: 1, description: 'A command as an argument vector, run without a shell, e.g. [curl, -s, http://10.0.0.2:8080/].' });
export const shellSpec = str({ minLength: 1, description: 'A command line run by /bin/sh -c: only when you ask for a shell.' });

export const signalSpec = str({
  ref: 'signal',
  description: 'A signal name: HUP, SIGHUP, USR2...',
  pattern: '^(SIG)?[A-Z0-9+]+$',
  examples: ['HUP'],
  validate: (v) => (normaliseSignal(v) ? undefined : `unknown signal '${v}': e.g. HUP, TERM, USR1, USR2, INT, KILL`),
});

/** "hup", "HUP" or "SIGHUP" to "SIGHUP"; undefined when the system has no such signal. */
export function normaliseSignal(text: string): string | undefined {
  const name = text.toUpperCase().startsWith('SIG') ? text.toUpperCase() : `SIG${text.toUpperCase()}`;
  return name in constants.signals ? name : undefined;
}

export const regexSpec = str({
  ref: 'regex',
  description: 'A JavaScript regular expression.',
  validate: (v) => {
    try {
      new RegExp(v);
      return undefined;
    } catch (error) {
      return `invalid regular expression '${v}': ${(error as Error).message}`;
    }
  },
});

export const matchSpec = str({
  ref: 'match',
  description: "Freeze only matching IPv4 packets, in qplug's --match syntax: tcp|udp|icmp, sport N, dport N, src A[/N], dst A[/N], syn.",
  examples: ['tcp dport 8080 syn'],
  validate: (v) => {
    try {
      compileMatch(v);
      return undefined;
    } catch (error) {
      return (error as Error).message;
    }
  },
});

/** A checked `match:` in its normalised text, or null when there is none. */
export function normaliseMatch(value: unknown): string | null {
  return typeof value === 'string' ? compileMatch(value).text : null;
}

export const expressionSpec = str({
  ref: 'expression',
  description: 'An assertion: [<load>.]<counter> <op> <count>, [<load>.]latency.<stat> <op> <duration>, or <service>.<counter> <op> <count>; several joined by || hold when any does. Counters: attempts, ok, reset, refused, timeout, other; http services: requests, executions, duplicates, replays, peak_inflight.',
  examples: ['reset > 0'],
  validate: expressionProblem,
});

/** One expression, or a list that must all hold. */
export const expressionsSpec = union([expressionSpec, list(expressionSpec, { minItems: 1 })], { description: 'One assertion, or a list of them that must all hold.' });

export const envSpec = named(str(), { keyPattern: '^[A-Za-z_][A-Za-z0-9_]*$', keyRule: 'an environment variable name', description: 'Extra environment variables.' });

/** What a step waits for (after:, wait's until:). */
export const conditionSpec = obj(
  {
    ready: nameSpec('service whose readiness check must pass'),
    exited: nameSpec('service whose process must exit'),
    metric: expressionSpec,
    output: obj(
      { service: nameSpec('service'), matches: regexSpec },
      { required: ['service', 'matches'], description: 'A line of the service output (stdout or stderr) matches.' },
    ),
    timeout: duration({ default: '30s', positive: true, description: 'Give up (and fail the run) when the condition has not held by then.' }),
  },
  { ref: 'condition', exactlyOne: [['ready', 'exited', 'metric', 'output']], description: 'A condition: exactly one of ready, exited, metric, output.' },
);

/** How a service tells it is ready. */
export const readySpec = obj(
  {
    tcp: union([portSpec, targetSpec], { description: 'A port (on the service host) or <address>:<port> accepts a TCP connection.' }),
    http: str({ description: 'A URL answers with a 2xx status.', examples: ['http://127.0.0.1:8080/'] }),
    output: described(regexSpec, 'A line of the service output matches.'),
    exec: described(argvSpec, 'A command, run in the service host, exits 0.'),
    delay: duration({ description: 'Simply wait this long (last resort).' }),
    timeout: duration({ default: '10s', positive: true, description: 'Fail the run when the service is not ready by then.' }),
    interval: duration({ default: '100ms', positive: true, description: 'How often to retry tcp, http and exec checks.' }),
  },
  { ref: 'ready', exactlyOne: [['tcp', 'http', 'output', 'exec', 'delay']], description: 'The readiness check: exactly one of tcp, http, output, exec, delay.' },
);
