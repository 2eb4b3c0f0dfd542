#!/usr/bin/env node
// `checkpoint-lane`, a committed launcher for the built CLI: npm links a workspace's bins during
// `npm ci`, before `prepare` builds dist/, so a bin inside dist/ would never be linked.
// `checkpoint-lane check-devices …` runs the technician's field check instead of a lane.
import { existsSync } from 'node:fs';

const checkDevices = process.argv[2] === 'check-devices';
const entry = new URL(
  checkDevices ? '../dist/cli/check-devices.js' : '../dist/cli/checkpoint-lane.js',
  import.meta.url,
);
if (!existsSync(entry)) {
  process.stderr.write('checkpoint-lane: not built yet (no kiosk/dist/); run `npm run build` first\n');
  process.exit(1);
}
if (checkDevices) {
  const { checkDevicesMain } = await import(entry.href);
  // Exit at once: a scanner on standard input or a closed port must not keep the check alive.
  const code = await checkDevicesMain(process.argv.slice(3)).catch((error) => {
    process.stderr.write(
      `checkpoint-lane check-devices: unexpected error: ${error?.stack ?? String(error)}\n`,
    );
    return 1;
  });
  process.exit(code);
} else {
  await import(entry.href);
}
