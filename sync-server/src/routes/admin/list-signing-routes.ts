import { ListSigningKeysAnswer } from '@checkpoint-lane/shared';
import { adminActor } from '../../auth/auth-hooks.js';
import type { Services } from '../../services.js';
import { adminSecurity, errors, type App } from '../schemas.js';

/**
 * `/api/v1/admin/lists/signing-keys`: the list-signing keys (public halves only) and their
 * rotation. A rotation makes a new current key endorsed by the old one, audits it and pushes
 * the key set to every connected lane (the others take it from their next heartbeat).
 */
export function registerListSigningRoutes(app: App, s: Services): void {
  app.get(
    '/lists/signing-keys',
    {
      schema: {
        summary: 'The list-signing public keys, oldest first, and the id of the one that signs now',
        tags: ['admin'],
        security: adminSecurity,
        response: { 200: ListSigningKeysAnswer, ...errors(401) },
      },
    },
    () => s.signer.answer(),
  );

  app.post(
    '/lists/signing-keys/rotate',
    {
      schema: {
        summary:
          'Make a new list-signing key current, endorsed by the old one; the old key signs nothing more and lanes accept it one more hour',
        tags: ['admin'],
        security: adminSecurity,
        response: { 200: ListSigningKeysAnswer, ...errors(401, 403) },
      },
    },
    async (req) => {
      const now = s.clock();
      const before = s.signer.currentId;
      const answer = await s.signer.rotate(now, (a) => ({
        at: now,
        actor: adminActor(req),
        action: 'list.signing_key_rotate',
        target: a.current,
        details: { previous: before },
      }));
      s.hub.publishSigningKeys(answer.keys);
      req.log.info({ keyId: answer.current, previous: before }, 'list-signing key rotated');
      return answer;
    },
  );
}
