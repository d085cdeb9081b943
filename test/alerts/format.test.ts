import { describe, expect, it } from 'vitest';
import { capOutbox } from '../../src/alerts/fold.js';
import { cut, cutBytes, escapeHtml, htmlBody, isoTime, noticeEmoji, subject, SUBJECT_MAX, textBody } from '../../src/alerts/format.js';
import { manyNotices, message, notice, T0 } from './channels/fixtures.js';

describe('subject', () => {
  it('is the level and the title for one notice', () => {
    expect(subject(message([notice()]))).toBe('[CRITICAL] health-proxy is down');
  });

  it('counts the services and lists the titles for several notices', () => {
    const notices = [
      notice({ service: 'a', title: 'a is down' }),
      notice({ service: 'b', title: 'b is down' }),
      notice({ service: 'c', kind: 'resolved', level: 'info', title: 'c is back up' }),
    ];
    expect(subject(message(notices))).toBe('[CRITICAL] 3 services: a is down, b is down, c is back up');
  });

  it('stays short when many services fail, saying how many more there are', () => {
    const text = subject(message(manyNotices(30)));
    expect(text.startsWith('[CRITICAL] 30 services: svc-01 is down, svc-02 is down')).toBe(true);
    expect(text).toMatch(/ and \d+ more$/);
    expect(text.length).toBeLessThanOrEqual(SUBJECT_MAX + '[CRITICAL] '.length);
  });

  it('cuts one very long title with an ellipsis', () => {
    const text = subject(message([notice({ title: 'x'.repeat(500) })]));
    expect(text.length).toBeLessThanOrEqual(SUBJECT_MAX + '[CRITICAL] '.length);
    expect(text.endsWith('…')).toBe(true);
  });

  it.each([
    { kinds: ['healed'] as const, tag: '[HEALED]' },
    { kinds: ['resolved'] as const, tag: '[RESOLVED]' },
    { kinds: ['healed', 'resolved'] as const, tag: '[RESOLVED]' },
    { kinds: ['down', 'resolved'] as const, tag: '[CRITICAL]' },
  ])('tags a message of $kinds notices $tag', ({ kinds, tag }) => {
    const notices = kinds.map((kind, i) => notice({ kind, service: `s${i}`, title: `s${i} changed` }));
    expect(subject(message(notices)).startsWith(`${tag} `)).toBe(true);
  });

  it('marks a reminder', () => {
    expect(subject(message([notice({ reminder: true })]))).toBe('[CRITICAL] health-proxy is down (reminder)');
  });

  it('keeps a title with line breaks on one line, so it cannot inject a header', () => {
    expect(subject(message([notice({ title: 'api is down\r\nBcc: evil@example.com' })]))).toBe(
      '[CRITICAL] api is down Bcc: evil@example.com',
    );
  });
});

describe('text body', () => {
  it('says what failed, what heal did, since when, where, and the notice id', () => {
    const text = textBody(message([notice()]));
    expect(text).toContain('[CRITICAL] health-proxy is down');
    expect(text).toMatch(/What failed: +port 127\.0\.0\.1:3002: connection refused/);
    expect(text).toMatch(/What heal did: +restarted \(launchd: com\.example\.health-proxy\), still failing/);
    expect(text).toMatch(/Since: +2025-03-01T11:48:00Z \(for 12m\)/);
    expect(text).toMatch(/Host: +build-box/);
    expect(text).toMatch(/Notice: +n-health-proxy-down/);
    expect(text).toContain('message msg-0001');
  });

  it('says how long a resolved service was down', () => {
    const text = textBody(message([notice({ kind: 'resolved', title: 'health-proxy is back up', downForMs: 25 * 60_000, at: T0 })]));
    expect(text).toContain('[RESOLVED] health-proxy is back up');
    expect(text).toMatch(/What changed: /);
    expect(text).toContain('(was down for 25m)');
  });

  it('leaves out what heal did when it did nothing', () => {
    expect(textBody(message([notice({ action: undefined })]))).not.toContain('What heal did');
  });

  it('reads a summary of folded notices as one, at its level', () => {
    const [oldest, ...rest] = Array.from({ length: 25 }, (_, i) => ({ message: message([notice({ service: `svc-${i % 3}` })], { id: `m${i}`, createdAt: T0 + i * 60_000 }), attempts: 1 }));
    const [summary] = capOutbox([oldest!, ...rest], 20);
    const text = textBody(summary!.message);
    expect(subject(summary!.message)).toBe('[CRITICAL] 6 older notices folded (svc-0, svc-1, svc-2)');
    expect(text).toMatch(/What was folded: +More than 20 messages waited for this channel, so the oldest 6 messages \(6 notices from 2025-03-01T12:00:00Z to 2025-03-01T12:05:00Z\) are folded into this summary\. Services: svc-0, svc-1, svc-2\./);
    expect(text).toMatch(/Since: +2025-03-01T12:00:00Z \(for 5m\)/);
  });
});

describe('html body', () => {
  it('escapes everything that came from a notice', () => {
    const html = htmlBody(message([notice({ title: '<script>alert(1)</script>', detail: 'a & b "quoted" \'single\'' })]));
    expect(html).not.toContain('<script>');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('a &amp; b &quot;quoted&quot; &#39;single&#39;');
  });

  it('holds the same facts as the text body', () => {
    const html = htmlBody(message([notice()]));
    for (const fact of ['What failed', 'What heal did', '2025-03-01T11:48:00Z (for 12m)', 'build-box', 'n-health-proxy-down']) {
      expect(html).toContain(escapeHtml(fact));
    }
  });
});

describe('text helpers', () => {
  it.each([
    { text: 'short', max: 10, expected: 'short' },
    { text: 'abcdefghij', max: 10, expected: 'abcdefghij' },
    { text: 'abcdefghijk', max: 10, expected: 'abcdefghi…' },
    { text: 'ab😀cd', max: 4, expected: 'ab…' },
  ])('cuts $text to $max as $expected', ({ text, max, expected }) => {
    expect(cut(text, max)).toBe(expected);
    expect(cut(text, max).length).toBeLessThanOrEqual(max);
  });

  it('writes instants in UTC to the second', () => {
    expect(isoTime(T0 + 123)).toBe('2025-03-01T12:00:00Z');
  });

});

describe('cutBytes', () => {
  it('keeps text that fits, as it is', () => {
    expect(cutBytes('héllo', 6, ' (cut)')).toBe('héllo');
  });

  it('cuts to the bytes, never inside a character, and says so', () => {
    const text = '€'.repeat(10); // 3 bytes each
    const out = cutBytes(text, 20, ' (cut)');
    expect(out).toBe('€€€…' + ' (cut)');
    expect(Buffer.byteLength(out)).toBeLessThanOrEqual(20);
    expect(cutBytes('😀😀😀', 9, '')).toBe('😀…');
  });
});

describe('noticeEmoji', () => {
  it('is the level\'s, or a check mark for good news', () => {
    expect(noticeEmoji(notice()).name).toBe('rotating_light');
    expect(noticeEmoji(notice({ level: 'warning' })).name).toBe('warning');
    expect(noticeEmoji(notice({ level: 'info' })).name).toBe('information_source');
    expect(noticeEmoji(notice({ kind: 'healed' })).name).toBe('white_check_mark');
  });
});
