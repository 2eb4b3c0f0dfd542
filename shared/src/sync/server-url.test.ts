import { describe, expect, it } from 'vitest';
import { checkServerUrl, checkServerUrls, isLoopbackHost } from './server-url.js';

const strict = { allowInsecureHttp: false };
const lax = { allowInsecureHttp: true };

describe('checkServerUrl', () => {
  it('accepts https anywhere', () => {
    expect(checkServerUrl('https://sync.example.vn', strict)).toEqual({
      ok: true,
      url: 'https://sync.example.vn',
      transport: 'https',
    });
    expect(checkServerUrl('https://10.0.0.5:8443/base', strict)).toMatchObject({
      ok: true,
      transport: 'https',
    });
  });

  it('accepts plain http to this machine only: 127.0.0.0/8, ::1, localhost, in any spelling', () => {
    for (const url of [
      'http://127.0.0.1:8080',
      'http://127.255.0.9',
      'http://127.1:8080',
      'http://0x7f000001/',
      'http://localhost:8080',
      'http://LOCALHOST',
      'http://lane.localhost:8080',
      'http://[::1]:8080',
      'http://[0:0:0:0:0:0:0:1]',
      'http://[::ffff:127.0.0.1]:8080',
    ])
      expect(checkServerUrl(url, strict), url).toMatchObject({ ok: true, transport: 'loopback-http' });
  });

  it('refuses plain http to any other host unless insecure http is allowed, and says why', () => {
    for (const url of [
      'http://10.0.0.5:8080',
      'http://192.168.1.20',
      'http://sync.example.vn',
      'http://128.0.0.1',
      'http://localhost.example.vn',
      'http://127.0.0.1.nip.io',
      'http://[::2]',
      'http://[::ffff:10.0.0.1]',
      'http://0.0.0.0:8080',
    ]) {
      const refused = checkServerUrl(url, strict);
      expect(refused, url).toMatchObject({ ok: false, reason: 'insecure' });
      if (!refused.ok) {
        expect(refused.message).toContain('plain http:// to another machine');
        expect(refused.message).toContain('--insecure-http');
        expect(refused.message).toContain('docs/tls.md');
      }
      expect(checkServerUrl(url, lax), url).toMatchObject({ ok: true, transport: 'insecure-http' });
    }
  });

  it('refuses what is not an http(s) URL, or hides credentials in it, even with insecure http allowed', () => {
    for (const url of ['', 'sync.example.vn', 'ftp://x', 'file:///etc/passwd', 'http://', 'https://u:p@x.vn'])
      expect(checkServerUrl(url, lax), url).toMatchObject({ ok: false, reason: 'invalid' });
    // A user name cannot smuggle a loopback look past the check.
    expect(checkServerUrl('http://127.0.0.1@evil.example', lax)).toMatchObject({
      ok: false,
      reason: 'invalid',
    });
    expect(checkServerUrl('http://127.0.0.1@evil.example', strict)).toMatchObject({ ok: false });
  });
});

describe('checkServerUrls', () => {
  it('checks every server of a comma-separated list', () => {
    const both = checkServerUrls('https://a.example.vn, http://127.0.0.1:8080', strict);
    expect(both).toMatchObject({ ok: true });
    if (both.ok) expect(both.urls.map((u) => u.transport)).toEqual(['https', 'loopback-http']);
    expect(checkServerUrls('https://a.example.vn,http://b.example.vn', strict)).toMatchObject({
      ok: false,
      reason: 'insecure',
      message: expect.stringContaining('http://b.example.vn') as unknown,
    });
    expect(checkServerUrls('https://a.example.vn,,https://b', strict)).toMatchObject({
      ok: false,
      reason: 'invalid',
    });
    expect(checkServerUrls('https://a.example.vn,http://b.example.vn', lax)).toMatchObject({ ok: true });
  });
});

describe('isLoopbackHost', () => {
  it('knows loopback hosts as the URL parser writes them', () => {
    expect(['127.0.0.1', 'localhost', '[::1]', '[::ffff:7f00:1]'].map(isLoopbackHost)).toEqual([
      true,
      true,
      true,
      true,
    ]);
    expect(['10.0.0.1', '::1', 'example.vn', '[::ffff:a00:1]', '1270.0.0.1'].map(isLoopbackHost)).toEqual([
      false,
      false,
      false,
      false,
      false,
    ]);
  });
});
