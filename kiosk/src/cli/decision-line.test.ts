import { describe, expect, it } from 'vitest';
import { officerDecisionLine } from './decision-line.js';

describe('officerDecisionLine', () => {
  it("shows the officer's view: headline, health words, reason, masked subject", () => {
    const line = officerDecisionLine(
      {
        decision: 'red',
        reasons: ['health_blocked'],
        subject: { kind: 'personal_id', masked: '••••3456' },
      },
      { healthStatus: 'F0' },
    );
    expect(line).toBe(
      'ĐỎ ✕ DỪNG LẠI — F0 — người nhiễm bệnh; Thuộc diện cách ly theo danh sách y tế · ••••3456',
    );
    expect(line).not.toContain('Vui lòng gặp cán bộ');
  });

  it('has no subject part when there is none', () => {
    expect(
      officerDecisionLine({ decision: 'amber', reasons: ['payload_unknown_format'], subject: null }),
    ).toBe('VÀNG ! KIỂM TRA — Không nhận dạng được loại mã');
  });
});
