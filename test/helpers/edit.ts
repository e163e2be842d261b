// Helpers of the in-process tests of the editing API (test/edit/).
import type { Readable } from 'node:stream';
import { openFile } from '../../src/edit/files.js';

/** Everything a stream gives, as one buffer. */
export async function collect(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of stream) parts.push(chunk as Buffer);
  return Buffer.concat(parts);
}

/** Can another process (or open) take the exclusive lock now? */
export function lockFree(path: string): boolean {
  try {
    openFile(path, { write: true, lockWait: 0 }).close();
    return true;
  } catch {
    return false;
  }
}
