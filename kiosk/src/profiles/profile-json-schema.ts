// hardware-profiles/profile.schema.json as text, from the TypeBox schema the agent validates with.
import { HardwareProfileSchema } from './hardware-profile.js';

/** The JSON Schema (draft-07) of a hardware profile, as scripts/generate-profile-schema.ts writes it. */
export function profileJsonSchema(): string {
  return `${JSON.stringify({ $schema: 'http://json-schema.org/draft-07/schema#', title: 'checkpoint-lane hardware profile', ...HardwareProfileSchema }, null, 2)}\n`;
}
