import { describe, expect, it } from 'vitest';
import { fill, getLang, loadLang, setLang, t, TEXTS } from './i18n.js';

describe('i18n', () => {
  it('has every key in both languages, none empty', () => {
    const vi = Object.keys(TEXTS.vi).sort();
    const en = Object.keys(TEXTS.en).sort();
    expect(en).toEqual(vi);
    for (const lang of ['vi', 'en'] as const) {
      for (const [k, v] of Object.entries(TEXTS[lang])) expect(v.trim(), `${lang}.${k}`).not.toBe('');
    }
  });

  it('uses the same placeholders in both languages', () => {
    const names = (s: string): string[] => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1] ?? '').sort();
    for (const k of Object.keys(TEXTS.vi) as (keyof typeof TEXTS.vi)[]) {
      expect(names(TEXTS.en[k]), k).toEqual(names(TEXTS.vi[k]));
    }
  });

  it('has the sign-in error the spec asks for', () => {
    expect(TEXTS.vi.badCredentials).toBe('Sai tên đăng nhập hoặc mật khẩu');
    expect(TEXTS.vi.product).toBe('Trạm kiểm soát — Quản trị');
  });

  it('fills placeholders and leaves unknown ones', () => {
    expect(fill('a {n} b {m}', { n: 3 })).toBe('a 3 b {m}');
    expect(fill('plain')).toBe('plain');
  });

  it('starts in Vietnamese, switches and remembers English', () => {
    const store = new Map<string, string>();
    const storage = {
      getItem: (k: string) => store.get(k) ?? null,
      setItem: (k: string, v: string) => {
        store.set(k, v);
      },
    };
    expect(loadLang(storage)).toBe('vi');
    expect(t('navLists')).toBe('Danh sách');
    setLang('en', storage);
    expect(getLang()).toBe('en');
    expect(t('navLists')).toBe('Lists');
    expect(loadLang(storage)).toBe('en');
    expect(loadLang(undefined)).toBe('vi');
    const broken = {
      getItem: () => {
        throw new Error('denied');
      },
    };
    expect(loadLang(broken)).toBe('vi');
  });
});
