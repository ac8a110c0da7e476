/**
 * Follows a file QEMU appends to (a virtio-serial port's backend) and copies
 * new bytes to a stream. Regular files, unlike pipes or sockets, never make
 * QEMU throttle the port, so nothing the guest wrote can be stuck in the VM
 * when it powers off; the host reads the rest after QEMU exits.
 */
import { closeSync, openSync, readSync } from 'node:fs';

export class FileTail {
  private readonly fd: number;
  private position = 0;
  private readonly buffer = Buffer.allocUnsafe(256 * 1024);
  /** Set when the sink failed (EPIPE: `qplug lab run ... | head`): keep reading, stop writing. */
  private broken = false;
  private readonly onError = () => {
    this.broken = true;
  };

  constructor(
    path: string,
    private readonly sink: NodeJS.WritableStream,
  ) {
    this.fd = openSync(path, 'r');
    sink.on('error', this.onError);
  }

  /** Copies everything appended since the last call. Returns the bytes copied. */
  pump(): number {
    let total = 0;
    for (;;) {
      const n = readSync(this.fd, this.buffer, 0, this.buffer.length, this.position);
      if (n <= 0) return total;
      this.position += n;
      total += n;
      // Copy: the buffer is reused, and a stream may hold on to the chunk.
      if (!this.broken) this.sink.write(Buffer.from(this.buffer.subarray(0, n)));
    }
  }

  close(): void {
    this.sink.off('error', this.onError);
    try {
      closeSync(this.fd);
    } catch {
      /* already closed */
    }
  }
}
