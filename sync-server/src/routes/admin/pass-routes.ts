import { PASS_ID_PATTERN, PassKeySchema } from '@checkpoint-lane/shared';
import Type from 'typebox';
import { adminActor } from '../../auth/auth-hooks.js';
import { HttpError } from '../../http-error.js';
import { listedPassKey, PASS_KEY_RETIRE_MS } from '../../passes/pass-keys.js';
import type { Services } from '../../services.js';
import { adminSecurity, errors, type App } from '../schemas.js';

/** The pass keys as the admin API shows them. */
const PassKeysAnswer = Type.Object({
  /** The pass directory's version. */
  version: Type.Integer(),
  /** The id of the key that signs now. */
  current: Type.Integer(),
  /** Every key, by id, withdrawn ones too (lanes are given only those not withdrawn). */
  keys: Type.Array(
    Type.Object({
      ...PassKeySchema.properties,
      /** Epoch ms it was withdrawn (lanes refuse every pass it signed), or null. */
      withdrawnAt: Type.Union([Type.Integer(), Type.Null()]),
    }),
  ),
});

const KeyParams = Type.Object({ keyId: Type.Integer({ minimum: 1, maximum: 255 }) });

const RotateBody = Type.Object(
  {
    /**
     * The current key is compromised: withdraw it at once, so lanes refuse every pass it signed
     * (their holders must declare again). Default false.
     */
    compromised: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

const PassParams = Type.Object({ passId: Type.String({ pattern: PASS_ID_PATTERN, maxLength: 16 }) });

const RevokeAnswer = Type.Object({
  passId: Type.String(),
  revokedAt: Type.Integer(),
  /** The pass's validUntil: lanes list it until then. */
  until: Type.Integer(),
  /** Whether it had been revoked before. */
  already: Type.Boolean(),
  /** The pass directory's version. */
  version: Type.Integer(),
});

/**
 * `/api/v1/admin/passes`: the pass signing keys, their rotation, and revoking a pass. Every change
 * is audited in its transaction and announced to lanes (SSE `passes` with the new version).
 */
export function registerPassRoutes(app: App, s: Services): void {
  const keysAnswer = async () => {
    const keys = await s.store.passes.keys();
    const version = await s.store.passes.version();
    return { version, current: s.passSigner.currentId, keys: keys.map(listedPassKey) };
  };

  app.get(
    '/passes/keys',
    {
      schema: {
        summary:
          'Every pass signing key (public halves, withdrawn ones marked by withdrawnAt; lanes are given the others), by id, and the id of the one that signs now',
        tags: ['admin'],
        security: adminSecurity,
        response: { 200: PassKeysAnswer, ...errors(401) },
      },
    },
    async () => {
      await s.passSigner.reload(s.clock());
      return keysAnswer();
    },
  );

  app.post(
    '/passes/keys/rotate',
    {
      schema: {
        summary:
          `Make a new pass signing key current. The old key signs nothing more; lanes accept the passes it signed that begin within ${PASS_KEY_RETIRE_MS / 86_400_000} days ` +
          '(until their own validity ends), or none with compromised: true (it is withdrawn).',
        tags: ['admin'],
        security: adminSecurity,
        body: RotateBody,
        response: { 200: PassKeysAnswer, ...errors(400, 401, 403, 409) },
      },
    },
    async (req) => {
      const now = s.clock();
      const compromised = req.body.compromised === true;
      const r = await s.passSigner.rotate(now, compromised, (done) => ({
        at: now,
        actor: adminActor(req),
        action: 'pass.key_rotate',
        target: String(done.key.keyId),
        details: { previous: done.previous, compromised, version: done.version },
      }));
      if (r.kind === 'no_key_id')
        throw new HttpError(
          409,
          'pass_key_ids_exhausted',
          'all 255 pass key ids still guard valid passes; try again later',
        );
      s.hub.publishPasses(r.version);
      req.log.info({ keyId: r.key.keyId, previous: r.previous, compromised }, 'pass signing key rotated');
      return keysAnswer();
    },
  );

  app.post(
    '/passes/keys/:keyId/withdraw',
    {
      schema: {
        summary:
          'Withdraw a pass signing key (any, current or retired): lanes drop it and refuse every pass it signed (their holders must declare again). ' +
          'Withdrawing the current key makes a new current key, as rotate with compromised: true does.',
        tags: ['admin'],
        security: adminSecurity,
        params: KeyParams,
        response: { 200: PassKeysAnswer, ...errors(400, 401, 403, 404, 409) },
      },
    },
    async (req) => {
      const now = s.clock();
      const r = await s.passSigner.withdraw(req.params.keyId, now, adminActor(req));
      if (r.kind === 'not_found') throw new HttpError(404, 'not_found', 'no pass key with this id');
      if (r.kind === 'no_key_id')
        throw new HttpError(
          409,
          'pass_key_ids_exhausted',
          'all 255 pass key ids still guard valid passes; the current key cannot be replaced yet',
        );
      if (!r.already) {
        s.hub.publishPasses(r.version);
        req.log.info({ keyId: r.keyId, replacedBy: r.replacedBy }, 'pass signing key withdrawn');
      }
      return keysAnswer();
    },
  );

  app.post(
    '/passes/:passId/revoke',
    {
      schema: {
        summary: 'Revoke a lane pass: lanes refuse it (red, pass_revoked) once they sync the pass directory',
        tags: ['admin'],
        security: adminSecurity,
        params: PassParams,
        response: { 200: RevokeAnswer, ...errors(400, 401, 403, 404) },
      },
    },
    async (req) => {
      const r = await s.store.passes.revoke(req.params.passId, s.clock(), adminActor(req));
      if (r.kind === 'not_found') throw new HttpError(404, 'not_found', 'no pass with this id');
      if (!r.already) s.hub.publishPasses(r.version);
      return {
        passId: r.passId,
        revokedAt: r.revokedAt,
        until: r.until,
        already: r.already,
        version: r.version,
      };
    },
  );
}
