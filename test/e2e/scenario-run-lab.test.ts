/**
 * A scenario with plug steps on a host that cannot plug (this one: no
 * sch_plug) runs inside the kernel lab transparently: same output, same exit
 * code. One VM boot: plug, release_one, release and pulse run for real, and an
 * expectation fails on purpose, so exit 1 has to come back through the lab. Where the host has sch_plug, --vm forces the lab.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { canRun, removeWork, qplug, root, scenarioFile, TWO_HOSTS, work, type SummaryJson } from './scenario-run-helpers.js';

const built = existsSync(join(root, 'dist', 'scenarios', 'run', 'runner.js'));
const lab = spawnSync(process.execPath, [join(root, 'bin', 'qplug.js'), 'lab', 'status', '--json'], { encoding: 'utf8' });
const labReady = lab.status === 0 && /"built":\s*true/.test(lab.stdout);
const hostHasPlug = spawnSync('unshare', ['-rn', 'tc', 'qdisc', 'add', 'dev', 'lo', 'root', 'plug'], { encoding: 'utf8' }).status === 0;

const plugged = scenarioFile('plugged', `
name: plugged
duration: 3s
${TWO_HOSTS}
services:
  web: { type: echo, host: server, port: 8080 }
load:
  conns: { type: tcp_connect, from: client, to: server:8080, rate: 10, timeout: 5s }
timeline:
  - { at: 500ms, type: plug, host: client, dev: c0, match: tcp dport 8080 syn }
  - { at: 1000ms, type: release_one, host: client, dev: c0 }
  - { at: 1500ms, type: release, host: client, dev: c0 }
  - { at: 2000ms, type: pulse, host: client, dev: c0, hold: 300ms, match: tcp dport 8080 syn }
expect:
  - conns.timeout == 0
  - { that: conns.ok == 0, because: "fails on purpose: exit 1 must come back from the VM" }
`);

afterAll(removeWork);

describe.skipIf(!canRun || !built || !labReady)('scenario with plug steps in the lab (skipped: needs root, a built tree and `qplug lab build`)', () => {
  it(`${hostHasPlug ? '--vm' : 'no sch_plug here'}: runs in the lab; --json says so; exit 1 comes back; --report draws the lab's events`, () => {
    const report = join(work, 'lab-report.html');
    const r = qplug(['scenario', plugged, '--json', '--report', report, ...(hostHasPlug ? ['--vm'] : [])], 600_000);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(1);
    const s = JSON.parse(r.stdout) as SummaryJson;
    expect(s).toMatchObject({ scenario: 'plugged', seed: 1, exit_code: 1, where: 'lab' });
    const [v] = s.variants;
    expect(v!.results[0]!.error).toBeNull();
    expect(v!.outcomes.timeout).toBe(0);
    expect(v!.outcomes.ok).toBe(30);
    expect(v!.results[0]!.expectations.map((e) => [e.that, e.held])).toEqual([['conns.timeout == 0', true], ['conns.ok == 0', false]]);
    // The events came back from the VM: the plug, the pulse and the release_one are on the timeline.
    const html = readFileSync(report, 'utf8');
    expect(html).toContain('ran in the kernel lab');
    expect(html).toMatch(/<p class="run">run 1 \(seed 1, run id [0-9a-f]{8}\): reproduced/);
    expect(html.match(/class="plug-band"/g)).toHaveLength(2);
    expect(html.match(/class="release-one"/g)).toHaveLength(1);
    expect(html).toContain('plug client/c0');
  }, 600_000);
});
