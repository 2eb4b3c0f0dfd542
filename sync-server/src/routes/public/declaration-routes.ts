import { createHash, randomBytes } from 'node:crypto';
import { CHECKPOINT_DEFAULTS, type HealthEntry, type HealthStatus } from '@checkpoint-lane/shared';
import Type from 'typebox';
import { HttpError } from '../../http-error.js';
import { subjectKey, subjectKeyToHex } from '../../lists/subject-key.js';
import {
  checkDeclaration,
  DeclarationBody,
  healthHolds,
  newDeclarationId,
  type DeclarationProblem,
  vietnamDate,
} from '../../passes/declarations.js';
import { declarePage, declarePageCsp } from '../../passes/declare-page.js';
import { PROVINCES } from '../../passes/provinces.js';
import { PASS_MAX_DAYS_AHEAD, PASS_VALID_DAYS } from '../../passes/pass-keys.js';
import { passQrSvg } from '../../passes/pass-qr.js';
import type { Services } from '../../services.js';
import { errors, type App } from '../schemas.js';

/** What each refusal says (the 400's `message`; the page has its own Vietnamese and English texts). */
const PROBLEM_MESSAGES: Readonly<Record<DeclarationProblem, string>> = {
  personal_id_invalid: 'personalId is not a valid 12-digit personal ID',
  full_name_invalid: 'fullName must have 2 to 120 characters',
  phone_invalid: 'phone must have 8 to 15 digits (a leading + allowed)',
  area_invalid: 'a district must be 1..999 and a ward 1..99999 (or left out)',
  province_unknown: 'a province must be a GSO province code (1..99) of an existing province',
  plate_invalid: 'plate is not a Vietnamese plate (e.g. 51F-123.45)',
  purpose_invalid: 'purpose must have 2 to 200 characters',
  travel_date_invalid: 'travelDate must be a date YYYY-MM-DD',
  travel_date_past: 'travelDate is before today (Vietnam time)',
  travel_date_too_far: `travelDate is more than ${PASS_MAX_DAYS_AHEAD} days ahead`,
};

/** Answer of a declaration: the pass, or (health hold) none and a notice. */
export const DeclarationAnswer = Type.Object({
  /** The declaration's id (the pass id too when a pass was issued). */
  declarationId: Type.String(),
  passId: Type.Union([Type.String(), Type.Null()]),
  validFrom: Type.Integer(),
  validUntil: Type.Integer(),
  /** The pass text `CLP1:…` (what the QR holds), or null. */
  qr: Type.Union([Type.String(), Type.Null()]),
  /** The QR code as SVG (level M), or null. */
  qrSvg: Type.Union([Type.String(), Type.Null()]),
  /** Present when no pass was issued: `contact_health_station`. */
  notice: Type.Optional(Type.Literal('contact_health_station')),
});

/** The largest declaration body accepted (bytes); larger answers 413 `body_too_large`. */
export const DECLARATION_BODY_LIMIT = 8 * 1024;

/** How long the union of the checkpoints' blocking statuses is kept before it is read again. */
const BLOCKING_TTL_MS = 30_000;

/**
 * The statuses that hold a person back from a pass: every status some checkpoint blocks (a
 * pass is valid at every checkpoint), and the default F0 and F1 when there is no checkpoint.
 * Read at most every 30 s.
 */
function blockingStatuses(s: Services): () => Promise<readonly HealthStatus[]> {
  let value: readonly HealthStatus[] = CHECKPOINT_DEFAULTS.blockingStatuses;
  let readAt = Number.NEGATIVE_INFINITY;
  return async () => {
    const now = s.clock();
    if (now - readAt < BLOCKING_TTL_MS && now >= readAt) return value;
    const all = new Set<HealthStatus>();
    for (const c of await s.checkpoints.list()) for (const st of c.blockingStatuses) all.add(st);
    value = all.size === 0 ? CHECKPOINT_DEFAULTS.blockingStatuses : [...all];
    readAt = now;
    return value;
  };
}

/**
 * `POST /api/v1/public/declarations` (no auth): a movement declaration; answers the signed lane
 * pass. Limited per address (`declareRateLimit` a minute) and per personal ID from one address
 * (`declareIdLimit` a day), across every server of a fleet. Nothing of the person is logged.
 */
export function registerDeclarationRoutes(app: App, s: Services): void {
  const blocking = blockingStatuses(s);
  app.post(
    '/declarations',
    {
      config: { rateLimit: { max: s.declareRateLimit, timeWindow: 60_000 } },
      // A declaration is a few hundred bytes: the app's 4 MB limit is for imports, not this route.
      bodyLimit: DECLARATION_BODY_LIMIT,
      schema: {
        summary:
          `A movement declaration; answers 201 with its signed lane pass (CLP1 text and QR SVG), valid from the travel date's 00:00 (UTC+7, or now if later) for ${PASS_VALID_DAYS} days. ` +
          'A person the health list holds gets the declaration stored and no pass (passId, qr, qrSvg null; notice contact_health_station). Rate-limited per address and per personal ID from one address (429 with Retry-After).',
        tags: ['public'],
        body: DeclarationBody,
        response: { 201: DeclarationAnswer, ...errors(400, 413, 429) },
      },
    },
    async (req, reply) => {
      const now = s.clock();
      const checked = checkDeclaration(req.body, now);
      if (!checked.ok) throw new HttpError(400, checked.error, PROBLEM_MESSAGES[checked.error]);
      const d = checked.value;
      const key = subjectKey(s.listKey, { kind: 'personal_id', value: d.personalId });
      // Counted per (ID, address), so a stranger posting someone's ID spends only their own
      // address's budget. The counter's key is a hash of the ID's index key and the address: it
      // never holds the ID itself.
      const counter = createHash('sha256')
        .update(`${subjectKeyToHex(key)}|${req.ip}`)
        .digest('hex')
        .slice(0, 32);
      const hit = await s.store.limits.hit('declare-id', counter, now, 24 * 3_600_000);
      if (hit.count > s.declareIdLimit) {
        void reply.header('retry-after', String(Math.max(1, Math.ceil((hit.resetAt - now) / 1000))));
        throw new HttpError(
          429,
          'rate_limited',
          'too many declarations for this personal ID from this address; try again later',
        );
      }
      const entry = (await s.lists.getEntry('health', key)) as HealthEntry | null;
      const held = healthHolds(entry, await blocking(), d.validFrom, d.validUntil);
      const id = newDeclarationId();
      let qr: string | null = null;
      let keyId: number | null = null;
      if (!held) {
        const pass = await s.passSigner.issue(
          {
            passId: id,
            personalId: d.personalId,
            validFrom: d.validFrom,
            validUntil: d.validUntil,
            from: d.from,
            to: d.to,
            plate: d.plate,
          },
          now,
        );
        qr = pass.text;
        keyId = pass.keyId;
      }
      await s.store.passes.addDeclaration({
        id,
        passId: held ? null : id,
        passKeyId: keyId,
        createdAt: now,
        subjectKey: key,
        ...d,
      });
      req.log.info({ declarationId: id }, 'declaration stored');
      return reply.code(201).send({
        declarationId: id,
        passId: held ? null : id,
        validFrom: d.validFrom,
        validUntil: d.validUntil,
        qr,
        qrSvg: qr === null ? null : await passQrSvg(qr),
        ...(held && { notice: 'contact_health_station' as const }),
      });
    },
  );
}

/**
 * `GET /declare`: the public declaration page (see `declare-page.ts`), with a CSP that allows its
 * own inline style and script by a per-response nonce and requests to this origin only.
 */
export function registerDeclarePage(app: App, s: Services): void {
  app.get(
    '/declare',
    {
      schema: {
        summary: 'The public movement declaration page (HTML, Vietnamese first; no outside requests)',
        tags: ['public'],
      },
    },
    (_req, reply) => {
      const now = s.clock();
      const nonce = randomBytes(16).toString('base64');
      void reply
        .header('content-security-policy', declarePageCsp(nonce))
        .header('x-content-type-options', 'nosniff')
        .header('x-frame-options', 'DENY')
        .header('referrer-policy', 'no-referrer')
        .header('cross-origin-opener-policy', 'same-origin')
        .header('cross-origin-resource-policy', 'same-origin')
        .header('cache-control', 'no-store');
      return reply.type('text/html; charset=utf-8').send(
        declarePage({
          nonce,
          today: vietnamDate(now),
          maxDate: vietnamDate(now + PASS_MAX_DAYS_AHEAD * 86_400_000),
          provinces: PROVINCES,
        }),
      );
    },
  );
}
