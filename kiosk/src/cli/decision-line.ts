// The lane's plain-text decision line on stdout (without --json): the officer's view, not the
// traveller's neutral sentence, so whoever runs the lane in a terminal sees why.
import { describeReason, type HealthStatus } from '@checkpoint-lane/shared';
import type { LaneDecision } from '../agent/decision-loop.js';
import type { OfficerDetails } from '../agent/desk.js';

const HEADLINE = { green: 'XANH ✓ ĐƯỢC QUA', red: 'ĐỎ ✕ DỪNG LẠI', amber: 'VÀNG ! KIỂM TRA' } as const;

const HEALTH: Readonly<Record<HealthStatus, string>> = {
  F0: 'F0 — người nhiễm bệnh',
  F1: 'F1 — tiếp xúc gần với F0',
  F2: 'F2 — tiếp xúc với F1',
  F3: 'F3 — tiếp xúc với F2',
  recovered: 'Đã khỏi bệnh',
  deceased: 'Danh sách ghi đã mất',
};

/** One decision as the officer reads it: colour, health status words, reasons, masked subject. */
export function officerDecisionLine(
  d: Pick<LaneDecision, 'decision' | 'reasons' | 'subject'>,
  details?: Pick<OfficerDetails, 'healthStatus'>,
): string {
  const parts: string[] = [];
  if (details?.healthStatus) parts.push(HEALTH[details.healthStatus]);
  parts.push(...d.reasons.map((r) => describeReason(r)));
  // Only the masked form (••••3456), never the full number: this line may land in a log.
  const who = d.subject ? ` · ${d.subject.masked}` : '';
  return `${HEADLINE[d.decision]} — ${parts.join('; ')}${who}`;
}
