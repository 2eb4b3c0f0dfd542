import {
  PassDirectoryAnswer,
  passDirectoryMessage,
  PASSES_SIGNATURE_HEADER,
  type PassDirectory,
} from '@checkpoint-lane/shared';
import { publicPassKey } from '../../passes/pass-keys.js';
import type { Services } from '../../services.js';
import { errors, kioskSecurity, type App } from '../schemas.js';

/** The pass directory as lanes get it at `now`. */
export async function passDirectory(s: Services, now: number): Promise<PassDirectory> {
  const d = await s.store.passes.directory(now);
  return { version: d.version, keys: d.keys.map(publicPassKey), revoked: [...d.revoked] };
}

/**
 * `GET /api/v1/kiosk/passes` (behind the kiosk token): the pass directory, signed with the
 * list-signing key over `passDirectoryMessage` in `x-passes-signature`.
 */
export function registerPassesRoute(app: App, s: Services): void {
  app.get(
    '/passes',
    {
      schema: {
        summary:
          'The pass directory: its version, the public pass keys with their periods, and the revoked passes not yet expired. ' +
          '`x-passes-signature` is `keyId:base64` of the list-signing key’s Ed25519 signature over the CLPAS1 message (shared/src/sync/pass-directory.ts).',
        tags: ['kiosk'],
        security: kioskSecurity,
        response: { 200: PassDirectoryAnswer, ...errors(401) },
      },
    },
    async (_req, reply): Promise<PassDirectory> => {
      const doc = await passDirectory(s, s.clock());
      void reply.header(PASSES_SIGNATURE_HEADER, s.signer.sign(passDirectoryMessage(doc)));
      void reply.header('cache-control', 'no-store');
      return doc;
    },
  );
}
