import { randomBytes } from 'node:crypto';
import {
  encodeStaffCard,
  OfficerAnswerSchema,
  OfficerListSchema,
  OfficerParamsSchema,
  OfficerPutBodySchema,
  STAFF_CARD_DEFAULT_DAYS,
  STAFF_CARD_MAX_DAYS,
  StaffCardAnswerSchema,
  StaffCardRequestSchema,
  staffCardMessage,
  type OfficerView,
  type StaffCard,
} from '@checkpoint-lane/shared';
import { adminActor } from '../../auth/auth-hooks.js';
import { hashOfficerPin, officerPinMatches, officerPinTooShort } from '../../auth/officer-pins.js';
import type { OfficerRecord } from '../../db/repositories/officers-repository.js';
import { HttpError } from '../../http-error.js';
import type { Services } from '../../services.js';
import { adminSecurity, errors, type App } from '../schemas.js';

const security = adminSecurity;
const tags = ['admin', 'officers'];

const view = (o: OfficerRecord): OfficerView => ({
  id: o.id,
  name: o.name,
  role: o.role,
  checkpoints: o.checkpoints === null ? null : [...o.checkpoints],
  disabled: o.disabledAt !== null,
  updatedAt: o.updatedAt,
});

const unknownOfficer = (id: string): HttpError => new HttpError(404, 'unknown_officer', `no officer ${id}`);

/**
 * `/api/v1/admin/officers`: the central officer roster, pushed to lanes. PINs arrive here once,
 * are hashed in the lane's format and are never stored, logged or audited in clear.
 */
export function registerOfficerRoutes(app: App, s: Services): void {
  // Officer writes run one at a time: the PIN uniqueness check (slow scrypt work, outside the
  // database transaction) must not race another write with the same PIN.
  let queue: Promise<unknown> = Promise.resolve();
  const serially = <T>(task: () => Promise<T>): Promise<T> => {
    const run = queue.then(task, task);
    queue = run.catch(() => undefined);
    return run;
  };

  app.get(
    '/officers',
    {
      schema: {
        summary: 'The officer roster, its version and the rule for new PINs (no PINs or hashes)',
        tags,
        security,
        response: { 200: OfficerListSchema, ...errors(401) },
      },
    },
    async () => ({
      version: await s.officers.version(),
      officers: (await s.officers.list()).map(view),
      pinRule: s.officerPinRule,
    }),
  );

  app.put(
    '/officers/:id',
    {
      schema: {
        summary: 'Create (201, needs pin) or update (200; no pin keeps the old one) an officer',
        description:
          'checkpoints: omitted keeps the current ones (every checkpoint for a new officer); null is every ' +
          "checkpoint. 400 pin_too_short when the PIN has fewer digits than this server's minimum " +
          '(pinRule.minDigits of GET /officers; PINs set before keep working until changed). ' +
          '409 pin_in_use when another active officer sharing a checkpoint has this PIN.',
        tags,
        security,
        params: OfficerParamsSchema,
        body: OfficerPutBodySchema,
        response: { 200: OfficerAnswerSchema, 201: OfficerAnswerSchema, ...errors(400, 401, 403, 409) },
      },
    },
    async (req, reply) => {
      const { id } = req.params;
      const b = req.body;
      const name = b.name.trim();
      if (name === '') throw new HttpError(400, 'bad_request', 'name must not be blank');
      const result = await serially(async () => {
        const existing = await s.officers.get(id);
        const rule = s.officerPinRule;
        if (existing === null && b.pin === undefined) {
          throw new HttpError(
            400,
            'pin_required',
            `a new officer needs a PIN (${String(rule.minDigits)} to ${String(rule.maxDigits)} digits)`,
          );
        }
        const tooShort = b.pin === undefined ? null : officerPinTooShort(b.pin, rule);
        if (tooShort !== null) throw new HttpError(400, 'pin_too_short', tooShort);
        const checkpoints = b.checkpoints === undefined ? (existing?.checkpoints ?? null) : b.checkpoints;
        const unknown: string[] = [];
        for (const c of checkpoints ?? []) if ((await s.checkpoints.get(c)) === null) unknown.push(c);
        if (unknown.length > 0) {
          throw new HttpError(400, 'unknown_checkpoint', `no checkpoint ${unknown.join(', ')}`);
        }
        let pinHash: string | undefined;
        if (b.pin !== undefined) {
          // A lane knows an officer by PIN alone: no two active officers who meet at a checkpoint
          // may share one.
          for (const other of await s.officers.activeSharing(id, checkpoints)) {
            if (await officerPinMatches(b.pin, other.pinHash)) {
              throw new HttpError(
                409,
                'pin_in_use',
                'another active officer at one of these checkpoints has this PIN; choose another',
              );
            }
          }
          pinHash = await hashOfficerPin(b.pin);
        }
        return await s.officers.save(
          { id, name, role: b.role, checkpoints, ...(pinHash !== undefined && { pinHash }) },
          s.clock(),
          adminActor(req),
        );
      });
      s.hub.publishOfficers(result.version);
      return reply
        .code(result.created ? 201 : 200)
        .send({ version: result.version, officer: view(result.officer) });
    },
  );

  for (const action of ['disable', 'enable'] as const) {
    app.post(
      `/officers/:id/${action}`,
      {
        schema: {
          summary:
            action === 'disable'
              ? 'Disable an officer: their PIN stops working at every lane once it syncs'
              : 'Enable a disabled officer again',
          description: 'Doing it twice changes nothing (the roster version stays).',
          tags,
          security,
          params: OfficerParamsSchema,
          response: { 200: OfficerAnswerSchema, ...errors(401, 403, 404) },
        },
      },
      async (req) => {
        const { id } = req.params;
        const result = await serially(async () => {
          await Promise.resolve();
          const changed = await s.officers.changeDisabled(
            id,
            action === 'disable',
            s.clock(),
            adminActor(req),
          );
          if (!changed.ok) throw unknownOfficer(id);
          return changed.value;
        });
        if (result.changed) s.hub.publishOfficers(result.version);
        return { version: result.version, officer: view(result.officer) };
      },
    );
  }

  app.post(
    '/officers/:id/staff-card',
    {
      schema: {
        summary:
          'Issue a staff card: a QR that opens the officer panel of an unattended lane at one checkpoint',
        description:
          `The card (CLSC1 text, shared/src/staff-cards/staff-card.ts) names the officer, the checkpoint, a random ` +
          `card id and its validity (days, default ${String(STAFF_CARD_DEFAULT_DAYS)}, at most ` +
          `${String(STAFF_CARD_MAX_DAYS)}), signed with the server's current list-signing key over ` +
          '`staffCardMessage(card)` (`keyId:base64sig`); a lane verifies it with the keys it pins and ' +
          'checks the officer is on its synced roster (disabling the officer revokes their cards). ' +
          'Audited `officer.staff_card` (officer, checkpoint, card id, expiry; never a PIN). ' +
          '404 unknown_officer; 400 unknown_checkpoint; 409 officer_disabled, officer_not_here (the ' +
          'officer does not serve that checkpoint).',
        tags,
        security,
        params: OfficerParamsSchema,
        body: StaffCardRequestSchema,
        response: { 200: StaffCardAnswerSchema, ...errors(400, 401, 403, 404, 409) },
      },
    },
    async (req) => {
      const { id } = req.params;
      const { checkpointId } = req.body;
      const days = req.body.days ?? STAFF_CARD_DEFAULT_DAYS;
      const officer = await s.officers.get(id);
      if (officer === null) throw unknownOfficer(id);
      if (officer.disabledAt !== null)
        throw new HttpError(409, 'officer_disabled', `officer ${id} is disabled: enable them first`);
      if ((await s.checkpoints.get(checkpointId)) === null)
        throw new HttpError(400, 'unknown_checkpoint', `no checkpoint ${checkpointId}`);
      if (officer.checkpoints !== null && !officer.checkpoints.includes(checkpointId))
        throw new HttpError(
          409,
          'officer_not_here',
          `officer ${id} does not serve at checkpoint ${checkpointId}`,
        );
      const now = s.clock();
      const issuedAt = Math.floor(now / 1000);
      const card: StaffCard = {
        checkpointId,
        officerId: id,
        cardId: randomBytes(12).toString('base64url'),
        issuedAt,
        expiresAt: issuedAt + days * 86_400,
      };
      const keyId = s.signer.currentId;
      const text = encodeStaffCard(card, s.signer.sign(staffCardMessage(card)));
      await s.audit.record(now, adminActor(req), 'officer.staff_card', id, {
        checkpointId,
        cardId: card.cardId,
        expiresAt: card.expiresAt * 1000,
        keyId,
      });
      req.log.info({ cardId: card.cardId, days }, 'staff card issued');
      return {
        text,
        cardId: card.cardId,
        officerId: id,
        checkpointId,
        issuedAt: card.issuedAt * 1000,
        expiresAt: card.expiresAt * 1000,
        keyId,
      };
    },
  );
}
