/** Every kind of config mistake gives `file:line:col: path: what (what to do)`; all are reported at once. */
import { describe, expect, it } from 'vitest';
import { loadProxyConfig, parseProxyConfig } from '../../src/proxy/config.js';
import { ConfigError, ExitCode } from '../../src/errors.js';
import { didYouMean, levenshtein } from '../../src/proxy/yamlReader.js';

const VALID_BACKENDS = 'backends:\n  app:\n    servers: [{ name: s1, address: 127.0.0.1:9000 }]\n';
const VALID_FRONTENDS = 'frontends:\n  web: { bind: 127.0.0.1:8080, backend: app }\n';

function problems(text: string, file = 'p.yaml'): string[] {
  try {
    parseProxyConfig(text, file);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  throw new Error('expected a ConfigError');
}

describe('proxy config: located problems', () => {
  it('unknown keys, with a did-you-mean', () => {
    expect(problems(`global:\n  thread: 2\n${VALID_FRONTENDS}${VALID_BACKENDS}`)).toEqual([
      "p.yaml:2:3: global.thread: unknown key 'thread' (did you mean 'threads'?)",
    ]);
    expect(problems(`frontends:\n  web:\n    bind: 127.0.0.1:8080\n    bakend: app\n${VALID_BACKENDS}`)).toEqual([
      "p.yaml:2:3: frontends.web: missing 'backend' (the backend to send connections to, e.g. backend: app)",
      "p.yaml:4:5: frontends.web.bakend: unknown key 'bakend' (did you mean 'backend'?)",
    ]);
    expect(problems(`frontend:\n  web: {}\n${VALID_BACKENDS}`)).toEqual([
      "p.yaml:1:1: frontend: unknown key 'frontend' (did you mean 'frontends'?)",
      "p.yaml:1:1: (document): missing 'frontends' (add a frontends: section with at least one entry such as web:, see examples/proxy.yaml)",
    ]);
    // Far from every known key: the list instead.
    expect(problems(`zzz: 1\n${VALID_FRONTENDS}${VALID_BACKENDS}`)).toEqual([
      "p.yaml:1:1: zzz: unknown key 'zzz' (expected one of: global, defaults, frontends, backends)",
    ]);
  });

  it('a key in the wrong place says where it belongs', () => {
    expect(problems(`frontends:\n  web: { bind: 127.0.0.1:8080, backend: app, timeout: { connect: 1s } }\n${VALID_BACKENDS}`)).toEqual([
      "p.yaml:2:57: frontends.web.timeout.connect: unknown key 'connect' (timeout.connect belongs in a backend or defaults, not in a frontend)",
    ]);
  });

  it('wrong types', () => {
    expect(
      problems(`global: { threads: two, grace: [1] }\nfrontends:\n  web: { bind: 127.0.0.1:8080, backend: app, splice: yes please, maxconn: 1.5 }\n${VALID_BACKENDS}`),
    ).toEqual([
      "p.yaml:1:20: global.threads: expected a whole number from 1 to 256, got the string 'two'",
      'p.yaml:1:32: global.grace: expected a duration, got a list (e.g. 250ms, 2s, 1m)',
      "p.yaml:3:54: frontends.web.splice: expected true or false, got the string 'yes please'",
      'p.yaml:3:75: frontends.web.maxconn: expected a whole number from 0 to 10000000, got 1.5',
    ]);
    expect(problems(`frontends: [web]\n${VALID_BACKENDS}`)).toEqual([
      'p.yaml:1:12: frontends: expected a map, got a list (a name, a colon, then its keys on the lines below)',
    ]);
  });

  it('bad durations and sizes reuse the units parser messages', () => {
    expect(
      problems(`global: { buffer_size: 64q, buffer_pool: 1k, grace: soon }\nfrontends:\n  web: { bind: 127.0.0.1:8080, backend: app }\nbackends:\n  app:\n    timeout: { connect: 0s }\n    check: { interval: 5x }\n    servers: [{ name: s1, address: 127.0.0.1:9000 }]\n`),
    ).toEqual([
      "p.yaml:1:24: global.buffer_size: invalid size '64q': expected bytes with an optional unit k, m or g (binary), e.g. 64k",
      "p.yaml:1:53: global.grace: invalid duration 'soon': expected e.g. 250ms, 2s, 1.5m or 1h",
      'p.yaml:6:25: backends.app.timeout.connect: must be more than 0 (e.g. 2s)',
      "p.yaml:7:24: backends.app.check.interval: invalid duration '5x': expected e.g. 250ms, 2s, 1.5m or 1h",
    ]);
    expect(problems(`global: { buffer_size: 64k, buffer_pool: 16k }\n${VALID_FRONTENDS}${VALID_BACKENDS}`)).toEqual([
      'p.yaml:1:42: global.buffer_pool: the buffer pool (16384 bytes) is smaller than one buffer (65536 bytes): raise buffer_pool or lower buffer_size',
    ]);
    expect(problems(`global: { buffer_size: 100 }\n${VALID_FRONTENDS}${VALID_BACKENDS}`)).toEqual([
      'p.yaml:1:24: global.buffer_size: 100 bytes is out of range (use 1024 to 16777216 bytes)',
    ]);
  });

  it('a frontend naming an unknown backend', () => {
    expect(problems(`frontends:\n  web: { bind: 127.0.0.1:8080, backend: ap }\n${VALID_BACKENDS}`)).toEqual([
      "p.yaml:2:41: frontends.web.backend: no backend named 'ap' (did you mean 'app'?)",
    ]);
    expect(problems(`frontends:\n  web: { bind: 127.0.0.1:8080, backend: zzzzzz }\n${VALID_BACKENDS}`)).toEqual([
      "p.yaml:2:41: frontends.web.backend: no backend named 'zzzzzz' (defined: app)",
    ]);
  });

  it('duplicate server names, and two frontends on one address', () => {
    const text = `frontends:\n  a: { bind: 127.0.0.1:8080, backend: app }\n  b: { bind: 127.0.0.1:8080, backend: app }\nbackends:\n  app:\n    servers:\n      - { name: s1, address: 127.0.0.1:9000 }\n      - { name: s1, address: 127.0.0.1:9001 }\n`;
    expect(problems(text)).toEqual([
      'p.yaml:3:14: frontends.b.bind: 127.0.0.1:8080 is already bound by frontends.a (line 2; give each frontend its own port)',
      "p.yaml:8:17: backends.app.servers[1].name: duplicate server name 's1' (also on line 7; names must be unique within a backend)",
    ]);
  });

  it('ports 1..65535 for servers; 0 (ephemeral) allowed only for bind; IP literals only', () => {
    const text = `frontends:\n  web: { bind: 127.0.0.1:70000, backend: app }\nbackends:\n  app:\n    servers:\n      - { name: s1, address: 127.0.0.1:0 }\n      - { name: s2, address: localhost:80 }\n      - { name: s3, address: 9000 }\n      - { name: s4, address: "::1:80" }\n`;
    expect(problems(text)).toEqual([
      'p.yaml:2:16: frontends.web.bind: port 70000 is out of range (use 0..65535; 0 picks a free port)',
      'p.yaml:6:30: backends.app.servers[0].address: port 0 is out of range (use 1..65535)',
      "p.yaml:7:30: backends.app.servers[1].address: 'localhost' is not an IP address (write an IPv4 or [IPv6] literal; the proxy does not resolve names: use 127.0.0.1)",
      'p.yaml:8:30: backends.app.servers[2].address: expected a string, got the number 9000 (e.g. 127.0.0.1:9000)',
      "p.yaml:9:30: backends.app.servers[3].address: '::1:80' looks like IPv6 without brackets (write [v6]:port, e.g. \"[::1]:8080\", quoted in YAML)",
    ]);
  });

  it('at least one frontend and one backend; backends need servers', () => {
    expect(problems('frontends: {}\nbackends: {}\n')).toEqual([
      'p.yaml:1:1: frontends: needs at least one entry (add e.g. web: under it)',
      'p.yaml:2:1: backends: needs at least one entry (add e.g. app: under it)',
    ]);
    expect(problems('# only a comment\n')).toEqual(['p.yaml:1:1: (document): the file is empty (write a frontends: and a backends: section, see examples/proxy.yaml)']);
    expect(problems(`${VALID_FRONTENDS}backends:\n  app: { balance: random, servers: [] }\n`)).toEqual([
      "p.yaml:4:19: backends.app.balance: expected one of roundrobin, leastconn, got the string 'random'",
      'p.yaml:4:36: backends.app.servers: needs at least one server (e.g. - { name: s1, address: 127.0.0.1:9000 })',
    ]);
  });

  it('YAML syntax errors are located; an unquoted IPv6 address gets a hint', () => {
    const list = problems(`frontends:\n  web: { bind: [::1]:8080, backend: app }\n${VALID_BACKENDS}`);
    expect(list).toHaveLength(1);
    expect(list[0]).toMatch(/^p\.yaml:2:\d+: \(document\): YAML syntax: .*quote values such as "\[::1\]:8080"/);
    expect(problems(`frontends:\n  web: { bind: 127.0.0.1:1, backend: app }\n  web: {}\n${VALID_BACKENDS}`)[0]).toMatch(/^p\.yaml:3:3: \(document\): YAML syntax: Map keys must be unique/);
  });

  it('reports every problem at once, in file order, as one ConfigError (exit 2)', () => {
    const text = [
      'global:',
      '  threads: 0',
      '  grace: later',
      'frontends:',
      '  web:',
      '    bind: 127.0.0.1:8080',
      '    backend: nope',
      '    maxconns: 5',
      'backends:',
      '  app:',
      '    check: { rise: 0, fall: 3, interval: 1s }',
      '    servers:',
      '      - { name: s1, address: 127.0.0.1:9000, weigth: 2 }',
      '      - { address: 127.0.0.1:9001 }',
    ].join('\n');
    let error: ConfigError | undefined;
    try {
      parseProxyConfig(text, 'many.yaml');
    } catch (e) {
      error = e as ConfigError;
    }
    expect(error?.code).toBe('E_CONFIG');
    expect(error?.exitCode).toBe(ExitCode.usage);
    expect(error?.problems).toEqual([
      'many.yaml:2:12: global.threads: expected a whole number from 1 to 256, got 0',
      "many.yaml:3:10: global.grace: invalid duration 'later': expected e.g. 250ms, 2s, 1.5m or 1h",
      "many.yaml:7:14: frontends.web.backend: no backend named 'nope' (defined: app)",
      "many.yaml:8:5: frontends.web.maxconns: unknown key 'maxconns' (did you mean 'maxconn'?)",
      'many.yaml:11:20: backends.app.check.rise: expected a whole number from 1 to 1000, got 0',
      "many.yaml:13:46: backends.app.servers[0].weigth: unknown key 'weigth' (did you mean 'weight'?)",
      "many.yaml:14:9: backends.app.servers[1]: missing 'name' (each server needs a name unique in its backend, e.g. name: s1)",
    ]);
    expect(error?.message).toBe('many.yaml:2:12: global.threads: expected a whole number from 1 to 256, got 0 (and 6 more problems)');
  });

  it('a missing file is one E_CONFIG line naming it', async () => {
    await expect(loadProxyConfig('/nonexistent/proxy.yaml')).rejects.toMatchObject({
      code: 'E_CONFIG',
      problems: ['/nonexistent/proxy.yaml: no such file (check the path given to -c)'],
    });
  });
});

describe('did-you-mean', () => {
  it('levenshtein distance', () => {
    expect(levenshtein('kitten', 'sitting')).toBe(3);
    expect(levenshtein('', 'abc')).toBe(3);
    expect(levenshtein('same', 'same')).toBe(0);
  });

  it('suggests the closest word, treating - as _ and ignoring case', () => {
    expect(didYouMean('buffer-size', ['buffer_size', 'buffer_pool'])).toBe("did you mean 'buffer_size'?");
    expect(didYouMean('Backend', ['backend', 'bind'])).toBe("did you mean 'backend'?");
    expect(didYouMean('qqqqqq', ['backend', 'bind'])).toBe('expected one of: backend, bind');
  });
});
