#!/usr/bin/env node
import { runAdmin } from './admin/run-admin.js';

process.exitCode = await runAdmin(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
});
