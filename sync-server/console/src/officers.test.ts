import { describe, expect, it } from 'vitest';
import { ApiError } from './api.js';
import { t, TEXTS } from './i18n.js';
import {
  officerBody,
  officerErrorKey,
  officerErrorText,
  officerForm,
  officerFormProblem,
  pinProblem,
  pinRuleVars,
  toggleCheckpoint,
  type OfficerForm,
} from './officers.js';
import type { Officer } from './types.js';

const base: OfficerForm = { ...officerForm(null), id: 'CB-01', name: ' Nguyễn Văn B ', pin: '246813' };
const existing: Officer = {
  id: 'CB-02',
  name: 'Trần C',
  role: 'supervisor',
  checkpoints: ['HCM-01'],
  disabled: false,
  updatedAt: 1,
};

describe('officer form', () => {
  it('starts a new officer at every checkpoint, and fills an existing one without its PIN', () => {
    expect(officerForm(null)).toEqual({
      id: '',
      name: '',
      role: 'officer',
      all: true,
      checkpoints: [],
      pin: '',
    });
    expect(officerForm(existing)).toEqual({
      id: 'CB-02',
      name: 'Trần C',
      role: 'supervisor',
      all: false,
      checkpoints: ['HCM-01'],
      pin: '',
    });
    expect(officerForm({ ...existing, checkpoints: null }).all).toBe(true);
  });

  it('needs a PIN of 6 to 8 digits by default for a new officer, and none to keep the old one', () => {
    expect(officerFormProblem(base, true)).toBeNull();
    expect(officerFormProblem({ ...base, pin: '' }, true)).toBe('officerPinRequired');
    expect(officerFormProblem({ ...base, pin: '' }, false)).toBeNull();
    for (const pin of ['123456789', '12a456', ' 123456', '١٢٣٤٥٦']) {
      expect(officerFormProblem({ ...base, pin }, false), pin).toBe('officerPinInvalid');
    }
    for (const pin of ['1', '1234', '12345']) {
      expect(officerFormProblem({ ...base, pin }, false), pin).toBe('officerPinTooShort');
    }
    expect(officerFormProblem({ ...base, pin: '12345678' }, true)).toBeNull();
  });

  it('follows the server’s PIN rule and says it in words', () => {
    const four = { minDigits: 4, maxDigits: 8 };
    expect(pinProblem('1234', four)).toBeNull();
    expect(pinProblem('123', four)).toBe('officerPinTooShort');
    expect(officerFormProblem({ ...base, pin: '1234' }, true, four)).toBeNull();
    const eight = { minDigits: 8, maxDigits: 8 };
    expect(pinProblem('1234567', eight)).toBe('officerPinTooShort');
    expect(pinProblem('12345678', eight)).toBeNull();
    const refused = new ApiError(400, 'pin_too_short', 'a new PIN needs 8 to 8 digits');
    expect(officerErrorKey(refused)).toBe('officerPinTooShort');
    expect(officerErrorText(refused, eight)).toBe(
      'PIN mới phải có ít nhất 8 chữ số (nhiều nhất 8), theo cài đặt của máy chủ. PIN ngắn hơn đã đặt từ trước vẫn dùng được ở làn cho đến khi đổi.',
    );
    expect(officerErrorText(new ApiError(400, 'pin_required', 'x'))).toBe(
      'Cán bộ mới cần có PIN (6–8 chữ số).',
    );
    expect(t('officerPin', pinRuleVars(four))).toBe('PIN (4–8 chữ số)');
  });

  it('checks the id (new only), the name and the checkpoints', () => {
    expect(officerFormProblem({ ...base, id: '-x' }, true)).toBe('officerIdInvalid');
    expect(officerFormProblem({ ...base, id: 'a'.repeat(65) }, true)).toBe('officerIdInvalid');
    expect(officerFormProblem({ ...base, id: 'cb.07_x-1' }, true)).toBeNull();
    expect(officerFormProblem({ ...base, name: '  ' }, true)).toBe('officerNameRequired');
    expect(officerFormProblem({ ...base, all: false, checkpoints: [] }, true)).toBe(
      'officerCheckpointsRequired',
    );
    expect(officerFormProblem({ ...base, all: false, checkpoints: ['HCM-01'] }, true)).toBeNull();
  });

  it('sends null for every checkpoint, the trimmed name, and the PIN only when typed', () => {
    expect(officerBody(base)).toEqual({
      name: 'Nguyễn Văn B',
      role: 'officer',
      checkpoints: null,
      pin: '246813',
    });
    expect(officerBody({ ...base, all: false, checkpoints: ['A', 'B', 'A'], pin: '' })).toEqual({
      name: 'Nguyễn Văn B',
      role: 'officer',
      checkpoints: ['A', 'B'],
    });
  });

  it('keeps the chosen checkpoints in list order, unknown ones last', () => {
    const order = ['A', 'B', 'C'];
    expect(toggleCheckpoint([], 'C', true, order)).toEqual(['C']);
    expect(toggleCheckpoint(['C'], 'A', true, order)).toEqual(['A', 'C']);
    expect(toggleCheckpoint(['A', 'C', 'Z'], 'B', true, order)).toEqual(['A', 'B', 'C', 'Z']);
    expect(toggleCheckpoint(['A', 'C'], 'A', false, order)).toEqual(['C']);
  });

  it('names the server refusals in words', () => {
    expect(officerErrorKey(new ApiError(409, 'pin_in_use', 'x'))).toBe('officerPinInUse');
    expect(officerErrorKey(new ApiError(400, 'pin_required', 'x'))).toBe('officerPinRequired');
    expect(officerErrorKey(new ApiError(400, 'unknown_checkpoint', 'x'))).toBe('officerUnknownCheckpoint');
    expect(officerErrorKey(new ApiError(404, 'unknown_officer', 'x'))).toBe('officerUnknown');
    expect(officerErrorKey(new ApiError(500, 'internal', 'x'))).toBeNull();
    expect(officerErrorKey(new Error('x'))).toBeNull();
    expect(officerErrorText(new ApiError(409, 'pin_in_use', 'x'))).toBe(
      'PIN này đã có cán bộ khác dùng tại cùng chốt',
    );
    expect(TEXTS.vi.officerPinKeep).toBe('để trống để giữ PIN cũ; PIN mới cần {min}–{max} chữ số');
    expect(officerErrorText(new ApiError(500, 'internal', 'server says no'))).toBe('server says no');
  });
});
