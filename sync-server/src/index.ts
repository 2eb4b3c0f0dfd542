// The sync server's public entry point: the app, its storage and the pieces lanes and tools reuse.
export { buildServer, checkpointServer, type AppOptions, type ServerOptions } from './app.js';
export { openDatabase, type Db } from './db/open-database.js';
export { runMigrations, schemaVersion, MIGRATIONS, type Migration } from './db/migrate.js';
export { generateToken, hashToken } from './auth/tokens.js';
export { hashPassword, verifyPassword } from './auth/passwords.js';
export type { AdminIdentity } from './auth/auth-hooks.js';
export type { AccountRole } from './db/repositories/accounts-repository.js';
export {
  generateListKey,
  subjectKey,
  subjectKeyFromHex,
  subjectKeyToHex,
  LIST_KEY_BYTES,
} from './lists/subject-key.js';
export { ListSigner, changesDigest, listSigningKeyId } from './lists/list-signing.js';
export { ListCounts } from './lists/list-counts.js';
export { CsvReader, type CsvRecord } from './csv/csv-reader.js';
export { CSV_HEADERS } from './lists/list-rows.js';
export { createLogger, redactUrl } from './logger.js';
export { runAdmin, type AdminIo, EXIT } from './cli/admin/run-admin.js';
