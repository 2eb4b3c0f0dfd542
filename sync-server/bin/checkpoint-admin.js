#!/usr/bin/env node
// `checkpoint-admin`, a committed launcher for the built CLI: npm links a workspace's bins during
// `npm ci`, before `prepare` builds dist/, so a bin inside dist/ would never be linked.
import { existsSync } from 'node:fs';

const entry = new URL('../dist/cli/checkpoint-admin.js', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write('checkpoint-admin: not built yet (no sync-server/dist/); run `npm run build` first\n');
  process.exit(1);
}
await import(entry.href);
