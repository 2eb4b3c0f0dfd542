import Value from 'typebox/value';
import { describe, expect, it } from 'vitest';
import { AccountCreateBodySchema, AccountUpdateBodySchema } from './admin/accounts.js';
import { CheckpointInputSchema } from './admin/checkpoints.js';
import { AuditQuerySchema } from './admin/fleet.js';
import { HealthEntryInputSchema, ROW_ERROR_CODES, WhitelistEntryInputSchema } from './admin/lists.js';
import { OfficerPutBodySchema } from './admin/officers.js';
import { AlertAckBodySchema } from './admin/scans.js';
import { EnrollRequest } from './kiosk-api.js';
import {
  explainSafeTextPattern,
  hasControlChar,
  replaceControlChars,
  SafeMultilineText,
  SafeText,
  SAFE_MULTILINE_PATTERN,
  SAFE_TEXT_PATTERN,
} from './safe-text.js';

// Every C0 control character, and the three a multi-line note keeps.
const C0 = Array.from({ length: 32 }, (_, i) => String.fromCharCode(i));
const LINE_BREAKS = ['\t', '\n', '\r'];

describe('SafeText and SafeMultilineText', () => {
  // Fastify's ajv checks the same patterns: sync-server/src/routes/bad-input.test.ts and
  // hostile-input.test.ts send these characters through the routes.
  it('refuses every C0 control character in one-line text', () => {
    const schema = SafeText({ maxLength: 100 });
    for (const c of C0) {
      for (const text of [c, `An${c}`, `${c}An`, `Nguyễn${c}Văn An`]) {
        expect(Value.Check(schema, text), JSON.stringify(text)).toBe(false);
      }
    }
    for (const text of ['', 'Nguyễn Văn An', 'Cổng số 2 — Mộc Bài', '🦄', '\u007F', '\u0085', '\uFFFD']) {
      expect(Value.Check(schema, text), JSON.stringify(text)).toBe(true);
    }
  });

  it('keeps tab, LF and CR in multi-line text and refuses the other C0 characters', () => {
    const schema = SafeMultilineText({ maxLength: 500 });
    for (const c of C0) {
      const allowed = LINE_BREAKS.includes(c);
      expect(Value.Check(schema, `dòng 1${c}dòng 2`), JSON.stringify(c)).toBe(allowed);
    }
    expect(Value.Check(schema, 'a\r\nb\tc')).toBe(true);
  });

  it('keeps the other string options and states the pattern', () => {
    const schema = SafeText({ minLength: 1, maxLength: 3, description: 'x' });
    expect(schema).toMatchObject({
      minLength: 1,
      maxLength: 3,
      description: 'x',
      pattern: SAFE_TEXT_PATTERN,
    });
    expect(Value.Check(schema, '')).toBe(false);
    expect(Value.Check(schema, 'abcd')).toBe(false);
    expect((SafeMultilineText() as { pattern?: string }).pattern).toBe(SAFE_MULTILINE_PATTERN);
  });
});

describe('the contract fields that hold free text', () => {
  const nul = 'A\u0000B';
  const bell = 'A\u0007B';
  it.each([
    ['EnrollRequest.name', EnrollRequest, { code: 'ABCD-1234', name: nul }],
    [
      'AccountCreateBody.displayName',
      AccountCreateBodySchema,
      { username: 'abc', displayName: nul, role: 'viewer', password: 'x'.repeat(12) },
    ],
    ['AccountUpdateBody.displayName', AccountUpdateBodySchema, { displayName: bell }],
    ['CheckpointInput.name', CheckpointInputSchema, { id: 'CP', name: nul, mode: 'open' }],
    ['OfficerPutBody.name', OfficerPutBodySchema, { name: 'An\nB', role: 'officer' }],
    ['HealthEntryInput.name', HealthEntryInputSchema, { status: 'F0', name: nul }],
    ['HealthEntryInput.note', HealthEntryInputSchema, { status: 'F0', note: nul }],
    ['WhitelistEntryInput.name', WhitelistEntryInputSchema, { category: 'shipper', name: bell }],
    ['WhitelistEntryInput.note', WhitelistEntryInputSchema, { category: 'shipper', note: bell }],
    ['AlertAckBody.note', AlertAckBodySchema, { note: nul }],
    ['AuditQuery.actor', AuditQuerySchema, { actor: nul }],
    ['AuditQuery.action', AuditQuerySchema, { action: nul }],
    ['AuditQuery.target', AuditQuerySchema, { target: nul }],
  ] as const)('%s refuses a control character', (_name, schema, value) => {
    expect(Value.Check(schema, value)).toBe(false);
    // The same value without the character is accepted: only the character is refused.
    const clean = JSON.parse(JSON.stringify(value).replace(/\\u000[07]|\\n/g, ' ')) as unknown;
    expect(Value.Check(schema, clean)).toBe(true);
  });

  it('lets notes keep their line breaks', () => {
    expect(Value.Check(HealthEntryInputSchema, { status: 'F0', note: 'dòng 1\r\ndòng 2\tx' })).toBe(true);
    expect(Value.Check(AlertAckBodySchema, { note: 'a\nb' })).toBe(true);
  });

  it('has a row error code for a control character in a CSV cell', () => {
    expect(ROW_ERROR_CODES).toContain('control_char');
  });
});

describe('hasControlChar and replaceControlChars', () => {
  it('finds and replaces each refused character with U+FFFD, counting them', () => {
    expect(hasControlChar('abc')).toBe(false);
    expect(hasControlChar('a\tb')).toBe(true);
    expect(hasControlChar('a\tb', true)).toBe(false);
    expect(hasControlChar('a\u0000b', true)).toBe(true);
    expect(replaceControlChars('a\u0000b\u0000\u001F')).toEqual({
      text: 'a\uFFFDb\uFFFD\uFFFD',
      replaced: 3,
    });
    expect(replaceControlChars('a\tb\u0000', true)).toEqual({ text: 'a\tb\uFFFD', replaced: 1 });
    expect(replaceControlChars('a\tb\u0000')).toEqual({ text: 'a\uFFFDb\uFFFD', replaced: 2 });
    expect(replaceControlChars('clean')).toEqual({ text: 'clean', replaced: 0 });
    // Twice in a row: no regexp state carried between calls.
    expect(hasControlChar('\u0000')).toBe(true);
    expect(hasControlChar('\u0000')).toBe(true);
  });

  it('says the patterns in words in a validator message', () => {
    expect(explainSafeTextPattern(`body/name must match pattern "${SAFE_TEXT_PATTERN}"`)).toBe(
      'body/name must not contain control characters (U+0000–U+001F, NUL, tab or line breaks)',
    );
    expect(explainSafeTextPattern(`body/note must match pattern "${SAFE_MULTILINE_PATTERN}"`)).toBe(
      'body/note must not contain control characters (U+0000–U+001F, NUL) other than tab and line breaks',
    );
    expect(explainSafeTextPattern('body/x must match pattern "^a$"')).toBe('body/x must match pattern "^a$"');
  });
});
