// checkpoint-admin `officers list|set|disable|enable|card`: the central officer roster, PINs from
// $CHECKPOINT_OFFICER_PIN or the first line of stdin (never the command line). The server checks a
// new PIN against its minimum (`400 pin_too_short`, said on stderr); `officers list` shows the rule.
// `officers card ID --checkpoint CP [--days N] [--svg FILE]`: a staff card (issue 17) for an
// unattended lane, its text on stdout and its QR as an SVG file.
import { writeFile } from 'node:fs/promises';
import type { OfficerAnswer, OfficerList, OfficerView, StaffCardAnswer } from '@checkpoint-lane/shared';
import QRCode from 'qrcode';
import {
  failed,
  promptLine,
  show,
  table,
  UsageError,
  wholeNumber,
  type AdminContext,
  type AdminIo,
} from './admin-io.js';

/** The flags the officers commands read. */
export const OFFICER_OPTIONS = {
  name: { type: 'string' },
  role: { type: 'string' },
  checkpoints: { type: 'string' },
  'all-checkpoints': { type: 'boolean', default: false },
  pin: { type: 'boolean', default: false },
  'pin-from-env': { type: 'boolean', default: false },
  checkpoint: { type: 'string' },
  days: { type: 'string' },
  svg: { type: 'string' },
} as const;

/** Values of `OFFICER_OPTIONS`. */
export interface OfficerFlags {
  readonly name?: string | undefined;
  readonly role?: string | undefined;
  readonly checkpoints?: string | undefined;
  readonly 'all-checkpoints': boolean;
  readonly pin: boolean;
  readonly 'pin-from-env': boolean;
  readonly checkpoint?: string | undefined;
  readonly days?: string | undefined;
  readonly svg?: string | undefined;
}

const OFFICER_COLUMNS = ['id', 'name', 'role', 'checkpoints', 'state', 'updatedAt'];

const officerRow = (o: OfficerView): Record<string, unknown> => ({
  ...o,
  checkpoints: o.checkpoints === null ? '(all)' : o.checkpoints.join(','),
  state: o.disabled ? 'disabled' : 'active',
  updatedAt: new Date(o.updatedAt).toISOString(),
});

/** `officers list|set|disable|enable`. */
export async function runOfficers(
  ctx: AdminContext,
  words: readonly string[],
  v: OfficerFlags,
): Promise<number> {
  const [, sub, ...rest] = words;
  if (sub === 'list' || sub === undefined) {
    return show(
      ctx,
      await ctx.http.get('/api/v1/admin/officers'),
      (b: OfficerList) =>
        `roster version ${b.version}; new PINs: ${b.pinRule.minDigits}–${b.pinRule.maxDigits} digits\n` +
        table(b.officers.map(officerRow), OFFICER_COLUMNS),
    );
  }
  const [id, ...extra] = rest;
  if (id === undefined || extra.length > 0) throw new UsageError(`officers ${sub} ID`);
  const path = `/api/v1/admin/officers/${encodeURIComponent(id)}`;
  const human = (b: OfficerAnswer): string =>
    `${table([officerRow(b.officer)], OFFICER_COLUMNS)}\nroster version ${b.version}`;
  if (sub === 'disable' || sub === 'enable')
    return show(ctx, await ctx.http.post(`${path}/${sub}`, {}), human);
  if (sub === 'card') return staffCard(ctx, path, v);
  if (sub !== 'set') throw new UsageError(`unknown command: officers ${sub}`);
  if (v.role !== undefined && v.role !== 'officer' && v.role !== 'supervisor') {
    throw new UsageError('--role must be officer or supervisor');
  }
  if (v.checkpoints !== undefined && v['all-checkpoints']) {
    throw new UsageError('--checkpoints and --all-checkpoints exclude each other');
  }
  if (v.pin && v['pin-from-env']) throw new UsageError('--pin and --pin-from-env exclude each other');
  const checkpoints =
    v.checkpoints === undefined
      ? undefined
      : v.checkpoints
          .split(',')
          .map((c) => c.trim())
          .filter((c) => c !== '');
  if (checkpoints?.length === 0) throw new UsageError('--checkpoints needs at least one checkpoint id');
  let name = v.name;
  let role: string | undefined = v.role;
  if (name === undefined || role === undefined) {
    // The API replaces name and role: keep the current ones the command line leaves out.
    const current = await ctx.http.get('/api/v1/admin/officers');
    if (current.status !== 200) return failed(ctx, current);
    const existing = (current.data as OfficerList).officers.find((o) => o.id === id);
    if (existing === undefined)
      throw new UsageError(`officer ${id} is new: officers set needs --name and --role`);
    name ??= existing.name;
    role ??= existing.role;
  }
  const pin = v.pin || v['pin-from-env'] ? await readPin(ctx.io, id, v['pin-from-env']) : undefined;
  const res = await ctx.http.put(path, {
    name,
    role,
    ...(checkpoints !== undefined && { checkpoints }),
    ...(v['all-checkpoints'] && { checkpoints: null }),
    ...(pin !== undefined && { pin }),
  });
  return show(ctx, res, human);
}

/** An officer's PIN: `$CHECKPOINT_OFFICER_PIN`, else (unless `envOnly`) one line of stdin. */
async function readPin(io: AdminIo, id: string, envOnly: boolean): Promise<string> {
  const fromEnv = io.env.CHECKPOINT_OFFICER_PIN;
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  if (envOnly) throw new UsageError('--pin-from-env: CHECKPOINT_OFFICER_PIN is not set');
  const line = (await promptLine(io, `PIN for officer ${id} (shown as typed): `)).trim();
  if (line === '') throw new UsageError('no PIN: set CHECKPOINT_OFFICER_PIN or pipe one line to stdin');
  return line;
}

/**
 * `officers card ID --checkpoint CP [--days N] [--svg FILE]`: asks the server for a staff card,
 * prints its text (the human form adds its id and expiry) and writes its QR (level M) to FILE.
 */
async function staffCard(ctx: AdminContext, path: string, v: OfficerFlags): Promise<number> {
  if (v.checkpoint === undefined || v.checkpoint === '')
    throw new UsageError('officers card ID --checkpoint ID [--days N] [--svg FILE]');
  const days = wholeNumber('days', v.days);
  if (days !== undefined && (days < 1 || days > 90)) throw new UsageError('--days must be 1 to 90');
  if (v.svg === '') throw new UsageError('--svg needs a file name');
  const res = await ctx.http.post(`${path}/staff-card`, {
    checkpointId: v.checkpoint,
    ...(days !== undefined && { days }),
  });
  if (res.status !== 200) return failed(ctx, res);
  const card = res.data as StaffCardAnswer;
  if (v.svg !== undefined) {
    const svg = await QRCode.toString(card.text, { type: 'svg', errorCorrectionLevel: 'M', margin: 4 });
    await writeFile(v.svg, svg, { mode: 0o600 });
  }
  return show(ctx, res, (b: StaffCardAnswer) =>
    [
      b.text,
      `staff card ${b.cardId} for officer ${b.officerId} at ${b.checkpointId}, valid until ${new Date(b.expiresAt).toISOString()}`,
      ...(v.svg !== undefined ? [`QR written to ${v.svg}`] : []),
    ].join('\n'),
  );
}
