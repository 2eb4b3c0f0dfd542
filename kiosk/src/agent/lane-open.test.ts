// Opening a lane's data folder with sealed secrets: migrating a plain credentials file, a lane
// that cannot unseal (locked: amber, no sync), and enrollment that seals before it spends a code.
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseSubjectText } from '@checkpoint-lane/shared';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileKeyStore, INSECURE_KEY_FILE } from '../secrets/file-key-store.js';
import { insecureFileKeyStore } from '../secrets/key-store-choice.js';
import type { KeyStore } from '../secrets/key-store.js';
import { LaneVault, SECRETS_FILE } from '../secrets/lane-vault.js';
import { TpmKeyStore } from '../secrets/tpm-key-store.js';
import { FakeSyncServer } from '../sync/fake-sync-server.testkit.js';
import { writeOfflineLane } from '../testing/offline-lane.js';
import { LaneAgent, LaneStartError } from './lane-agent.js';
import { createSubjectKeyer } from './subject-keyer.js';

const listKey = Buffer.alloc(32, 7);
const F0 = '001090123456';
const CLEAN = '079201004568';
const NO_TPM: KeyStore = new TpmKeyStore('/nonexistent', { tcti: 'swtpm:path=/nonexistent/sock' });

let dir: string;
let logs: string[];
let agent: LaneAgent | null;

function logger(): pino.Logger {
  return pino({ level: 'info' }, { write: (line: string) => logs.push(line) });
}

async function open(keyStore: KeyStore = insecureFileKeyStore(dir)): Promise<LaneAgent> {
  agent = await LaneAgent.open({
    dataDir: dir,
    keyStore,
    scanners: [],
    logger: logger(),
    sync: { retry: { baseMs: 60_000, capMs: 60_000 } },
  });
  return agent;
}

/** The F0 listed and both lists fresh, so a clean ID would be green. */
function listF0(lane: LaneAgent): void {
  lane.store.overlayHealth([
    {
      key: createSubjectKeyer(listKey)(parseSubjectText(F0)!),
      entry: { status: 'F0', since: null, until: null },
    },
  ]);
  lane.store.markSynced('health', Date.now());
  lane.store.markSynced('whitelist', Date.now());
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'lane-open-'));
  logs = [];
  agent = null;
});

afterEach(async () => {
  await agent?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('a plain lane-credentials.json', () => {
  it('is moved into the sealed store and deleted; the lane decides as before, and again after a restart', async () => {
    writeOfflineLane(dir, { listKey });
    const plain = join(dir, 'lane-credentials.json');
    expect(existsSync(plain)).toBe(true);
    const lane = await open();
    expect(existsSync(plain)).toBe(false);
    expect(existsSync(join(dir, SECRETS_FILE))).toBe(true);
    expect(lane.lock).toBeNull();
    expect(lane.credentials?.listKey).toBe(listKey.toString('base64'));
    expect(logs.join('')).toMatch(
      /lane-credentials.json migrated into the file key store: the plain copy was overwritten and deleted/,
    );
    listF0(lane);
    expect(lane.submit(F0)).toMatchObject({ decision: 'red', reasons: ['health_blocked'] });
    expect(lane.submit(CLEAN)).toMatchObject({ decision: 'green' });
    await lane.stop();

    const again = await open();
    expect(again.credentials?.kioskId).toBe('k-1');
    expect(again.submit(F0)).toMatchObject({ decision: 'red' });
    // The secrets file holds K in no readable form.
    const sealed = readFileSync(join(dir, SECRETS_FILE), 'utf8');
    expect(sealed).not.toContain(listKey.toString('base64'));
  });

  it('stays where it is when it cannot be sealed, and the lane says why', async () => {
    writeOfflineLane(dir, { listKey });
    await expect(open(NO_TPM)).rejects.toThrow(
      /cannot move lane-credentials.json into the tpm key store: no TPM reachable .*The plain file is left as it was/,
    );
    expect(existsSync(join(dir, 'lane-credentials.json'))).toBe(true);
    expect(existsSync(join(dir, SECRETS_FILE))).toBe(false);
  });

  it('left zero-filled beside the sealed secrets (a wipe cut short by a crash) is wiped; the lane opens', async () => {
    writeOfflineLane(dir, { listKey });
    const plain = join(dir, 'lane-credentials.json');
    const size = statSync(plain).size;
    await open();
    await agent?.stop();
    // The state a crash between the zero-fill and the unlink leaves.
    writeFileSync(plain, Buffer.alloc(size));
    logs = [];
    const lane = await open();
    expect(lane.lock).toBeNull();
    expect(lane.credentials?.kioskId).toBe('k-1');
    expect(existsSync(plain)).toBe(false);
  });

  it('beside the sealed secrets is never read: a damaged one is wiped and the lane opens', async () => {
    writeOfflineLane(dir, { listKey });
    await open();
    await agent?.stop();
    writeFileSync(join(dir, 'lane-credentials.json'), '{"serverUrl": "http://127.0.0.1:1", trunc');
    const lane = await open();
    expect(lane.lock).toBeNull();
    expect(existsSync(join(dir, 'lane-credentials.json'))).toBe(false);
  });

  it('empty or zero-filled with no sealed secrets counts as none: wiped, and the lane asks to enroll', async () => {
    for (const content of [Buffer.alloc(0), Buffer.alloc(700)]) {
      writeFileSync(join(dir, 'lane-credentials.json'), content);
      await expect(open()).rejects.toThrow(/this lane is not enrolled: start it once with --enroll CODE/);
      expect(existsSync(join(dir, 'lane-credentials.json'))).toBe(false);
    }
  });

  it('beside sealed secrets that do not unseal is wiped all the same (the sealed store holds it)', async () => {
    writeOfflineLane(dir, { listKey });
    const plain = join(dir, 'lane-credentials.json');
    const copy = readFileSync(plain);
    await open();
    await agent?.stop();
    rmSync(join(dir, INSECURE_KEY_FILE));
    writeFileSync(plain, copy, { mode: 0o600 });
    const lane = await open();
    expect(lane.lock).toMatchObject({ code: 'missing' });
    expect(existsSync(plain)).toBe(false);
    expect(logs.join('')).toMatch(
      /lane-credentials.json already in the sealed store: the plain copy was overwritten and deleted/,
    );
  });
});

describe('the data folder', () => {
  it.skipIf(process.platform === 'win32')(
    'is tightened to 0700 when others could read it, saying so',
    async () => {
      writeOfflineLane(dir, { listKey });
      chmodSync(dir, 0o755);
      await open();
      expect(statSync(dir).mode & 0o777).toBe(0o700);
      expect(logs.join('')).toMatch(/the data folder .* was open to other users \(mode 0755\): set to 0700/);
    },
  );
});

describe('a lane that cannot unseal its secrets', () => {
  it('starts locked: every scan amber lane_locked (never green, never red), recorded, no sync, and it says why', async () => {
    writeOfflineLane(dir, { listKey });
    listF0(await open());
    await agent?.stop();
    // The sealed key is gone (as a TPM that was reset would have it).
    rmSync(join(dir, INSECURE_KEY_FILE));
    logs = [];
    const lane = await open();
    expect(lane.lock).toMatchObject({ code: 'missing', identity: { kioskId: 'k-1', checkpointId: 'CP-1' } });
    expect(lane.lock?.message).toMatch(
      /cannot unseal the lane's secrets \(missing\).*decides every scan amber/,
    );
    expect(lane.credentials).toBeNull();
    expect(logs.join('')).toMatch(/LANE LOCKED/);
    await lane.start(1000);
    for (const code of [F0, CLEAN, 'garbage']) {
      const d = lane.submit(code);
      expect(d).toMatchObject({ decision: 'amber', reasons: ['lane_locked'], alert: false });
      expect(d.scanId).not.toBeNull();
    }
    expect(lane.submit(F0)).toMatchObject({ decision: 'amber', reasons: ['lane_locked', 'repeat_scan'] });
    const status = lane.status();
    expect(status.sync).toMatchObject({ online: false, listsSyncedAt: { health: null, whitelist: null } });
    expect(status.sync.lastError).toMatch(/^lane_locked: /);
    expect(status.checkpoint.id).toBe('CP-1');
    expect(lane.store.backlog().count).toBe(3);
    expect(await lane.syncListsNow()).toEqual([false, false]);
    expect(await lane.drainOutbox(10)).toBe(3);
    expect(lane.officers()).toEqual([]);
  });

  it('is locked when started with another key store than the one that sealed, naming it', async () => {
    writeOfflineLane(dir, { listKey });
    await (await open()).stop();
    const lane = await open(NO_TPM);
    expect(lane.lock).toMatchObject({ code: 'wrong-store', message: /start it with --key-store file/ });
    expect(lane.submit(F0)).toMatchObject({ decision: 'amber', reasons: ['lane_locked'] });
  });

  it('is locked when its secrets file is damaged', async () => {
    writeOfflineLane(dir, { listKey });
    await (await open()).stop();
    const file = join(dir, SECRETS_FILE);
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>;
    expect((await LaneVault.open(dir, new FileKeyStore(dir))).ok).toBe(true);
    writeFileSync(file, JSON.stringify({ ...parsed, tag: Buffer.alloc(16).toString('base64') }));
    const lane = await open();
    expect(lane.lock).toMatchObject({ code: 'corrupt' });
  });
});

describe('enrollment', () => {
  it('seals first: a lane whose key store cannot seal does not spend its code', async () => {
    const server = await FakeSyncServer.start();
    try {
      await expect(
        LaneAgent.open({
          dataDir: dir,
          keyStore: NO_TPM,
          serverUrl: server.url,
          enrollCode: 'ABCD-EFGH',
          scanners: [],
          logger: logger(),
        }),
      ).rejects.toThrow(LaneStartError);
      await expect(
        LaneAgent.open({
          dataDir: dir,
          keyStore: NO_TPM,
          serverUrl: server.url,
          enrollCode: 'ABCD-EFGH',
          scanners: [],
          logger: logger(),
        }),
      ).rejects.toThrow(
        /cannot seal the lane's secrets with the tpm key store \(unavailable\).*the enrollment code was not used/,
      );
      expect(server.requests).toEqual([]);
      expect(existsSync(join(dir, SECRETS_FILE))).toBe(false);
    } finally {
      await server.close();
    }
  });

  it('with the file store, warns that it is insecure at every start', async () => {
    writeOfflineLane(dir, { listKey });
    await (await open()).stop();
    logs = [];
    await open();
    expect(logs.filter((l) => l.includes('INSECURE: --key-store file'))).toHaveLength(1);
  });
});
