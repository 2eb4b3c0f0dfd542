// Writes hardware-profiles/profile.schema.json from the TypeBox schema the agent validates with
// (run after `npm run build`: the lane package is read from kiosk/dist).
import { writeFileSync } from 'node:fs';
import { profileJsonSchema } from '@checkpoint-lane/kiosk';

writeFileSync(new URL('../hardware-profiles/profile.schema.json', import.meta.url), profileJsonSchema());
