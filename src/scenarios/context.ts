/**
 * What the cross-checks know about the scenario while the plan is built:
 * hosts and their devices, services, load generators. Every lookup reports its
 * own located problem ("unknown service 'wbe' (did you mean 'web'?)").
 */
import type { Checked } from './check.js';
import { didYouMean } from '../text/didYouMean.js';
import { parseExpression, resolveNames, type Expression } from './expression.js';
import type { Located, Path } from './located.js';
import type { Command, Condition, ReloadMethod, ServiceType } from './planTypes.js';

export interface KnownService {
  name: string;
  type: ServiceType;
  reload: ReloadMethod;
}

export class PlanContext {
  readonly hosts: string[] = [];
  readonly devices = new Map<string, string[]>();
  readonly addresses = new Map<string, Record<string, string>>();
  readonly services = new Map<string, KnownService>();
  readonly loads = new Set<string>();

  constructor(
    readonly loc: Located,
    readonly durationMs: number,
  ) {}

  report(path: Path, message: string): void {
    this.loc.report(path, message);
  }

  /** `value` names a host, or is undefined: then the only host, if there is one. */
  host(value: unknown, path: Path): string | undefined {
    if (value === undefined) {
      if (this.hosts.length === 1) return this.hosts[0];
      this.report(path, `missing host: this scenario has several hosts (${this.hosts.join(', ')}), name one`);
      return undefined;
    }
    if (typeof value !== 'string') return undefined;
    if (this.hosts.includes(value)) return value;
    this.report(path, `unknown host '${value}' (${didYouMean(value, this.hosts, 'hosts')})`);
    return undefined;
  }

  /** `dev` on `host` (lo, or a link end of that host). */
  device(host: string, dev: unknown, path: Path): string | undefined {
    if (typeof dev !== 'string') return undefined;
    const devices = this.devices.get(host) ?? ['lo'];
    if (devices.includes(dev)) return dev;
    this.report(path, `host '${host}' has no device '${dev}' (${didYouMean(dev, devices, `devices of ${host}`)}); devices come from topology.links`);
    return undefined;
  }

  service(value: unknown, path: Path): KnownService | undefined {
    if (typeof value !== 'string') return undefined;
    const known = this.services.get(value);
    if (known) return known;
    const names = [...this.services.keys()];
    const hint = names.length === 0 ? 'no services are defined: add it under services:' : didYouMean(value, names, 'services');
    this.report(path, `unknown service '${value}' (${hint})`);
    return undefined;
  }

  /** A checked expression string with its load generators and services looked up. */
  expression(value: unknown, path: Path): Expression | undefined {
    if (typeof value !== 'string') return undefined;
    const parsed = parseExpression(value);
    if (typeof parsed === 'string') return undefined; // the checker reported it
    const resolved = resolveNames(parsed, { loads: this.loads, services: new Map([...this.services].map(([name, s]) => [name, s.type])) });
    if (typeof resolved === 'string') {
      this.report(path, resolved);
      return undefined;
    }
    return resolved;
  }

  /** One expression or a list of them, all checked. */
  expressions(value: unknown, path: Path): Expression[] | undefined {
    if (value === undefined) return undefined;
    const items = Array.isArray(value) ? value : [value];
    const parsed = items.map((item, i) => this.expression(item, Array.isArray(value) ? [...path, i] : path));
    return parsed.every((e) => e !== undefined) ? (parsed as Expression[]) : undefined;
  }

  condition(value: unknown, path: Path): Condition | undefined {
    if (value === null || typeof value !== 'object') return undefined;
    const d = value as Checked;
    const timeoutMs = d.timeout as number;
    if (d.ready !== undefined) {
      const s = this.service(d.ready, [...path, 'ready']);
      return s && { kind: 'ready', service: s.name, timeoutMs };
    }
    if (d.exited !== undefined) {
      const s = this.service(d.exited, [...path, 'exited']);
      return s && { kind: 'exited', service: s.name, timeoutMs };
    }
    if (d.metric !== undefined) {
      const expression = this.expression(d.metric, [...path, 'metric']);
      return expression && { kind: 'metric', expression, timeoutMs };
    }
    if (d.output !== undefined && typeof d.output === 'object') {
      const output = d.output as Checked;
      const s = this.service(output.service, [...path, 'output', 'service']);
      return s && typeof output.matches === 'string' ? { kind: 'output', service: s.name, pattern: output.matches, timeoutMs } : undefined;
    }
    return undefined;
  }
}

/** `argv: [...]` or `shell: "..."` as what to run. */
export function commandOf(d: Checked): Command | undefined {
  if (Array.isArray(d.argv) && d.argv.every((a) => typeof a === 'string')) return { argv: d.argv as string[], shell: false };
  if (typeof d.shell === 'string') return { argv: ['/bin/sh', '-c', d.shell], shell: true };
  return undefined;
}
