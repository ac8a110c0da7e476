/** Valid proxy configs normalise as docs/proxy.md says; both forms agree. */
import { describe, expect, it } from 'vitest';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadProxyConfig, parseProxyConfig } from '../../src/proxy/config.js';
import { proxyConfigFromOptions } from '../../src/proxy/configFromOptions.js';
import { BUILTIN_DEFAULTS } from '../../src/proxy/configSchema.js';
import { UsageError } from '../../src/errors.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

describe('proxy config: valid files', () => {
  it('examples/proxy.yaml normalises to ms, bytes and filled defaults', async () => {
    const config = await loadProxyConfig(join(root, 'examples', 'proxy.yaml'));
    expect(config.global).toEqual({ threads: 1, bufferSize: 65536, bufferPool: 64 * 1024 * 1024, poolBuffers: 1024, pipeSize: 1048576, maxIdlePipes: 1024, graceMs: 5000, reloadStrategy: 'handoff' });
    expect(config.frontends).toEqual([
      { name: 'web', host: '127.0.0.1', port: 8080, backend: 'app', maxconn: 2000, backlog: 1024, splice: true, clientTimeoutMs: 30_000 },
    ]);
    expect(config.backends).toEqual([
      {
        name: 'app',
        balance: 'roundrobin',
        splice: true,
        retries: 3,
        redispatch: true,
        connectTimeoutMs: 2000,
        serverTimeoutMs: 30_000,
        queueTimeoutMs: 5000,
        check: { intervalMs: 2000, timeoutMs: 1000, rise: 2, fall: 3 },
        servers: [
          { name: 's1', host: '127.0.0.1', port: 9000, weight: 1, maxconn: 0, check: true },
          { name: 's2', host: '127.0.0.1', port: 9001, weight: 1, maxconn: 0, check: false },
        ],
      },
    ]);
  });

  it('a minimal file takes every built-in default, and the result is frozen', () => {
    const config = parseProxyConfig('frontends:\n  web: { bind: ":0", backend: app }\nbackends:\n  app:\n    servers: [{ name: a, address: 127.0.0.1:9000 }]\n', 'min.yaml');
    expect(config.source).toBe('min.yaml');
    expect(config.global).toEqual({ ...BUILTIN_DEFAULTS.global, poolBuffers: 1024 });
    expect(config.frontends[0]).toEqual({ name: 'web', host: '0.0.0.0', port: 0, backend: 'app', maxconn: 10_000, backlog: 1024, splice: false, clientTimeoutMs: 30_000 });
    expect(config.backends[0]).toMatchObject({ balance: 'roundrobin', splice: false, retries: 3, redispatch: false, connectTimeoutMs: 5000, serverTimeoutMs: 30_000, queueTimeoutMs: 5000, check: null });
    expect(config.backends[0]!.servers[0]).toEqual({ name: 'a', host: '127.0.0.1', port: 9000, weight: 1, maxconn: 0, check: false });
    expect(Object.isFrozen(config.backends[0]!.servers[0])).toBe(true);
    expect(Object.isFrozen(config.frontends)).toBe(true);
  });

  it('defaults: are inherited, and a frontend/backend value overrides them', () => {
    const config = parseProxyConfig(
      [
        'global: { buffer_size: 16k, buffer_pool: 1m, grace: 250ms, pipe_size: 1m, threads: 2 }',
        'defaults:',
        '  timeout: { connect: 1s, client: 2s, server: 3s, queue: 4s }',
        '  splice: true',
        '  maxconn: 7',
        '  balance: leastconn',
        '  retries: 0',
        '  redispatch: true',
        'frontends:',
        '  a: { bind: 127.0.0.1:1000, backend: x }',
        '  b: { bind: "[::1]:1001", backend: y, splice: false, maxconn: 0, timeout: { client: 0 } }',
        'backends:',
        '  x: { servers: [{ name: s, address: 127.0.0.1:1 }] }',
        '  y:',
        '    balance: roundrobin',
        '    timeout: { server: 90s }',
        '    check: true',
        '    servers: [{ name: s, address: "[::1]:2", weight: 0, maxconn: 5 }]',
      ].join('\n'),
      'd.yaml',
    );
    expect(config.global).toMatchObject({ threads: 2, bufferSize: 16384, bufferPool: 1048576, poolBuffers: 64, pipeSize: 1048576, graceMs: 250 });
    expect(config.frontends.map((f) => [f.name, f.host, f.splice, f.maxconn, f.clientTimeoutMs])).toEqual([
      ['a', '127.0.0.1', true, 7, 2000],
      ['b', '::1', false, 0, 0],
    ]);
    expect(config.backends[0]).toMatchObject({ balance: 'leastconn', splice: true, retries: 0, redispatch: true, connectTimeoutMs: 1000, serverTimeoutMs: 3000, queueTimeoutMs: 4000 });
    expect(config.backends[1]).toMatchObject({ balance: 'roundrobin', serverTimeoutMs: 90_000, check: BUILTIN_DEFAULTS.check });
    expect(config.backends[1]!.servers[0]).toEqual({ name: 's', host: '::1', port: 2, weight: 0, maxconn: 5, check: true });
  });

  it('YAML anchors work for shared server lists; durations as numbers are seconds, sizes as numbers bytes', () => {
    const config = parseProxyConfig(
      'global: { grace: 2, buffer_size: 4096 }\nfrontends:\n  a: { bind: 127.0.0.1:0, backend: one }\nbackends:\n  one: { servers: &s [{ name: s1, address: 127.0.0.1:9 }] }\n  two: { servers: *s }\n',
    );
    expect(config.global.graceMs).toBe(2000);
    expect(config.global.bufferSize).toBe(4096);
    expect(config.backends[1]!.servers).toEqual(config.backends[0]!.servers);
  });
});

describe('proxy config: the one-line form', () => {
  it('builds the same config as the equivalent file', () => {
    const fromFlags = proxyConfigFromOptions({
      listen: '127.0.0.1:8080',
      backends: ['127.0.0.1:9000', '[::1]:9001'],
      splice: true,
      maxconn: 50,
      threads: 2,
      balance: 'leastconn',
      bufferSize: '16k',
      bufferPool: '1m',
      grace: '1s',
    });
    const fromFile = parseProxyConfig(
      [
        'global: { threads: 2, buffer_size: 16k, buffer_pool: 1m, grace: 1s }',
        'frontends:',
        '  main: { bind: 127.0.0.1:8080, backend: main, splice: true, maxconn: 50 }',
        'backends:',
        '  main:',
        '    splice: true',
        '    balance: leastconn',
        '    servers:',
        '      - { name: s1, address: 127.0.0.1:9000 }',
        '      - { name: s2, address: "[::1]:9001" }',
      ].join('\n'),
      'same.yaml',
    );
    expect(fromFlags.source).toBe('<command line>');
    expect({ ...fromFlags, source: '' }).toEqual({ ...fromFile, source: '' });
  });

  it('flag mistakes are UsageErrors naming the flag', () => {
    const bad = (options: Parameters<typeof proxyConfigFromOptions>[0]) => () => proxyConfigFromOptions(options);
    expect(bad({ listen: 'localhost:80', backends: ['127.0.0.1:1'] })).toThrow(/--listen 'localhost' is not an IP address.*use 127\.0\.0\.1/);
    expect(bad({ listen: '127.0.0.1:80', backends: ['127.0.0.1:0'] })).toThrow(/--backend port 0 is out of range \(use 1\.\.65535\)/);
    expect(bad({ listen: '127.0.0.1:80', backends: [] })).toThrow(UsageError);
    expect(bad({ listen: '127.0.0.1:80', backends: ['127.0.0.1:1'], threads: 0 })).toThrow(/--threads 0 is not a whole number from 1 to 256/);
    expect(bad({ listen: '127.0.0.1:80', backends: ['127.0.0.1:1'], bufferSize: '64k', bufferPool: '16k' })).toThrow(/--buffer-pool or lower --buffer-size/);
    expect(bad({ listen: '::1:80', backends: ['127.0.0.1:1'] })).toThrow(/IPv6 without brackets/);
  });
});
