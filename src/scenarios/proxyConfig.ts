/**
 * A proxy service's config, checked by the proxy's own validator
 * (src/proxy/config.ts) so a scenario and a proxy config file accept exactly
 * the same thing. An inline config is handed over as the scenario's own text
 * with everything before it blanked out, so the proxy's problems keep their
 * line and column in the scenario file.
 */
import { readFileSync } from 'node:fs';
import { parseDocument, stringify } from 'yaml';
import { isQplugError, ConfigError } from '../errors.js';
import { parseProxyConfig } from '../proxy/config.js';
import { formatPath, type Located, type Path } from './located.js';

export interface ProxyCheckSource {
  /** The scenario's text. */
  text: string;
  /** The name problems carry. */
  file: string;
}

const PROBLEM = /^(.*):(\d+):(\d+): (\S+): (.*)$/;

/** The frontends (host, port) of a valid config; undefined after reporting its problems. */
export function checkProxyConfig(loc: Located, path: Path, source: ProxyCheckSource, configFile: string | null): Array<{ host: string; port: number }> | undefined {
  if (configFile !== null) return run(() => parseProxyConfig(readFileSync(configFile, 'utf8'), configFile), (problems) => problems.forEach((p) => loc.report(path, p)));
  const node = loc.exactNode(path);
  const range = node?.range;
  if (!node || !range) return undefined;
  const prefix = formatPath(path);
  const padded = source.text.slice(0, range[0]).replace(/[^\n]/g, ' ') + source.text.slice(range[0], range[2]);
  const untouched = JSON.stringify(parseDocument(padded).toJSON()) === JSON.stringify(node.toJSON());
  // A variant changed something inside the config: its text is no longer the file's, so locate at the config.
  const text = untouched ? padded : stringify(node.toJSON());
  return run(
    () => parseProxyConfig(text, source.file),
    (problems) => {
      for (const problem of problems) {
        const m = PROBLEM.exec(problem);
        const inner = m?.[4] === '(document)' ? prefix : `${prefix}.${m?.[4] ?? ''}`;
        if (m && untouched) loc.reportLine(Number(m[2]), Number(m[3]), inner, m[5] ?? '');
        else loc.report(path, m ? `${inner}: ${m[5]}` : problem);
      }
    },
  );
}

function run(parse: () => { frontends: ReadonlyArray<{ host: string; port: number }> }, onProblems: (problems: string[]) => void) {
  try {
    return parse().frontends.map((f) => ({ host: f.host, port: f.port }));
  } catch (error) {
    if (error instanceof ConfigError) onProblems(error.problems);
    else if (isQplugError(error)) onProblems([error.message]);
    else throw error;
    return undefined;
  }
}
