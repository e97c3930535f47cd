/** Small file-descriptor helpers shared by the log writers. */
import { closeSync, fsyncSync } from 'fs';

/** Makes what was written durable, then closes; the descriptor is closed even when fsync fails. */
export function syncAndClose(fd: number): void {
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
