/**
 * A run's hosts: one fresh network namespace per host (qps-<runid>-<host>),
 * loopback up, veth pairs made directly inside their namespaces (so no device
 * of this machine is ever named or touched), addresses, static neighbours and
 * sysctls. A handful of `ip` processes in all: under the lab's emulated CPU
 * each costs a few hundred ms.
 */
import { createHash } from 'node:crypto';
import type { TopologyPlan } from '../planTypes.js';
import { mustRun } from './proc.js';
import { namespaceName } from './record.js';

export interface RunTopology {
  /** host name -> namespace name. */
  readonly namespaces: ReadonlyMap<string, string>;
}

export function plannedNamespaces(topology: TopologyPlan, runId: string): Map<string, string> {
  return new Map(topology.hosts.map((h) => [h.name, namespaceName(runId, h.name)]));
}

/** A locally administered MAC, stable for (run, host, dev): static neighbour entries can name it up front. */
function macFor(runId: string, host: string, dev: string): string {
  const h = createHash('sha256').update(`${runId}/${host}/${dev}`).digest();
  const bytes = [0x02, h[0] ?? 0, h[1] ?? 0, h[2] ?? 0, h[3] ?? 0, h[4] ?? 0];
  return bytes.map((b) => b.toString(16).padStart(2, '0')).join(':');
}

const bare = (cidr: string) => cidr.split('/')[0] ?? cidr;

/**
 * Create everything. The caller has already recorded the namespace names, so
 * a failure half-way is cleaned up by its teardown (or the next run).
 */
export async function createTopology(topology: TopologyPlan, runId: string): Promise<RunTopology> {
  const namespaces = plannedNamespaces(topology, runId);
  const ns = (host: string) => namespaces.get(host) ?? namespaceName(runId, host);
  const root: string[] = [...namespaces.values()].map((n) => `netns add ${n}`);
  for (const link of topology.links) {
    const { a, b } = link;
    const mtu = link.mtu === null ? '' : ` mtu ${link.mtu}`;
    root.push(
      `link add ${a.dev} address ${macFor(runId, a.host, a.dev)}${mtu} netns ${ns(a.host)} type veth peer name ${b.dev} address ${macFor(runId, b.host, b.dev)}${mtu} netns ${ns(b.host)}`,
    );
  }
  await mustRun(['ip', '-batch', '-'], { input: `${root.join('\n')}\n` });

  for (const host of topology.hosts) {
    const lines = ['link set lo up'];
    const sysctl: string[] = [];
    for (const link of topology.links) {
      for (const [self, peer] of [[link.a, link.b], [link.b, link.a]] as const) {
        if (self.host !== host.name) continue;
        // Scenario addresses are IPv4; IPv6 chatter would only land in plugs.
        sysctl.push(`net.ipv6.conf.${self.dev}.disable_ipv6=1`);
        if (self.address !== null) lines.push(`addr add ${self.address} dev ${self.dev}`);
        lines.push(`link set ${self.dev} up`);
        // Static neighbours: a plug holding an ARP request would hide what the scenario measures.
        if (peer.address !== null) lines.push(`neigh replace ${bare(peer.address)} lladdr ${macFor(runId, peer.host, peer.dev)} dev ${self.dev} nud permanent`);
      }
    }
    for (const [key, value] of Object.entries(host.sysctl)) sysctl.push(`${key}=${value}`);
    await mustRun(['ip', '-n', ns(host.name), '-batch', '-'], { input: `${lines.join('\n')}\n` });
    if (sysctl.length > 0) await mustRun(['ip', 'netns', 'exec', ns(host.name), 'sysctl', '-q', '-w', ...sysctl]);
  }
  return { namespaces };
}
