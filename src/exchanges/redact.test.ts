import { redactText, redactUrl } from './redact';

describe('redact', () => {
  it('redactUrl(url) replaces user and password with ***', () => {
    expect(redactUrl('http://u:s3cret@host:8788/x')).toBe('http://***@host:8788/x');
    expect(redactUrl('postgres://rec:pw@db:5432/btc')).toBe('postgres://***@db:5432/btc');
  });
  it('redactText(text) redacts every URL in a message and leaves other text alone', () => {
    const msg = 'binance via http://a:b@m1/x failed; retry https://c@m2/y; mail me@example.com';
    const out = redactText(msg);
    expect(out).not.toContain('a:b');
    expect(out).toBe('binance via http://***@m1/x failed; retry https://***@m2/y; mail me@example.com');
  });
  it('redactUrl(url) leaves a URL without userinfo unchanged', () => {
    expect(redactUrl('http://127.0.0.1:8788/api?x=a@b')).toBe('http://127.0.0.1:8788/api?x=a@b');
  });
});
