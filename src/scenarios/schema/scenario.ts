/**
 * The scenario file, as specs: the source of truth for the checker, the JSON
 * Schema (scenario.schema.json) and docs/scenarios.md.
 */
import { IDEMPOTENCY_MODES, RELOAD_STRATEGIES } from '../planTypes.js';
import { stepSpecs } from '../steps/index.js';
import {
  argvSpec,
  cidrSpec,
  conditionSpec,
  deviceSpec,
  envSpec,
  expressionSpec,
  expressionsSpec,
  isIpv4,
  nameSpec,
  NAME_PATTERN,
  NAME_RULE,
  portSpec,
  readySpec,
  shellSpec,
  signalSpec,
  targetSpec,
} from './common.js';
import { any, bool, described, duration, int, list, named, num, obj, oneOf, size, str, union, type ObjectSpec, type TaggedSpec } from './spec.js';

const hostRef = nameSpec('host (default: the only host; required when there are several)');
const ipv4 = str({
  description: 'An IPv4 address to listen on.',
  examples: ['0.0.0.0'],
  validate: (v) => (isIpv4(v) ? undefined : `invalid address '${v}': expected an IPv4 address such as 0.0.0.0`),
});

const linkEnd = obj(
  { host: nameSpec('host'), dev: deviceSpec, address: cidrSpec },
  { required: ['host', 'dev'], description: 'One end of the veth pair: its host, device name and (optionally) address.' },
);

export const topologySpec = obj(
  {
    hosts: union(
      [
        list(nameSpec('host'), { minItems: 1 }),
        named(obj({ sysctl: named(union([str(), num({ min: -(2 ** 53) })]), { keyPattern: '^[a-z0-9_.]+$', keyRule: 'a sysctl key such as net.ipv4.tcp_syn_retries' }) }), {
          keyPattern: NAME_PATTERN,
          keyRule: NAME_RULE,
          minEntries: 1,
        }),
      ],
      { description: 'Each host is a private network namespace with its own loopback: a list of names, or a map name -> { sysctl }.' },
    ),
    links: list(obj({ a: linkEnd, b: linkEnd, mtu: int({ min: 68, max: 65535 }) }, { required: ['a', 'b'] }), {
      default: [],
      description: 'veth pairs joining two hosts (or two devices of one host).',
    }),
  },
  { required: ['hosts'], description: 'Hosts joined by veth links. Default: one host, `main`, with loopback only.' },
);

const listening = {
  host: hostRef,
  address: { ...ipv4, default: '0.0.0.0' },
  port: portSpec,
  ready: described(readySpec, 'Default: the port accepts a TCP connection.'),
};

const serviceVariants: Record<string, ObjectSpec> = {
  echo: obj({ ...listening }, { required: ['port'], description: 'A TCP echo server.' }),
  http: obj(
    {
      ...listening,
      response_delay: duration({ default: 0, description: 'How long the server waits before answering each request.' }),
      keepalive_timeout: duration({ default: '5s', description: 'How long the server keeps an idle keep-alive connection open.' }),
      response_size: size({ default: 2, description: 'Body size of each answer.' }),
      idempotency: union([bool(), oneOf(IDEMPOTENCY_MODES)], {
        default: false,
        description:
          'How a POST or PATCH with an Idempotency-Key header is treated: false/none: it always executes; true/reserve: once per key, a repeat gets the first answer (waiting for it if need be); record: the key is stored only when the answer is ready, so a repeat arriving meanwhile executes again.',
      }),
    },
    { required: ['port'], description: 'An HTTP/1.1 server with a configurable response delay and keep-alive timeout; it counts requests, executions, duplicates, replays and peak_inflight.' },
  ),
  proxy: obj(
    {
      host: hostRef,
      config: obj({ frontends: any(), backends: any() }, { open: true, required: ['frontends', 'backends'], description: 'The qplug proxy configuration, as in a proxy config file (docs/proxy.md).' }),
      config_file: str({ minLength: 1, description: "A qplug proxy config file, relative to the scenario's folder." }),
      reload_strategy: oneOf(RELOAD_STRATEGIES, { default: 'handoff', description: 'What a reload step does: restart (stop, start), reuseport (new process binds beside the old), handoff (listening sockets passed over).' }),
      ready: described(readySpec, 'Default: every frontend accepts a TCP connection.'),
    },
    { exactlyOne: [['config', 'config_file']], description: 'The qplug proxy.' },
  ),
  command: obj(
    {
      host: hostRef,
      argv: argvSpec,
      shell: shellSpec,
      env: envSpec,
      cwd: str({ minLength: 1, description: "Working directory, relative to the scenario's folder." }),
      ready: described(readySpec, 'Required: how to tell the command is ready.'),
      reload: obj({ signal: signalSpec, argv: argvSpec, shell: shellSpec }, { exactlyOne: [['signal', 'argv', 'shell']], description: 'What a reload step does by default (default: restart).' }),
      stop_signal: { ...signalSpec, default: 'TERM' },
    },
    { required: ['ready'], exactlyOne: [['argv', 'shell']], description: 'Any program, as an argv (or a shell line when asked for).' },
  ),
};

export const serviceSpec: TaggedSpec = { kind: 'tagged', tag: 'type', what: 'service type', variants: () => serviceVariants, description: 'A service.' };

const loadCommon = {
  from: hostRef,
  to: targetSpec,
  start: duration({ default: 0, description: 'When to start, from the start of the timeline.' }),
  stop: duration({ description: 'When to stop (default: the scenario duration).' }),
};

const loadVariants: Record<string, ObjectSpec> = {
  tcp_connect: obj(
    {
      ...loadCommon,
      rate: num({ min: 0.001, max: 1_000_000, description: 'New connections per second.' }),
      hold: duration({ default: 0, description: 'How long each connection stays open once made.' }),
      timeout: duration({ default: '1s', positive: true, description: 'A connection not made by then counts as a timeout.' }),
    },
    { required: ['to', 'rate'], description: 'New TCP connections at a fixed rate.' },
  ),
  http_keepalive: obj(
    {
      ...loadCommon,
      connections: int({ min: 1, max: 100_000, default: 1, description: 'Keep-alive connections, each sending one request at a time.' }),
      idle: union([duration(), list(duration(), { minItems: 2, maxItems: 2 })], {
        default: '1s',
        description: 'The gap between requests on a connection: a duration, or [min, max] drawn with the seed.',
      }),
      path: str({ default: '/', description: 'Request path.' }),
      method: oneOf(['GET', 'POST', 'PUT', 'PATCH', 'DELETE'], { default: 'GET', description: 'Request method.' }),
      timeout: duration({ default: '2s', positive: true, description: 'A request not answered by then counts as a timeout.' }),
      retries: int({ min: 0, max: 10, default: 0, description: 'Tries again, on a new connection, after an attempt that is not ok; each try is an attempt.' }),
      idempotency_key: bool({ default: false, description: 'Send an Idempotency-Key header: one key per request, the same on its retries.' }),
    },
    { required: ['to'], description: 'HTTP requests over keep-alive connections, with idle gaps.' },
  ),
};

export const loadSpec: TaggedSpec = { kind: 'tagged', tag: 'type', what: 'load type', variants: () => loadVariants, description: 'A load generator.' };

export const stepSpec: TaggedSpec = {
  kind: 'tagged',
  tag: 'type',
  what: 'step type',
  variants: stepSpecs,
  common: {
    at: duration({ description: 'Start this long after the timeline starts; steps with times need not be in order.' }),
    after: described(conditionSpec, 'Start once this condition holds.'),
    note: str({ description: 'Why the step is there, for reports.' }),
  },
  description: 'A timeline step. Without at: or after:, it starts when the step before it has finished.',
};

const expectation = union([expressionSpec, obj({ that: expressionSpec, because: str() }, { required: ['that'] })], {
  description: "An assertion, or { that: <assertion>, because: 'why it matters' }.",
});

export const variantSpec = obj(
  {
    role: oneOf(['bug', 'fix', 'null'], { nullAs: 'null', description: 'bug: should show the signature; fix: should not; null: the control, no fault.' }),
    description: str(),
    set: named(any(), {
      keyPattern: '^[A-Za-z0-9_-]+(\\.[A-Za-z0-9_-]+|\\[\\d+\\])*$',
      keyRule: 'a path in the document such as services.proxy.reload_strategy or timeline[2].at',
      default: {},
      description: 'Values to change: document path -> new value.',
    }),
    signature: described(expressionsSpec, "This variant's bug signature (default: the scenario's)."),
    repeat: int({ min: 1, max: 10_000, description: "Runs of this variant (default: the scenario's repeat)." }),
    seed: int({ min: 0, max: 2 ** 32 - 1, description: "Seed of this variant (default: the scenario's)." }),
  },
  { required: ['role'], description: 'The same scenario with some values changed.' },
);

export const requiresSpec = obj(
  {
    commands: list(
      str({
        minLength: 1,
        pattern: '^\\S+$',
        description: 'A program found on PATH, or an absolute path.',
        examples: ['haproxy'],
        validate: (v) => (/\s/.test(v) ? `invalid command '${v}': a program name or path, without arguments` : undefined),
      }),
      { minItems: 1, description: 'Programs the scenario runs that qplug does not ship.' },
    ),
    install: str({ minLength: 1, description: 'How to install them, shown when one is missing.', examples: ['apt-get install haproxy'] }),
  },
  { required: ['commands'], description: 'What the scenario needs from the machine, checked before anything runs: a missing command stops the run (exit 2, E_SCENARIO).' },
);

export const scenarioSpec = obj(
  {
    $schema: str({ description: 'The JSON Schema, for editors.' }),
    name: nameSpec('scenario'),
    description: str({ default: '', description: 'What the scenario shows; the first line is its summary.' }),
    duration: duration({ default: '10s', positive: true, description: 'How long the load runs; every at: must fall within it.' }),
    repeat: int({ min: 1, max: 10_000, default: 1, description: 'How many times each variant runs.' }),
    seed: int({ min: 0, max: 2 ** 32 - 1, default: 1, description: 'Seed for every random choice (idle gaps); run i uses seed + i.' }),
    requires: requiresSpec,
    topology: topologySpec,
    services: named(serviceSpec, { keyPattern: NAME_PATTERN, keyRule: NAME_RULE, default: {}, description: 'Services by name, started in file order before the timeline.' }),
    load: named(loadSpec, { keyPattern: '^[a-z][a-z0-9_-]{0,31}$', keyRule: NAME_RULE, default: {}, description: 'Load generators by name.' }),
    timeline: list(stepSpec, { default: [], description: 'What happens, and when.' }),
    expect: list(expectation, { default: [], description: 'Assertions that must hold at the end of a fix or null variant.' }),
    signature: described(expressionsSpec, 'The bug signature: what shows the bug happened (e.g. reset > 0).'),
    variants: named(variantSpec, { keyPattern: NAME_PATTERN, keyRule: NAME_RULE, description: 'Variants by name, run side by side.' }),
  },
  { required: ['name'], description: 'A qplug scenario (docs/scenarios.md).' },
);
