/**
 * A lowdb adapter for a JSON file only its owner may read (mode 0600): the configuration holds
 * client names, accounts and limits. Writes are atomic (temp file created 0600, then rename) and
 * queued one after another, so a rename never races another write of the same temp file.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Adapter } from 'lowdb';

export const PRIVATE_FILE_MODE = 0o600;

export class PrivateJsonFile<T> implements Adapter<T> {
  private last: Promise<void> = Promise.resolve();

  constructor(private readonly file: string) {}

  async read(): Promise<T | null> {
    try {
      const text = await fs.readFile(this.file, 'utf8');
      // An existing file from an older version may be 0644: narrow it before anything else reads it.
      await fs.chmod(this.file, PRIVATE_FILE_MODE);
      return JSON.parse(text) as T;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw e;
    }
  }

  write(data: T): Promise<void> {
    const text = JSON.stringify(data, null, 2);
    const next = this.last.then(() => this.writeNow(text));
    this.last = next.catch(() => undefined);
    return next;
  }

  private async writeNow(text: string): Promise<void> {
    const tmp = path.join(path.dirname(this.file), `.${path.basename(this.file)}.tmp`);
    await fs.rm(tmp, { force: true });
    const h = await fs.open(tmp, 'wx', PRIVATE_FILE_MODE);
    try {
      await h.writeFile(text, 'utf8');
      await h.sync();
    } finally {
      await h.close();
    }
    await fs.rename(tmp, this.file);
  }
}
