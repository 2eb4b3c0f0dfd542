// Text a lane uploads (scan records, heartbeat device reports), made storable on every engine.
// A lane keeps a batch the server refuses and resends it forever, and a refused heartbeat counts
// the server as failed: so the server does not refuse a NUL or another C0 control character
// there (PostgreSQL cannot store a NUL; SQLite can), it replaces each with U+FFFD and counts them.
import { replaceControlChars, type DeviceReport, type LaneRecord } from '@checkpoint-lane/shared';

/** What was made storable, and how many control characters were replaced in it. */
export interface Storable<T> {
  readonly value: T;
  readonly replaced: number;
}

/**
 * Lane records with the control characters of their text fields replaced: one-line fields
 * (officer ids, reasons, sealed subjects) lose every C0 character, notes keep tab, LF and CR.
 * Records with nothing to replace are returned as they are.
 */
export function storableLaneRecords(records: readonly LaneRecord[]): Storable<LaneRecord[]> {
  let replaced = 0;
  const line = (s: string): string => {
    const r = replaceControlChars(s);
    replaced += r.replaced;
    return r.text;
  };
  const lines = (s: string): string => {
    const r = replaceControlChars(s, true);
    replaced += r.replaced;
    return r.text;
  };
  const value = records.map((r): LaneRecord => {
    switch (r.type) {
      case 'scan':
        return r.subjectSealed === null ? r : { ...r, subjectSealed: line(r.subjectSealed) };
      case 'override':
        return {
          ...r,
          officerId: line(r.officerId),
          supervisorId: r.supervisorId === null ? null : line(r.supervisorId),
          reason: line(r.reason),
          note: lines(r.note),
        };
      case 'ack':
        return { ...r, note: lines(r.note) };
    }
  });
  return { value: replaced === 0 ? [...records] : value, replaced };
}

/** Heartbeat device reports with every C0 control character of their strings replaced. */
export function storableDevices(devices: readonly DeviceReport[]): Storable<DeviceReport[]> {
  let replaced = 0;
  const line = (s: string): string => {
    const r = replaceControlChars(s);
    replaced += r.replaced;
    return r.text;
  };
  const value = devices.map((d) => ({ name: line(d.name), kind: line(d.kind), status: line(d.status) }));
  return { value, replaced };
}
