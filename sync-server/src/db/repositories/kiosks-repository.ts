import type { GateReport, ListRefusalReport } from '@checkpoint-lane/shared';
import type { Db } from '../open-database.js';
import {
  GATE_FAULT_FLAP_MS,
  gateFaultDetails,
  gateRedDetails,
  heldFaults,
  newGateReds,
  type GateHeartbeatResult,
} from './gate-alerts.js';

/** A device as a lane reports it in its heartbeat. */
export interface DeviceStatus {
  readonly name: string;
  readonly kind: string;
  readonly status: string;
}

/** A kiosk (lane) as the fleet view shows it. */
export interface KioskRecord {
  readonly id: string;
  readonly name: string;
  readonly checkpointId: string;
  readonly enrolledAt: number;
  readonly revokedAt: number | null;
  readonly lastHeartbeatAt: number | null;
  readonly listVersions: { readonly health: number | null; readonly whitelist: number | null };
  readonly backlog: number | null;
  readonly devices: DeviceStatus[];
  readonly clockSkewMs: number | null;
  readonly ackedThrough: number;
  /** The list data the lane last reported refusing (absent: none). */
  readonly listRefusals?: ListRefusalReport;
  /** The gate report of the last heartbeat (absent: it carried none). */
  readonly gate?: GateReport;
}

/** What a heartbeat reports (the server stores the latest per lane). */
export interface HeartbeatFacts {
  readonly health: number;
  readonly whitelist: number;
  readonly backlog: number;
  readonly devices: readonly DeviceStatus[];
  readonly clockSkewMs: number;
  /** The lane's gate (gate mode or a relay); absent: none. */
  readonly gate?: GateReport;
}

interface Row {
  id: string;
  name: string;
  checkpoint_id: string;
  enrolled_at: number;
  revoked_at: number | null;
  last_heartbeat_at: number | null;
  health_version: number | null;
  whitelist_version: number | null;
  backlog: number | null;
  devices: string | null;
  clock_skew_ms: number | null;
  acked_through: number;
  list_refusals: string | null;
  gate: string | null;
}

const toRecord = (r: Row): KioskRecord => ({
  id: r.id,
  name: r.name,
  checkpointId: r.checkpoint_id,
  enrolledAt: r.enrolled_at,
  revokedAt: r.revoked_at,
  lastHeartbeatAt: r.last_heartbeat_at,
  listVersions: { health: r.health_version, whitelist: r.whitelist_version },
  backlog: r.backlog,
  devices: r.devices === null ? [] : (JSON.parse(r.devices) as DeviceStatus[]),
  clockSkewMs: r.clock_skew_ms,
  ackedThrough: r.acked_through,
  ...(r.list_refusals !== null && { listRefusals: JSON.parse(r.list_refusals) as ListRefusalReport }),
  ...(r.gate !== null && { gate: JSON.parse(r.gate) as GateReport }),
});

/** Enrollment codes and enrolled kiosks (tokens are stored as hashes only). */
export class KiosksRepository {
  constructor(private readonly db: Db) {}

  /** Stores a one-time enrollment code's hash. */
  addEnrollmentCode(codeHash: string, checkpointId: string, now: number, expiresAt: number): void {
    this.db
      .prepare(
        'INSERT INTO enrollment_codes (code_hash, checkpoint_id, created_at, expires_at) VALUES (?, ?, ?, ?)',
      )
      .run(codeHash, checkpointId, now, expiresAt);
  }

  /**
   * Spends a code and enrolls a kiosk in one transaction. Null if the code is unknown,
   * expired or already used (a code works once, even under concurrent attempts).
   */
  enroll(
    codeHash: string,
    kiosk: { id: string; name: string; tokenHash: string },
    now: number,
  ): { checkpointId: string } | null {
    return this.db.transaction(() => {
      const code = this.db
        .prepare(
          'SELECT checkpoint_id FROM enrollment_codes WHERE code_hash = ? AND used_at IS NULL AND expires_at > ?',
        )
        .get(codeHash, now) as { checkpoint_id: string } | undefined;
      if (!code) return null;
      this.db
        .prepare('UPDATE enrollment_codes SET used_at = ?, kiosk_id = ? WHERE code_hash = ?')
        .run(now, kiosk.id, codeHash);
      this.db
        .prepare(
          'INSERT INTO kiosks (id, name, checkpoint_id, token_hash, enrolled_at) VALUES (?, ?, ?, ?, ?)',
        )
        .run(kiosk.id, kiosk.name, code.checkpoint_id, kiosk.tokenHash, now);
      return { checkpointId: code.checkpoint_id };
    })();
  }

  /** The kiosk a token hash belongs to (revoked ones too: the caller tells them apart). */
  findByTokenHash(
    tokenHash: string,
  ): { id: string; checkpointId: string; tokenHash: string; revoked: boolean } | null {
    const r = this.db
      .prepare('SELECT id, checkpoint_id, token_hash, revoked_at FROM kiosks WHERE token_hash = ?')
      .get(tokenHash) as
      { id: string; checkpoint_id: string; token_hash: string; revoked_at: number | null } | undefined;
    return r
      ? { id: r.id, checkpointId: r.checkpoint_id, tokenHash: r.token_hash, revoked: r.revoked_at !== null }
      : null;
  }

  /** One kiosk, or null. */
  get(id: string): KioskRecord | null {
    const r = this.db.prepare('SELECT * FROM kiosks WHERE id = ?').get(id) as Row | undefined;
    return r ? toRecord(r) : null;
  }

  /** Every kiosk, by checkpoint and name. */
  list(): KioskRecord[] {
    return (this.db.prepare('SELECT * FROM kiosks ORDER BY checkpoint_id, name, id').all() as Row[]).map(
      toRecord,
    );
  }

  /** Revokes a kiosk's token; false if there is no such kiosk. Idempotent. */
  revoke(id: string, now: number): boolean {
    const r = this.db
      .prepare('UPDATE kiosks SET revoked_at = coalesce(revoked_at, ?) WHERE id = ?')
      .run(now, id);
    return r.changes > 0;
  }

  /**
   * Records a heartbeat and, in the same transaction, the lane's gate alerts (see gate-alerts.ts):
   * answers the gate alerts raised, cleared and reopened.
   */
  heartbeat(id: string, hb: HeartbeatFacts, now: number): GateHeartbeatResult {
    return this.db.transaction((): GateHeartbeatResult => {
      const lane = this.db.prepare('SELECT name, checkpoint_id, gate FROM kiosks WHERE id = ?').get(id) as
        { name: string; checkpoint_id: string; gate: string | null } | undefined;
      this.db
        .prepare(
          `UPDATE kiosks SET last_heartbeat_at = ?, health_version = ?, whitelist_version = ?, backlog = ?,
             devices = ?, clock_skew_ms = ?, gate = ? WHERE id = ?`,
        )
        .run(
          now,
          hb.health,
          hb.whitelist,
          hb.backlog,
          JSON.stringify(hb.devices),
          hb.clockSkewMs,
          hb.gate === undefined ? null : JSON.stringify(hb.gate),
          id,
        );
      if (!lane) return { raised: [], cleared: [], reopened: [], hadGate: false };
      const report = hb.gate ?? null;
      // Open fault alerts exist only while the stored report holds their fault: a lane that had
      // no report and sends none (most lanes) has none to change.
      if (report === null && lane.gate === null)
        return { raised: [], cleared: [], reopened: [], hadGate: false };
      const place = { kioskId: id, kioskName: lane.name, checkpointId: lane.checkpoint_id };
      const faults = heldFaults(report);
      const cleared = (
        this.db
          .prepare(
            `UPDATE alerts SET cleared_at = ? WHERE kind = 'gate_fault' AND kiosk_id = ? AND cleared_at IS NULL
               AND fault NOT IN (SELECT value FROM json_each(?)) RETURNING id`,
          )
          .all(now, id, JSON.stringify(faults)) as { id: number }[]
      ).map((r) => r.id);
      const raised: number[] = [];
      const reopened: number[] = [];
      if (report !== null) {
        const insert = this.db.prepare(
          `INSERT OR IGNORE INTO alerts (kind, at, received_at, kiosk_id, checkpoint_id, scan_id, raised_by, details, fault)
           VALUES (?, ?, ?, ?, ?, NULL, 'server', ?, ?)`,
        );
        // The lane's last alert of the fault, when it cleared within the flap window: reopened
        // (an open one, or one cleared earlier, is left alone). SET reads the row as it was.
        const reopen = this.db.prepare(
          `UPDATE alerts SET cleared_at = NULL,
             details = json_set(details, '$.flaps', coalesce(json_extract(details, '$.flaps'), 0) + 1),
             acked_at = CASE WHEN acked_at < @ackedBefore THEN NULL ELSE acked_at END,
             acked_by = CASE WHEN acked_at < @ackedBefore THEN NULL ELSE acked_by END
           WHERE id = (SELECT id FROM alerts WHERE kind = 'gate_fault' AND kiosk_id = @kioskId AND fault = @fault
                       ORDER BY id DESC LIMIT 1)
             AND cleared_at IS NOT NULL AND cleared_at >= @clearedSince
           RETURNING id`,
        );
        for (const fault of faults) {
          const back = reopen.get({
            kioskId: id,
            fault,
            clearedSince: now - GATE_FAULT_FLAP_MS,
            ackedBefore: now - GATE_FAULT_FLAP_MS,
          }) as { id: number } | undefined;
          if (back) {
            reopened.push(back.id);
            continue;
          }
          const r = insert.run(
            'gate_fault',
            now,
            now,
            id,
            lane.checkpoint_id,
            JSON.stringify(gateFaultDetails(place, report, fault)),
            fault,
          );
          if (r.changes > 0) raised.push(Number(r.lastInsertRowid));
        }
        const previous = lane.gate === null ? null : (JSON.parse(lane.gate) as GateReport);
        const reds = newGateReds(previous, report);
        if (reds > 0) {
          const r = insert.run(
            'gate_red',
            now,
            now,
            id,
            lane.checkpoint_id,
            JSON.stringify(gateRedDetails(place, report, reds)),
            null,
          );
          raised.push(Number(r.lastInsertRowid));
        }
      }
      return { raised, cleared, reopened, hadGate: lane.gate !== null };
    })();
  }

  /** The ids of the unrevoked lanes at any of the checkpoints. */
  unrevokedAt(checkpointIds: readonly string[]): string[] {
    if (checkpointIds.length === 0) return [];
    return this.db
      .prepare(
        `SELECT id FROM kiosks
         WHERE revoked_at IS NULL AND checkpoint_id IN (SELECT value FROM json_each(?))`,
      )
      .pluck()
      .all(JSON.stringify(checkpointIds)) as string[];
  }
}
