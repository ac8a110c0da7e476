/**
 * The proxy's YAML file -> a validated draft (every problem located) ->
 * completeConfig() -> the immutable, normalised ProxyConfig.
 * Keys and defaults are documented in docs/proxy.md.
 */
import { readFile } from 'node:fs/promises';
import { isScalar, isSeq, type Node as YamlNode } from 'yaml';
import { ConfigError } from '../errors.js';
import { parseAddress } from './address.js';
import {
  BALANCE_ALGORITHMS,
  BUILTIN_DEFAULTS,
  LIMITS,
  NAME_PATTERN,
  NAME_RULE,
  RELOAD_STRATEGIES,
  apiPathProblem,
  completeConfig,
  definedOnly,
  poolProblem,
  type BackendDraft,
  type DefaultsDraft,
  type FrontendDraft,
  type HealthCheckConfig,
  type ProxyConfig,
  type ProxyConfigDraft,
  type ServerDraft,
  type TimeoutsDraft,
} from './configSchema.js';
import { YamlReader, didYouMean, type Entry } from './yamlReader.js';

const ROOT_KEYS = ['global', 'defaults', 'frontends', 'backends'] as const;
const GLOBAL_KEYS = ['threads', 'buffer_size', 'buffer_pool', 'pipe_size', 'max_idle_pipes', 'grace', 'reload_strategy', 'api'] as const;
const DEFAULTS_KEYS = ['timeout', 'splice', 'maxconn', 'backlog', 'balance', 'retries', 'redispatch'] as const;
const TIMEOUT_KEYS = ['connect', 'client', 'server', 'queue'] as const;
const FRONTEND_KEYS = ['bind', 'backend', 'maxconn', 'backlog', 'splice', 'timeout'] as const;
const BACKEND_KEYS = ['balance', 'splice', 'retries', 'redispatch', 'timeout', 'check', 'servers'] as const;
const CHECK_KEYS = ['interval', 'timeout', 'rise', 'fall'] as const;
const SERVER_KEYS = ['name', 'address', 'weight', 'maxconn', 'check'] as const;

const NAME = NAME_PATTERN;
const MAXCONN = LIMITS.maxconn;

/** Read and validate a proxy config file. Throws ConfigError (exit 2) listing every problem. */
export async function loadProxyConfig(file: string): Promise<ProxyConfig> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'EIO';
    const why = code === 'ENOENT' ? 'no such file (check the path given to -c)' : `cannot be read (${code})`;
    throw new ConfigError('E_CONFIG', [`${file}: ${why}`], { cause: error });
  }
  return parseProxyConfig(text, file);
}

/** Validate YAML text; `file` only names it in messages. */
export function parseProxyConfig(text: string, file = '<config>'): ProxyConfig {
  const reader = new YamlReader(file, text);
  if (reader.hasSyntaxErrors) throw new ConfigError('E_CONFIG', reader.formatted());
  const draft = readDraft(reader);
  if (reader.problemCount > 0 || !draft) throw new ConfigError('E_CONFIG', reader.formatted());
  return completeConfig(draft, file);
}

function readDraft(r: YamlReader): ProxyConfigDraft | undefined {
  const contents = r.doc.contents as YamlNode | null;
  if (contents === null || (isScalar(contents) && contents.value === null)) {
    r.report(null, '(document)', 'the file is empty (write a frontends: and a backends: section, see examples/proxy.yaml)');
    return undefined;
  }
  const root = r.map(contents, '', ROOT_KEYS);
  if (!root) return undefined;
  const global = readGlobal(r, root.get('global'));
  const defaults = readDefaults(r, root.get('defaults'));
  const backends = readNamed(r, root, 'backends', 'app', (name, entry) => readBackend(r, name, entry));
  const frontends = readNamed(r, root, 'frontends', 'web', (name, entry) => readFrontend(r, name, entry));
  checkReferences(r, frontends, backends);
  return {
    global,
    defaults,
    frontends: frontends.map((f) => f.draft),
    backends: backends.map((b) => b.draft),
  };
}

interface Located<T> {
  draft: T;
  entry: Entry;
  nodes: Map<string, Entry>;
}

/** A map keyed by name (frontends:, backends:), with at least one entry. */
function readNamed<T>(r: YamlReader, root: Map<string, Entry>, section: string, example: string, read: (name: string, entry: Entry) => Located<T> | undefined): Array<Located<T>> {
  const entry = root.get(section);
  if (!entry) {
    r.missing(null, '(document)', section, `add a ${section}: section with at least one entry such as ${example}:, see examples/proxy.yaml`);
    return [];
  }
  const items = r.map(entry.value ?? entry.key, section, null);
  if (!items) return [];
  if (items.size === 0) r.report(entry.key, section, `needs at least one entry (add e.g. ${example}: under it)`);
  const result: Array<Located<T>> = [];
  for (const [name, item] of items) {
    if (!NAME.test(name)) r.report(item.key, item.path, `invalid name '${name}' (${NAME_RULE})`);
    const located = read(name, item);
    if (located) result.push(located);
  }
  return result;
}

function readGlobal(r: YamlReader, entry: Entry | undefined): ProxyConfigDraft['global'] {
  if (!entry) return undefined;
  const m = r.map(entry.value ?? entry.key, 'global', GLOBAL_KEYS);
  if (!m) return undefined;
  const global = {
    threads: r.int(m.get('threads'), LIMITS.threads),
    bufferSize: r.size(m.get('buffer_size'), LIMITS.bufferSize),
    bufferPool: r.size(m.get('buffer_pool'), { min: 1, max: 0xffffffff }),
    pipeSize: r.size(m.get('pipe_size'), { min: 0, max: 0xffffffff }),
    maxIdlePipes: r.int(m.get('max_idle_pipes'), { min: 0, max: 1_000_000 }),
    graceMs: r.duration(m.get('grace')),
    reloadStrategy: r.oneOf(m.get('reload_strategy'), RELOAD_STRATEGIES),
    api: apiPath(r, m.get('api')),
  };
  const sizeEntry = m.get('buffer_size');
  const poolEntry = m.get('buffer_pool');
  if ((sizeEntry === undefined || global.bufferSize !== undefined) && (poolEntry === undefined || global.bufferPool !== undefined)) {
    const problem = poolProblem(global.bufferSize ?? BUILTIN_DEFAULTS.global.bufferSize, global.bufferPool ?? BUILTIN_DEFAULTS.global.bufferPool);
    const at = poolEntry ?? sizeEntry;
    if (problem && at) r.report(at.value, at.path, problem);
  }
  return definedOnly(global);
}

/** A unix socket path that fits in sun_path. */
function apiPath(r: YamlReader, entry: Entry | undefined): string | undefined {
  const path = r.string(entry, '/run/qplug/proxy.sock');
  const problem = path === undefined ? undefined : apiPathProblem(path);
  if (problem && entry) {
    r.report(entry.value, entry.path, problem);
    return undefined;
  }
  return path;
}

function readTimeouts(r: YamlReader, entry: Entry | undefined, allowed: ReadonlyArray<(typeof TIMEOUT_KEYS)[number]>, where: string): TimeoutsDraft | undefined {
  if (!entry) return undefined;
  const misplaced = Object.fromEntries(
    TIMEOUT_KEYS.filter((k) => !allowed.includes(k)).map((k) => [k, `timeout.${k} belongs in ${k === 'client' ? 'a frontend' : 'a backend'} or defaults, not in ${where}`]),
  );
  const m = r.map(entry.value ?? entry.key, entry.path, allowed, misplaced);
  if (!m) return undefined;
  const connect = m.get('connect');
  return definedOnly({
    connectMs: r.duration(connect, { positive: true }),
    clientMs: r.duration(m.get('client')),
    serverMs: r.duration(m.get('server')),
    queueMs: r.duration(m.get('queue')),
  });
}

function readDefaults(r: YamlReader, entry: Entry | undefined): DefaultsDraft | undefined {
  if (!entry) return undefined;
  const m = r.map(entry.value ?? entry.key, 'defaults', DEFAULTS_KEYS, {
    check: 'health checks are set per backend (backends.NAME.check)',
    servers: 'servers belong to a backend (backends.NAME.servers)',
  });
  if (!m) return undefined;
  return definedOnly({
    timeouts: readTimeouts(r, m.get('timeout'), TIMEOUT_KEYS, 'defaults'),
    splice: r.bool(m.get('splice')),
    maxconn: r.int(m.get('maxconn'), MAXCONN),
    backlog: r.int(m.get('backlog'), LIMITS.backlog),
    balance: r.oneOf(m.get('balance'), BALANCE_ALGORITHMS),
    retries: r.int(m.get('retries'), LIMITS.retries),
    redispatch: r.bool(m.get('redispatch')),
  });
}

function readFrontend(r: YamlReader, name: string, entry: Entry): Located<FrontendDraft> | undefined {
  const m = r.map(entry.value ?? entry.key, entry.path, FRONTEND_KEYS, {
    servers: 'servers belong to a backend: name it with backend:',
    address: 'a frontend listens on bind: host:port',
    listen: 'a frontend listens on bind: host:port',
  });
  if (!m) return undefined;
  const bindEntry = m.get('bind');
  const backendEntry = m.get('backend');
  if (!bindEntry) r.missing(entry.key, entry.path, 'bind', 'the address to listen on, e.g. bind: 127.0.0.1:8080');
  if (!backendEntry) r.missing(entry.key, entry.path, 'backend', 'the backend to send connections to, e.g. backend: app');
  const bind = address(r, bindEntry, true);
  const backend = r.string(backendEntry, 'app');
  const fields = {
    maxconn: r.int(m.get('maxconn'), MAXCONN),
    backlog: r.int(m.get('backlog'), LIMITS.backlog),
    splice: r.bool(m.get('splice')),
    timeouts: readTimeouts(r, m.get('timeout'), ['client'], 'a frontend'),
  };
  // A partial draft still serves the cross-checks; any problem fails the whole file.
  if (backend === undefined) return undefined;
  return { draft: { name, ...(bind ?? { host: '', port: 0 }), backend, ...definedOnly(fields) }, entry, nodes: m };
}

function readBackend(r: YamlReader, name: string, entry: Entry): Located<BackendDraft> | undefined {
  const m = r.map(entry.value ?? entry.key, entry.path, BACKEND_KEYS, {
    bind: 'a backend does not listen: bind belongs in a frontend',
    server: 'did you mean servers (a list)?',
    maxconn: 'limit connections per server (servers[].maxconn) or per frontend',
  });
  if (!m) return undefined;
  const serversEntry = m.get('servers');
  if (!serversEntry) r.missing(entry.key, entry.path, 'servers', 'list at least one: servers: [{ name: s1, address: 127.0.0.1:9000 }]');
  const check = readCheck(r, m.get('check'));
  const servers = serversEntry ? readServers(r, serversEntry) : undefined;
  const fields = {
    balance: r.oneOf(m.get('balance'), BALANCE_ALGORITHMS),
    splice: r.bool(m.get('splice')),
    retries: r.int(m.get('retries'), LIMITS.retries),
    redispatch: r.bool(m.get('redispatch')),
    timeouts: readTimeouts(r, m.get('timeout'), ['connect', 'server', 'queue'], 'a backend'),
    check,
  };
  return { draft: { name, servers: servers ?? [], ...definedOnly(fields) }, entry, nodes: m };
}

function readCheck(r: YamlReader, entry: Entry | undefined): BackendDraft['check'] {
  if (!entry) return undefined;
  if (entry.value && 'value' in entry.value && typeof entry.value.value === 'boolean') return entry.value.value;
  const m = r.map(entry.value ?? entry.key, entry.path, CHECK_KEYS);
  if (!m) return undefined;
  const check: Partial<HealthCheckConfig> = definedOnly({
    intervalMs: r.duration(m.get('interval'), { positive: true }),
    timeoutMs: r.duration(m.get('timeout'), { positive: true }),
    rise: r.int(m.get('rise'), LIMITS.riseFall),
    fall: r.int(m.get('fall'), LIMITS.riseFall),
  });
  return check;
}

function readServers(r: YamlReader, entry: Entry): ServerDraft[] | undefined {
  const items = r.seq(entry);
  if (!items) return undefined;
  if (items.length === 0) r.report(entry.value, entry.path, 'needs at least one server (e.g. - { name: s1, address: 127.0.0.1:9000 })');
  const servers: ServerDraft[] = [];
  const seen = new Map<string, YamlNode | null>();
  items.forEach((item, index) => {
    const path = `${entry.path}[${index}]`;
    const m = r.map(item, path, SERVER_KEYS, { host: 'write address: host:port', port: 'write address: host:port', splice: 'splice is set per backend or frontend' });
    if (!m) return;
    const nameEntry = m.get('name');
    const addressEntry = m.get('address');
    if (!nameEntry) r.missing(item, path, 'name', 'each server needs a name unique in its backend, e.g. name: s1');
    if (!addressEntry) r.missing(item, path, 'address', 'where the server listens, e.g. address: 127.0.0.1:9000');
    let name = r.string(nameEntry, 's1');
    if (name !== undefined && nameEntry) {
      if (!NAME.test(name)) {
        r.report(nameEntry.value, nameEntry.path, `invalid name '${name}' (${NAME_RULE})`);
        name = undefined;
      } else if (seen.has(name)) {
        r.report(nameEntry.value, nameEntry.path, `duplicate server name '${name}' (also on line ${r.lineOf(seen.get(name))}; names must be unique within a backend)`);
      } else seen.set(name, nameEntry.value);
    }
    const addr = address(r, addressEntry, false);
    const weight = r.int(m.get('weight'), LIMITS.weight);
    const maxconn = r.int(m.get('maxconn'), MAXCONN);
    const check = r.bool(m.get('check'));
    if (name !== undefined && addr) servers.push({ name, ...addr, ...definedOnly({ weight, maxconn, check }) });
  });
  return servers;
}

function address(r: YamlReader, entry: Entry | undefined, bind: boolean): { host: string; port: number } | undefined {
  if (!entry) return undefined;
  if (entry.value && 'items' in entry.value) {
    r.report(entry.value, entry.path, `expected host:port, got ${isSeq(entry.value) ? 'a list' : 'a map'} (quote IPv6 addresses: "[::1]:8080")`);
    return undefined;
  }
  const text = r.string(entry, bind ? '127.0.0.1:8080' : '127.0.0.1:9000');
  if (text === undefined) return undefined;
  const parsed = parseAddress(text, { bind });
  if (typeof parsed === 'string') {
    r.report(entry.value, entry.path, parsed);
    return undefined;
  }
  return parsed;
}

/** Frontends name existing backends; no two frontends bind the same fixed address. */
function checkReferences(r: YamlReader, frontends: Array<Located<FrontendDraft>>, backends: Array<Located<BackendDraft>>): void {
  const names = backends.map((b) => b.draft.name);
  const binds = new Map<string, Entry>();
  for (const f of frontends) {
    const backendEntry = f.nodes.get('backend');
    if (backendEntry && backends.length > 0 && !names.includes(f.draft.backend)) {
      const hint = didYouMean(f.draft.backend, names).replace('expected one of', 'defined');
      r.report(backendEntry.value, backendEntry.path, `no backend named '${f.draft.backend}' (${hint})`);
    }
    const bindEntry = f.nodes.get('bind');
    const key = `${f.draft.host}:${f.draft.port}`;
    if (f.draft.port === 0 || !bindEntry) continue;
    const other = binds.get(key);
    if (other) r.report(bindEntry.value, bindEntry.path, `${key} is already bound by ${other.path.replace(/\.bind$/, '')} (line ${r.lineOf(other.value)}; give each frontend its own port)`);
    else binds.set(key, bindEntry);
  }
}
