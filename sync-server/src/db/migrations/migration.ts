import type { Migration as SchemaMigration } from '@checkpoint-lane/shared';
import type Database from 'better-sqlite3';

/** One forward-only schema step of the server's database (its own file, so a step never imports the list of steps). */
export type Migration = SchemaMigration<Database.Database>;
