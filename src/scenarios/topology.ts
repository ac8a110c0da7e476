/** topology: -> hosts and links, checked: link ends on known hosts, no device or address twice. */
import type { Checked } from './check.js';
import type { PlanContext } from './context.js';
import type { HostPlan, LinkEnd, LinkPlan, TopologyPlan } from './planTypes.js';

export const DEFAULT_HOST = 'main';
const LOOPBACK = '127.0.0.1/8';

export function planTopology(draft: Checked | undefined, ctx: PlanContext): TopologyPlan {
  const path = ['topology'];
  const hostDrafts = new Map<string, Checked>();
  if (draft === undefined) hostDrafts.set(DEFAULT_HOST, {});
  else if (Array.isArray(draft.hosts)) {
    draft.hosts.forEach((name, i) => {
      if (typeof name !== 'string') return;
      if (hostDrafts.has(name)) ctx.report([...path, 'hosts', i], `host '${name}' is listed twice`);
      hostDrafts.set(name, {});
    });
  } else if (draft.hosts && typeof draft.hosts === 'object') {
    for (const [name, host] of Object.entries(draft.hosts as Record<string, Checked | undefined>)) hostDrafts.set(name, host ?? {});
  }
  for (const name of hostDrafts.keys()) {
    ctx.hosts.push(name);
    ctx.devices.set(name, ['lo']);
    ctx.addresses.set(name, { lo: LOOPBACK });
  }

  const links: LinkPlan[] = [];
  const seenAddresses = new Map<string, string>();
  const linkDrafts = (draft?.links as Array<Checked | undefined> | undefined) ?? [];
  linkDrafts.forEach((link, i) => {
    if (!link) return;
    const end = (side: 'a' | 'b'): LinkEnd | undefined => {
      const e = link[side] as Checked | undefined;
      const at = [...path, 'links', i, side];
      if (!e || typeof e.host !== 'string' || typeof e.dev !== 'string') return undefined;
      const host = ctx.host(e.host, [...at, 'host']);
      if (!host) return undefined;
      const devices = ctx.devices.get(host) ?? [];
      if (devices.includes(e.dev)) {
        ctx.report([...at, 'dev'], `host '${host}' already has a device '${e.dev}'${e.dev === 'lo' ? ' (the loopback)' : ''}: name this end differently`);
        return undefined;
      }
      devices.push(e.dev);
      const address = typeof e.address === 'string' ? e.address : null;
      if (address !== null) {
        const ip = address.split('/')[0]!;
        const other = seenAddresses.get(ip);
        if (other) ctx.report([...at, 'address'], `address ${ip} is already used by ${other}`);
        seenAddresses.set(ip, `${host}/${e.dev}`);
        ctx.addresses.get(host)![e.dev] = address;
      }
      return { host, dev: e.dev, address };
    };
    const a = end('a');
    const b = end('b');
    if (a && b) links.push({ a, b, mtu: typeof link.mtu === 'number' ? link.mtu : null });
  });

  const hosts: HostPlan[] = [...hostDrafts].map(([name, host]) => ({
    name,
    devices: ctx.devices.get(name) ?? ['lo'],
    addresses: ctx.addresses.get(name) ?? {},
    sysctl: Object.fromEntries(Object.entries((host.sysctl as Record<string, unknown> | undefined) ?? {}).map(([k, v]) => [k, String(v)])),
  }));
  return { hosts, links };
}

/** The address other hosts reach `host` at: its first link address, or undefined. */
export function hostAddress(ctx: PlanContext, host: string): string | undefined {
  const addresses = Object.entries(ctx.addresses.get(host) ?? {}).filter(([dev]) => dev !== 'lo');
  return addresses[0]?.[1].split('/')[0];
}
