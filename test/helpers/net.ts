/** Small waits and TCP round trips shared by the proxy tests of every tier. */
import { connect } from 'node:net';

/** Polls `condition` every 10 ms; rejects after timeoutMs naming what it waited for. */
export async function until(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs}ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Sends payload to 127.0.0.1:port, half-closes, and resolves with everything read until close. */
export function roundTrip(port: number, payload: Buffer, timeoutMs = 5000): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = connect(port, '127.0.0.1', () => socket.end(payload));
    const timer = setTimeout(() => (socket.destroy(), reject(new Error(`no echo within ${timeoutMs / 1000} s`))), timeoutMs);
    socket.on('data', (c) => chunks.push(c));
    socket.on('error', (e) => (clearTimeout(timer), reject(e)));
    socket.on('close', () => (clearTimeout(timer), resolve(Buffer.concat(chunks))));
  });
}
