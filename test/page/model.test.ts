/** The page's model and HTML, pure, on the fixture history: the same numbers as heal status and heal incidents. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { incidents } from '../../src/history/incidents.js';
import { historyOf, type History } from '../../src/history/series.js';
import { readHistory } from '../../src/history/store.js';
import { statusHistorySince, withHistory } from '../../src/history/summary.js';
import { knownSpans, uptimeBetween } from '../../src/history/uptime.js';
import { createLogger } from '../../src/log/logger.js';
import { loadManifest, type LoadedManifest } from '../../src/manifest/load.js';
import { escapeHtml } from '../../src/page/escape.js';
import { dayUptimes, pageModel, PAGE_DAYS } from '../../src/page/model.js';
import { renderPage } from '../../src/page/render.js';
import { statusView } from '../../src/status/view.js';
import { emptyState, type State } from '../../src/state/schema.js';
import { loadState } from '../../src/state/store.js';
import { buildPageFixture, HOSTILE_DESCRIPTION, DB_ERROR, type PageFixture } from '../fixtures/page-fixture.js';

const DAY = 86_400_000;
let dir: string;
let fixture: PageFixture;
let loaded: LoadedManifest;
let state: State;
let history: History;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'heal-page-model-'));
  fixture = await buildPageFixture(dir);
  loaded = await loadManifest(fixture.manifest, process.env, { cache: false });
  state = await loadState(fixture.stateDir, createLogger({ level: 'silent' }), { readOnly: true });
  history = (await readHistory(fixture.stateDir, { since: statusHistorySince(fixture.now, loaded.manifest.interval) })).history;
}, 120_000);

afterAll(() => rm(dir, { recursive: true, force: true }));

describe('the page model', () => {
  it("gives each service heal status's uptime and heal incidents' incidents", () => {
    const model = pageModel(loaded, state, history, fixture.now);
    const status = withHistory(statusView(loaded, state, fixture.now), history, fixture.now);
    expect(model.services.map((s) => [s.name, s.uptime])).toEqual(status.services.map((s) => [s.name, s.uptime]));
    for (const service of model.services) {
      const all = incidents(history, fixture.now, service.name).reverse();
      expect(service.open).toEqual(all.filter((i) => i.endedAt === null));
      const ended = all.filter((i) => i.endedAt !== null && i.endedAt >= fixture.now - PAGE_DAYS * DAY);
      expect(service.recent).toEqual(ended.slice(0, 5));
      expect(service.moreRecent).toBe(Math.max(0, ended.length - 5));
    }
    expect(model.services.find((s) => s.name === 'db')).toMatchObject({ status: 'down', open: [{ restarts: 3, restartsFailed: 3, alerts: 1 }] });
  });

  it('gives each day what uptimeBetween gives for it, today last', () => {
    const firstDay = Math.floor(fixture.now / DAY) * DAY - (PAGE_DAYS - 1) * DAY;
    for (const name of ['api', 'db', 'worker', 'search']) {
      const spans = knownSpans(history, name, fixture.now, loaded.manifest.interval);
      const days = dayUptimes(spans, firstDay, fixture.now);
      expect(days).toHaveLength(PAGE_DAYS);
      expect(days.at(-1)?.day).toBe('2026-11-22');
      expect(days.map((d) => d.uptime), name).toEqual(days.map((_d, i) => uptimeBetween(spans, firstDay + i * DAY, Math.min(firstDay + (i + 1) * DAY, fixture.now))));
    }
    // worker was not seen 10 to 13 days before now: those days know nothing.
    const worker = pageModel(loaded, state, history, fixture.now).services.find((s) => s.name === 'worker')!;
    expect(worker.days.filter((d) => d.uptime === null).map((d) => d.day)).toEqual(['2026-11-10', '2026-11-11']);
  });

  it('is stale once the last scan is older than three intervals', () => {
    expect(pageModel(loaded, state, history, fixture.now).stale).toBe(false);
    expect(pageModel(loaded, state, history, fixture.now + 16 * 60_000).stale).toBe(true);
  });
});

describe('the page HTML', () => {
  it('escapes every string from the manifest and the state', () => {
    const html = renderPage(pageModel(loaded, state, history, fixture.now));
    expect(html).toContain(escapeHtml(HOSTILE_DESCRIPTION));
    expect(html).not.toContain(HOSTILE_DESCRIPTION);
    expect(html).toContain(escapeHtml(DB_ERROR));
    expect(html).not.toContain('<b onmouseover');
    expect(html.match(/<script/g)).toHaveLength(1);
    expect(escapeHtml(`<a href="x" title='y'>&amp;</a>`)).toBe('&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;amp;&lt;/a&gt;');
  });

  it('writes — for an uptime nothing is known of, and says no scan has run', () => {
    const html = renderPage(pageModel(loaded, emptyState(), historyOf([]), fixture.now));
    expect([...html.matchAll(/<dd>([^<]*)<\/dd>/g)].map((m) => m[1])).toEqual(Array(12).fill('—'));
    expect(html).toContain('No scan has run yet.');
    expect(html).toContain('<span class="status unknown">Not scanned yet</span>');
  });

  it('asks for nothing over the network: no URL outside the page, a policy that forbids any', () => {
    const html = renderPage(pageModel(loaded, state, history, fixture.now));
    expect(html).toContain(`content="default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-`);
    expect(html.match(/<[^>]*\s(?:src|href)=/g)).toBeNull();
    expect(html.match(/url\(/g)).toBeNull();
  });
});
