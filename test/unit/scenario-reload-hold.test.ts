/** A reload step's `hold`: Yelp's plug-reload-release as one step (plan and validation). */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { parseScenario } from '../../src/scenarios/load.js';
import { usesPlug } from '../../src/scenarios/run/lab.js';
import { scenarioProblems } from '../helpers/scenario.js';

const base = (timeline: string) => `
name: t
duration: 1s
topology:
  hosts: { client: {}, server: {} }
  links: [{ a: { host: client, dev: c0, address: 10.1.0.1/24 }, b: { host: server, dev: s0, address: 10.1.0.2/24 } }]
services:
  lb: { type: proxy, host: server, config: { frontends: { m: { bind: "0.0.0.0:8080", backend: s } }, backends: { s: { servers: [{ name: s1, address: "127.0.0.1:9" }] } } } }
  app: { type: echo, host: server, port: 9 }
timeline:
${timeline}`;

describe('reload step: hold', () => {
  it('plans host, dev, the normalised match and the dead-man default', () => {
    const plan = parseScenario(base('  - { at: 400ms, type: reload, service: lb, hold: { host: client, dev: c0, match: "tcp  dport 8080  syn" } }'));
    expect(plan.variants[0]!.timeline[0]).toMatchObject({
      type: 'reload',
      service: 'lb',
      method: { kind: 'proxy', strategy: 'handoff' },
      hold: { host: 'client', dev: 'c0', match: 'tcp dport 8080 syn', maxHoldMs: 60_000 },
      trigger: { kind: 'at', atMs: 400 },
    });
  });

  it('without hold the reload holds nothing', () => {
    const plan = parseScenario(base('  - { at: 1s, type: reload, service: app, signal: HUP }'));
    expect(plan.variants[0]!.timeline[0]).toMatchObject({ type: 'reload', hold: null });
  });

  it('reports a wrong host, device, match or a missing dev at the hold field', () => {
    const problems = scenarioProblems(base(`  - { at: 1ms, type: reload, service: lb, hold: { host: client, dev: zz0, match: "tcp dport 80 sin" } }
  - { at: 2ms, type: reload, service: lb, hold: { host: nobody, dev: c0 } }
  - { at: 3ms, type: reload, service: lb, hold: { host: client } }
  - { at: 4ms, type: reload, service: lb, hold: { host: client, dev: c0, max_hold: 0s } }`));
    expect(problems).toHaveLength(5);
    expect(problems[0]).toMatch(/^t\.yaml:\d+:\d+: timeline\[0\]\.hold\.dev: host 'client' has no device 'zz0' \(did you mean 'c0'\?\)/);
    expect(problems[1]).toMatch(/timeline\[0\]\.hold\.match: invalid match: unknown word 'sin'/);
    expect(problems[2]).toMatch(/timeline\[1\]\.hold\.host: unknown host 'nobody'/);
    expect(problems[3]).toMatch(/timeline\[2\]\.hold\.dev: missing required key 'dev'/);
    expect(problems[4]).toMatch(/timeline\[3\]\.hold\.max_hold: /);
  });

  it("reload-race's syn-plug variant is one reload step that holds the client's new handshakes", () => {
    const file = new URL('../../scenarios/reload-race.yaml', import.meta.url).pathname;
    const plan = parseScenario(readFileSync(file, 'utf8'), { file });
    const fix = plan.variants.find((v) => v.variant === 'syn-plug')!;
    expect(fix.role).toBe('fix');
    expect(fix.timeline).toHaveLength(1);
    expect(fix.timeline[0]).toMatchObject({ type: 'reload', service: 'lb', hold: { host: 'client', dev: 'c0', match: 'tcp dport 8080 syn' } });
    // A hold plugs: run alone, the variant still goes to the lab where the kernel has no sch_plug.
    expect(usesPlug([fix])).toBe(true);
    expect(usesPlug([{ ...fix, timeline: [{ ...fix.timeline[0]!, hold: null } as never] }])).toBe(false);
  });
});
