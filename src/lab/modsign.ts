/**
 * Strips module signatures at build time. Checking a signature under TCG
 * costs ~50 ms per module (hashing + RSA, emulated); the lab loads ~20 at
 * every boot. Debian's kernel does not enforce signatures outside UEFI Secure
 * Boot, so unsigned modules load; the kernel logs "module verification failed
 * ... tainting kernel" once, which is harmless in a throwaway VM.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const MAGIC = Buffer.from('~Module signature appended~\n');
/** struct module_signature: algo, hash, id_type, signer_len, key_id_len, pad[3], sig_len (BE32). */
const INFO_SIZE = 12;

/** The module without its appended signature, or null when it has none. */
export function stripSignature(module: Buffer): Buffer | null {
  if (module.length < MAGIC.length + INFO_SIZE || !module.subarray(module.length - MAGIC.length).equals(MAGIC)) return null;
  const info = module.length - MAGIC.length - INFO_SIZE;
  const signerLen = module[info + 3] ?? 0;
  const keyIdLen = module[info + 4] ?? 0;
  const sigLen = module.readUInt32BE(info + 8);
  const end = info - sigLen - signerLen - keyIdLen;
  return end > 0 ? module.subarray(0, end) : null;
}

/** Strips every .ko under `dir` in place; returns how many were signed. */
export function stripSignaturesIn(dir: string): number {
  let count = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) count += stripSignaturesIn(path);
    else if (entry.isFile() && entry.name.endsWith('.ko')) {
      const stripped = stripSignature(readFileSync(path));
      if (stripped) {
        writeFileSync(path, stripped);
        count++;
      }
    }
  }
  return count;
}
