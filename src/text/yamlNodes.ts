/** Words for what a YAML document holds, for error messages. */
import { isMap, isScalar, isSeq, type Node as YamlNode } from 'yaml';

/** "a map", "the string 'abc'", "nothing": what the file has, for messages. */
export function describeNode(node: YamlNode | null | undefined): string {
  if (node === null || node === undefined) return 'nothing';
  if (isMap(node)) return 'a map';
  if (isSeq(node)) return 'a list';
  if (isScalar(node)) {
    const v = node.value;
    if (v === null || v === undefined) return 'nothing';
    if (typeof v === 'string') return `the string '${v}'`;
    if (typeof v === 'number') return `the number ${v}`;
    if (typeof v === 'boolean') return `${v}`;
  }
  return 'an unsupported value';
}
