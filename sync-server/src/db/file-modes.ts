import { chmodSync, closeSync, constants, openSync, statSync } from 'node:fs';

/** Mode of every file the server keeps secrets or personal data in: owner read/write only. */
export const PRIVATE_FILE_MODE = 0o600;
/** Mode of folders the server creates for such files. */
export const PRIVATE_DIR_MODE = 0o700;

/** SQLite's companions of a database file (WAL journal, shared memory, rollback journal). */
const COMPANIONS = ['-wal', '-shm', '-journal'] as const;

/** Sets `file` to 0600 if it exists (whatever the umask or the mode it was created with). */
function restrict(file: string): void {
  try {
    chmodSync(file, PRIVATE_FILE_MODE);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
}

/**
 * Before SQLite opens `file`: creates it empty with mode 0600 (the umask can only take bits
 * away) or tightens an existing one, and its journal companions, so SQLite — which gives the
 * -wal and -shm files the database file's mode — never writes the data readable by others.
 */
export function prepareDatabaseFile(file: string): void {
  closeSync(openSync(file, constants.O_CREAT | constants.O_RDWR, PRIVATE_FILE_MODE));
  restrict(file);
  for (const c of COMPANIONS) restrict(`${file}${c}`);
}

/** After opening: tightens the companions SQLite created meanwhile (a no-op when they were 0600). */
export function restrictDatabaseCompanions(file: string): void {
  for (const c of COMPANIONS) restrict(`${file}${c}`);
}

/**
 * A plain warning when `dir` can be read or entered by group or others (null otherwise): the
 * database files are 0600 anyway, but file names and any other file put there are not.
 */
export function folderExposure(dir: string): string | null {
  const mode = statSync(dir).mode & 0o777;
  if ((mode & 0o077) === 0) return null;
  const octal = mode.toString(8).padStart(4, '0');
  return `the data folder ${dir} is open to other users (mode ${octal}); its database files are kept 0600, but run "chmod 700 ${dir}" so nobody else can list or read it`;
}
