/**
 * The qplug CLI end to end against a real sch_plug (kernel tier: inside the lab).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { EchoClient, qplugBin, sleep, tcShow, Topology, waitFor } from './helpers.js';

const topo = new Topology();
let client: EchoClient;

function qplug(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [qplugBin, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

interface StatusJson {
  dev: string; netns: string | null; handle: string; parent: string; state: string; limit: number | null;
  backlog: { packets: number; bytes: number }; sent: { packets: number; bytes: number }; drops: number;
}

beforeAll(async () => {
  client = await topo.upWithClient();
});

afterAll(() => topo.down());

describe('qplug CLI (real sch_plug)', () => {
  it('attach, plug, status, release, status, detach', async () => {
    const before = tcShow('v0');
    const attach = qplug('attach', 'v0', '--limit', '1m');
    expect(attach.stderr).toBe('');
    expect(attach.code).toBe(0);
    expect(attach.stdout).toMatch(/attached plug [0-9a-f]+: on v0 \(limit 1MiB\)/);

    expect(qplug('plug', 'v0').code).toBe(0);
    const start = client.received.length;
    const seqs = await client.send(8);
    await sleep(500);
    expect(client.received.length - start).toBe(0);

    const held = qplug('status', 'v0', '--json');
    expect(held.code).toBe(0);
    const [s1] = JSON.parse(held.stdout) as StatusJson[];
    expect(s1).toMatchObject({ dev: 'v0', netns: null, parent: 'root', state: 'buffering', limit: 1048576 });
    expect(s1!.backlog.packets).toBeGreaterThanOrEqual(8);
    expect(s1!.backlog.bytes).toBeGreaterThan(0);
    expect(typeof s1!.drops).toBe('number');

    const release = qplug('release', 'v0');
    expect(release.code).toBe(0);
    await waitFor('released datagrams', () => seqs.every((s) => client.received.includes(s)));
    const [s2] = JSON.parse(qplug('status', 'v0', '--json').stdout) as StatusJson[];
    expect(s2!.state).toBe('pass-through');
    expect(s2!.backlog.packets).toBe(0);
    expect(s2!.sent.packets).toBeGreaterThan(s1!.sent.packets);
    expect(s2!.sent.bytes).toBeGreaterThan(s1!.sent.bytes);

    const human = qplug('status');
    expect(human.stdout).toMatch(/v0 plug [0-9a-f]+: parent root: pass-through/);

    expect(qplug('detach', 'v0').code).toBe(0);
    expect(tcShow('v0')).toBe(before);
  });

  it('release --one delivers what is held and keeps holding', async () => {
    expect(qplug('attach', 'v0').code).toBe(0);
    expect(qplug('plug', 'v0').code).toBe(0);
    const start = client.received.length;
    const first = await client.send(4);
    expect(qplug('release', 'v0', '--one').code).toBe(0);
    await waitFor('first batch', () => first.every((s) => client.received.includes(s)));
    const second = await client.send(4);
    await sleep(800);
    expect(client.received.slice(start)).toEqual(first);
    const [s] = JSON.parse(qplug('status', 'v0', '--json').stdout) as StatusJson[];
    expect(s!.state).toBe('buffering');
    expect(qplug('detach', 'v0').code).toBe(0);
    await waitFor('second batch after detach', () => second.every((x) => client.received.includes(x)));
  });

  it('--netns by name, and errors are one line with a code and no stack', async () => {
    expect(qplug('attach', 'v1', '--netns', topo.ns).code).toBe(0);
    const listed = JSON.parse(qplug('status', '--netns', topo.ns, '--json').stdout) as StatusJson[];
    expect(listed.map((s) => [s.dev, s.netns])).toEqual([['v1', topo.ns]]);
    expect(qplug('detach', 'v1', '--netns', topo.ns).code).toBe(0);

    const missing = qplug('plug', 'nosuchdev0');
    expect(missing.code).toBe(4);
    expect(missing.stderr.trim().split('\n')).toHaveLength(1);
    expect(missing.stderr).toMatch(/E_NO_DEVICE/);
    expect(missing.stderr).not.toMatch(/at .*\.js:\d+/);

    const notAttached = qplug('release', 'v0', '--json');
    expect(notAttached.code).toBe(4);
    expect(JSON.parse(notAttached.stdout).error.code).toBe('E_NOT_ATTACHED');

    const debug = qplug('plug', 'nosuchdev0', '--debug');
    expect(debug.stderr).toMatch(/at .*\.js:\d+/);
  });
});
