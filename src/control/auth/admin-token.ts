// Control-plane auth: the admin credential — a random token kept in `<data-dir>/admin-token` (mode 0600), created on first start, reused after.
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';

export const ADMIN_TOKEN_FILE = 'admin-token';

export interface AdminToken {
  /** Where the token lives; printed at start-up so an operator can find it (the token itself never is). */
  path: string;
  token: string;
}

/** 32 random bytes, base64url: 256 bits, safe in a header and on a shell line. */
export function newAdminToken(): string {
  return crypto.randomBytes(32).toString('base64url');
}

/**
 * Reads the token file, or creates it with O_EXCL (two processes starting at once cannot both write one) and mode 0600.
 * A file readable by others is tightened rather than trusted silently; an empty one is an error, not a reason to rotate.
 */
export async function ensureAdminToken(dataDir: string): Promise<AdminToken> {
  const file = path.resolve(dataDir, ADMIN_TOKEN_FILE);
  await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  try {
    const handle = await fs.open(file, 'wx', 0o600);
    const token = newAdminToken();
    try {
      await handle.writeFile(`${token}\n`);
    } finally {
      await handle.close();
    }
    return { path: file, token };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
  const st = await fs.stat(file);
  if ((st.mode & 0o077) !== 0) await fs.chmod(file, 0o600);
  const token = (await fs.readFile(file, 'utf8')).trim();
  if (token === '') throw new Error(`${file} is empty; delete it to have a new admin token generated`);
  return { path: file, token };
}
