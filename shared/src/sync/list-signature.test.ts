import { describe, expect, it } from 'vitest';
import {
  canonicalChangeLine,
  formatListSignature,
  keyEndorsementMessage,
  listSignatureMessage,
  listSignatureScope,
  parseListSignature,
  type SignedListFacts,
} from './list-signature.js';

const DIGEST = 'ab'.repeat(32);
const FACTS: SignedListFacts = {
  kind: 'changes',
  list: 'whitelist',
  scope: 'CP-1',
  fromVersion: 7,
  toVersion: 9,
  count: 1234,
  issuedAt: 1_700_000_000_000,
  digest: DIGEST,
};

describe('listSignatureMessage', () => {
  it('writes the fields in their fixed order, one per line, no trailing newline', () => {
    expect(listSignatureMessage(FACTS)).toBe(
      `CLSIG2\nchanges\nwhitelist\nCP-1\n7\n9\n1234\n1700000000000\n${DIGEST}`,
    );
    expect(
      listSignatureMessage({ ...FACTS, kind: 'snapshot', list: 'health', scope: '', fromVersion: 0 }),
    ).toBe(`CLSIG2\nsnapshot\nhealth\n\n0\n9\n1234\n1700000000000\n${DIGEST}`);
  });

  it('differs for every field (another version, scope, count or kind is another message)', () => {
    const base = listSignatureMessage(FACTS);
    const variants: Partial<SignedListFacts>[] = [
      { kind: 'snapshot' },
      { list: 'health' },
      { scope: 'CP-2' },
      { fromVersion: 8 },
      { toVersion: 10 },
      { count: 1235 },
      { issuedAt: 1_700_000_000_001 },
      { digest: 'ac'.repeat(32) },
    ];
    const messages = variants.map((v) => listSignatureMessage({ ...FACTS, ...v }));
    expect(new Set([base, ...messages]).size).toBe(variants.length + 1);
  });

  it('refuses values it cannot write unambiguously', () => {
    expect(() => listSignatureMessage({ ...FACTS, scope: 'CP-1\n0' })).toThrow(/one line/);
    expect(() => listSignatureMessage({ ...FACTS, count: -1 })).toThrow(/whole number/);
    expect(() => listSignatureMessage({ ...FACTS, toVersion: 1.5 })).toThrow(/whole number/);
    expect(() => listSignatureMessage({ ...FACTS, digest: 'AB'.repeat(32) })).toThrow(/hex/);
  });
});

describe('listSignatureScope', () => {
  it('binds the whitelist to the lane’s checkpoint and the health list to none', () => {
    expect(listSignatureScope('whitelist', 'CP-1')).toBe('CP-1');
    expect(listSignatureScope('health', 'CP-1')).toBe('');
  });
});

describe('canonicalChangeLine', () => {
  it('is the same for the same change however its JSON was written', () => {
    const a = JSON.parse(
      '{"key":"00000000000000ff","op":"put","entry":{"until":null,"status":"F0","since":5}}',
    ) as {
      key: string;
      op: string;
      entry: object;
    };
    const b = JSON.parse(
      '{ "op" : "put", "entry" : { "since":5, "status":"\\u0046\\u0030", "until":null }, "key":"00000000000000ff" }',
    ) as typeof a;
    expect(canonicalChangeLine(a)).toBe(canonicalChangeLine(b));
    expect(canonicalChangeLine(a)).toBe('00000000000000ff\tput\t+\t"F0"\t5\tnull\t\t\t\t\n');
  });

  it('tells an absent field from null, and a delete from a put', () => {
    const put = { key: '0000000000000001', op: 'put', entry: { status: 'F1' } };
    expect(canonicalChangeLine(put)).not.toBe(
      canonicalChangeLine({ ...put, entry: { status: 'F1', since: null } }),
    );
    expect(canonicalChangeLine({ key: '0000000000000001', op: 'delete' })).toBe(
      '0000000000000001\tdelete\t-\n',
    );
    expect(
      canonicalChangeLine({
        key: '0000000000000002',
        op: 'put',
        entry: { category: 'permit', validFrom: null, validUntil: 9, checkpoints: ['CP-1'] },
      }),
    ).toBe('0000000000000002\tput\t+\t\t\t\t"permit"\tnull\t9\t["CP-1"]\n');
  });

  it('keeps a tab or newline inside a value from looking like a separator', () => {
    const line = canonicalChangeLine({ key: '0000000000000001', op: 'put', entry: { status: 'F0\t\n' } });
    expect(line.split('\t')).toHaveLength(10);
    expect(line.indexOf('\n')).toBe(line.length - 1);
  });
});

describe('signature text', () => {
  const sig = `${'A'.repeat(86)}==`;
  it('round-trips keyId:base64 and refuses anything else', () => {
    expect(parseListSignature(formatListSignature('0123456789abcdef', sig))).toEqual({
      keyId: '0123456789abcdef',
      signature: sig,
    });
    expect(parseListSignature(`0123456789abcdef:${'A'.repeat(84)}==`)).toBeNull();
    expect(parseListSignature(`0123456789ABCDEF:${sig}`)).toBeNull();
    expect(parseListSignature(sig)).toBeNull();
  });
});

describe('keyEndorsementMessage', () => {
  it('names the new key and when the signer stops', () => {
    expect(
      keyEndorsementMessage(
        { id: '0123456789abcdef', publicKey: `${'B'.repeat(43)}=`, validFrom: 1000 },
        { id: 'fedcba9876543210', validUntil: 2000 },
      ),
    ).toBe(`CLKEY1\n0123456789abcdef\n${'B'.repeat(43)}=\n1000\nfedcba9876543210\n2000`);
  });
});
