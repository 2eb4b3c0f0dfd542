// tsc writes files 0644; the workspaces' `bin` entries must be executable for npx to run them.
import { chmodSync, existsSync, readFileSync } from 'node:fs';

for (const workspace of ['sync-server', 'kiosk']) {
  const pkg = JSON.parse(readFileSync(new URL(`../${workspace}/package.json`, import.meta.url), 'utf8'));
  for (const target of Object.values(pkg.bin ?? {})) {
    const file = new URL(`../${workspace}/${target}`, import.meta.url);
    if (existsSync(file)) chmodSync(file, 0o755);
  }
}
