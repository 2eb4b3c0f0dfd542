import type { Migration } from './migration.js';

/**
 * Gate fault flaps (issue 17): a fault that comes back at a lane soon after its alert cleared
 * reopens that alert (see repositories/gate-alerts.ts), so each heartbeat holding a fault looks up
 * the lane's last alert of that fault. `alerts_gate_fault_last` finds it in one probe however many
 * alerts the table holds.
 */
export const migration013: Migration = {
  version: 13,
  name: 'gate-fault-flaps',
  up(db) {
    db.exec(`CREATE INDEX alerts_gate_fault_last ON alerts (kiosk_id, fault, id) WHERE kind = 'gate_fault';`);
  },
};
