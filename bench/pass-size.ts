// Lane pass size: the QR version and module count at error correction M of CLP1 passes without a
// plate and with plates of each length a compact plate can have (8–10 characters), as the
// `qrcode` package encodes them (automatic segments, and the whole text as one alphanumeric
// segment); a base64url text of the same bytes in byte mode for comparison. Issue 16 requires
// version ≤ 10 at M. Not a test. Run: npx tsc -b shared && npx tsx bench/pass-size.ts
import { randomBytes } from 'node:crypto';
import { decodeBase45, formatPass, parsePass, type PassBody } from '@checkpoint-lane/shared';
import QRCode from 'qrcode';

const body: PassBody = {
  keyId: 1,
  passId: randomBytes(8).toString('hex'),
  personalId: '079090123456',
  validFrom: Date.UTC(2026, 11, 1),
  validUntil: Date.UTC(2026, 11, 1) + 65535 * 60_000,
  from: { province: 1, district: 1, ward: 4 },
  to: { province: 79, district: 760, ward: 26734 },
  plate: null,
};

interface Row {
  case: string;
  bytes: number;
  chars: number;
  version: number;
  modules: number;
  alnumVersion: number;
  base64urlChars: number;
  base64urlVersion: number;
}

const rows: Row[] = [];
for (const [name, plate] of [
  ['no plate', null],
  ['car plate 51F12345 (8)', '51F12345'],
  ['motorbike 59X112345 (9)', '59X112345'],
  ['plate 29LD123456 (10)', '29LD123456'],
] as const) {
  const text = formatPass({ ...body, plate }, randomBytes(64));
  const parsed = parsePass(text);
  if (!parsed.ok) throw new Error(parsed.error.message);
  const auto = QRCode.create(text, { errorCorrectionLevel: 'M' });
  const alnum = QRCode.create([{ data: text, mode: 'alphanumeric' }], { errorCorrectionLevel: 'M' });
  const raw = decodeBase45(text.slice(5));
  if (raw === null) throw new Error('not base45');
  const b64 = `CLP1:${Buffer.from(raw).toString('base64url')}`;
  const byteMode = QRCode.create([{ data: Buffer.from(b64, 'latin1'), mode: 'byte' }], {
    errorCorrectionLevel: 'M',
  });
  rows.push({
    case: name,
    bytes: raw.length,
    chars: text.length,
    version: auto.version,
    modules: auto.modules.size,
    alnumVersion: alnum.version,
    base64urlChars: b64.length,
    base64urlVersion: byteMode.version,
  });
}

console.log('lane pass (CLP1) size, QR error correction M');
console.log(
  'case                          bytes chars  version modules  (1 alnum segment)  base64url: chars version',
);
for (const r of rows) {
  console.log(
    `${r.case.padEnd(29)} ${String(r.bytes).padStart(5)} ${String(r.chars).padStart(5)}  ` +
      `${String(r.version).padStart(7)} ${`${r.modules}×${r.modules}`.padStart(7)}  ` +
      `${String(r.alnumVersion).padStart(17)}  ${String(r.base64urlChars).padStart(16)} ${String(r.base64urlVersion).padStart(7)}`,
  );
}
console.log(JSON.stringify({ bench: 'pass-size', rows }));
