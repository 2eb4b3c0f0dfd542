// Writes hardware-profiles/profile.schema.json from the TypeBox schema the agent validates with.
import { writeFileSync } from 'node:fs';
import { HardwareProfileSchema } from '../kiosk/src/profiles/hardware-profile.js';

export function profileJsonSchema(): string {
  return `${JSON.stringify({ $schema: 'http://json-schema.org/draft-07/schema#', title: 'checkpoint-lane hardware profile', ...HardwareProfileSchema }, null, 2)}\n`;
}

if (process.argv[1]?.endsWith('generate-profile-schema.ts')) {
  writeFileSync(new URL('../hardware-profiles/profile.schema.json', import.meta.url), profileJsonSchema());
}
