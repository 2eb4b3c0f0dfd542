import { describe, expect, it } from 'vitest';
import { LANE_RECORD_ISSUES, OVERRIDE_REASONS } from '@checkpoint-lane/shared';
import { healthStatusText, issueText, overrideReasonText, reasonText, warningText } from './codes.js';

describe('code texts', () => {
  it("shows the lane's own words for reasons and warnings", () => {
    expect(reasonText('health_blocked', 'vi')).toEqual({
      code: 'health_blocked',
      text: 'Thuộc diện cách ly theo danh sách y tế',
      known: true,
    });
    expect(reasonText('not_flagged', 'en').text).toBe('Not flagged');
    expect(warningText('card_reformatted', 'vi').text).toBe('Mã thẻ đã bị định dạng lại bởi ứng dụng');
  });

  it('falls back to the code itself for an unknown code', () => {
    expect(reasonText('brand_new_reason', 'vi')).toEqual({
      code: 'brand_new_reason',
      text: 'brand_new_reason',
      known: false,
    });
    expect(warningText('toString', 'en').known).toBe(false);
    expect(overrideReasonText('constructor', 'vi')).toMatchObject({ text: 'constructor', known: false });
    expect(healthStatusText('F9', 'vi')).toMatchObject({ text: 'F9', known: false });
    expect(healthStatusText(null, 'vi').text).toBe('—');
  });

  it("has words for every override reason the lane's touchscreen offers", () => {
    for (const code of OVERRIDE_REASONS) {
      expect(overrideReasonText(code, 'vi').known, code).toBe(true);
      expect(overrideReasonText(code, 'en').known, code).toBe(true);
    }
    expect(overrideReasonText('document_mismatch', 'vi').text).toBe('Giấy tờ không khớp');
  });

  it('has words for every reason the server distrusts a lane record', () => {
    for (const code of [...LANE_RECORD_ISSUES, 'unchecked']) {
      expect(issueText(code, 'vi').known, code).toBe(true);
      expect(issueText(code, 'en').known, code).toBe(true);
    }
    expect(issueText('before_scan', 'vi').text).toBe(
      'ghi giờ trước cả lượt quét (đồng hồ làn sai hoặc ghi lùi giờ)',
    );
  });

  it('explains health statuses briefly', () => {
    expect(healthStatusText('F0', 'vi').text).toBe('F0 · ca bệnh');
    expect(healthStatusText('F1', 'en').text).toBe('F1 · close contact');
  });
});
