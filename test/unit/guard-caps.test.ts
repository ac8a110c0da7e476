import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultRouteDevices } from '../../src/plug/guard.js';
import { hasCapNetAdmin } from '../../src/plug/caps.js';

describe('default-route guard', () => {
  let dir: string;
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'qplug-route-')); });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('finds the IPv4 and IPv6 default-route devices, not others', () => {
    writeFileSync(join(dir, 'route'), [
      'Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT',
      'eth0\t00000000\t0100A8C0\t0003\t0\t0\t0\t00000000\t0\t0\t0',
      'eth1\t0000A8C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0',
      '',
    ].join('\n'));
    writeFileSync(join(dir, 'ipv6_route'), [
      '00000000000000000000000000000000 00 00000000000000000000000000000000 00 fe800000000000000000000000000001 00000400 00000001 00000000 00000003     wlan0',
      '00000000000000000000000000000000 00 00000000000000000000000000000000 00 00000000000000000000000000000000 ffffffff 00000001 00000000 00200200       lo',
      'fe800000000000000000000000000000 40 00000000000000000000000000000000 00 00000000000000000000000000000000 00000100 00000001 00000000 00000001     eth1',
    ].join('\n'));
    expect([...defaultRouteDevices(dir)].sort()).toEqual(['eth0', 'wlan0']);
  });
  it('copes with missing files', () => {
    expect(defaultRouteDevices(join(dir, 'nope')).size).toBe(0);
  });
});

describe('CAP_NET_ADMIN detection', () => {
  it('reads bit 12 of CapEff', () => {
    expect(hasCapNetAdmin('Name:\tx\nCapEff:\t000001ffffffffff\n')).toBe(true);
    expect(hasCapNetAdmin('CapEff:\t0000000000001000\n')).toBe(true);
    expect(hasCapNetAdmin('CapEff:\t0000000000000fff\n')).toBe(false);
    expect(hasCapNetAdmin('nothing here')).toBe(false);
  });
});
