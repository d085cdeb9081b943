/**
 * The status page in a real browser: Debian's chromium, headless, driven by playwright-core,
 * opens the page as file:// and the test asserts what a person sees. The page is made from the
 * fixture history (test/fixtures/page-fixture.ts) at its fixed clock, and the browser is given
 * the same clock (page.clock), so the stale warning is judged against it on any date.
 * A screenshot is kept in test-artifacts/ (gitignored).
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type BrowserContextOptions, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { incidents } from '../../src/history/incidents.js';
import { readHistory } from '../../src/history/store.js';
import { statusHistorySince, withHistory } from '../../src/history/summary.js';
import { createLogger } from '../../src/log/logger.js';
import { loadManifest } from '../../src/manifest/load.js';
import { pageShare } from '../../src/page/render.js';
import { writeStatusPage } from '../../src/page/write.js';
import { statusView } from '../../src/status/view.js';
import { loadState } from '../../src/state/store.js';
import { buildPageFixture, CHROMIUM_LAUNCH, DB_ERROR, HOSTILE_DESCRIPTION, type PageFixture } from '../fixtures/page-fixture.js';

const ROOT = join(import.meta.dirname, '..', '..');
const ARTIFACTS = join(ROOT, 'test-artifacts');
const MIN = 60_000;

let dir: string;
let fixture: PageFixture;
let file: string;
let browser: Browser;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'heal-page-'));
  fixture = await buildPageFixture(dir);
  const loaded = await loadManifest(fixture.manifest, process.env, { cache: false });
  const logger = createLogger({ level: 'silent' });
  file = join(dir, 'status', 'index.html');
  const state = await loadState(fixture.stateDir, logger, { readOnly: true });
  const written = await writeStatusPage(file, { loaded, stateDir: fixture.stateDir, state, now: fixture.now, logger });
  expect(written).toEqual({ ok: true, path: file });
  browser = await chromium.launch(CHROMIUM_LAUNCH);
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await rm(dir, { recursive: true, force: true });
});

/** The page opened as file:// with the browser's clock at `clockAt`, every request it makes recorded. */
async function open(clockAt: number, context: BrowserContextOptions = {}): Promise<{ page: Page; requests: string[] }> {
  const ctx = await browser.newContext(context);
  const page = await ctx.newPage();
  const requests: string[] = [];
  page.on('request', (request) => requests.push(request.url()));
  await page.clock.setFixedTime(clockAt);
  await page.goto(pathToFileURL(file).href, { timeout: 60_000 });
  return { page, requests };
}

/** What `heal status --json` computes for the fixture at its clock: the same functions, the same now. */
async function statusJson() {
  const loaded = await loadManifest(fixture.manifest, process.env, { cache: false });
  const logger = createLogger({ level: 'silent' });
  const { history } = await readHistory(fixture.stateDir, { since: statusHistorySince(fixture.now, loaded.manifest.interval) });
  return { view: withHistory(statusView(loaded, await loadState(fixture.stateDir, logger, { readOnly: true }), fixture.now), history, fixture.now), history };
}

describe('the status page in chromium', () => {
  it("shows every service, its state and the uptime figures heal status computes, and keeps a screenshot", async () => {
    const { page, requests } = await open(fixture.now + MIN);
    const { view, history } = await statusJson();
    const headings = await page.getByRole('heading', { level: 2 }).allInnerTexts();
    expect(headings).toEqual(['api', 'db', 'worker', 'search']);
    for (const service of view.services) {
      const section = page.getByRole('region', { name: service.name, exact: true });
      const figures = await section.locator('dl.uptime dd').allInnerTexts();
      expect(figures, service.name).toEqual([pageShare(service.uptime['24h']), pageShare(service.uptime['7d']), pageShare(service.uptime['30d'])]);
      const open = incidents(history, fixture.now, service.name).filter((i) => i.endedAt === null).length;
      expect(await section.getByText('Ongoing').count(), service.name).toBe(open);
    }
    // The hand-made parts of the fixture, as a person reads them.
    const db = page.getByRole('region', { name: 'db', exact: true });
    await expect.poll(() => db.locator('.status').innerText()).toMatch(/^Down since 2026-11-22 11:49 UTC$/);
    expect(await db.locator('dl.uptime dd').first().innerText()).toMatch(/^\d{2}\.\d\d%$/);
    expect(await page.getByRole('region', { name: 'api', exact: true }).locator('.status').innerText()).toMatch(/^Up since /);
    // search was watched for 5 days: its older day cells know nothing.
    const searchDays = await page.getByRole('region', { name: 'search', exact: true }).locator('ol.bar li').evaluateAll((cells) => cells.map((c) => c.getAttribute('title')));
    expect(searchDays).toHaveLength(30);
    expect(searchDays[0]).toBe('2026-10-24: no data');
    expect(searchDays.at(-1)).toMatch(/^2026-11-22: \d+\.\d\d% up$/);
    expect(await page.getByText('Last scan: 2026-11-22 11:59 UTC').count()).toBe(1);
    expect(requests).toEqual([pathToFileURL(file).href]);
    await mkdir(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'status-page.png'), fullPage: true });
  }, 120_000);

  it('gives each day its figure on hover (title) and to screen readers (hidden text)', async () => {
    const { page } = await open(fixture.now + MIN);
    const api = page.getByRole('region', { name: 'api', exact: true });
    // The outage was three days before the last scan: 2026-11-19, 25 of 1440 minutes down.
    const cell = api.locator('ol.bar li[title^="2026-11-19"]');
    const title = await cell.getAttribute('title');
    expect(title).toBe(`2026-11-19: ${pageShare(1 - 25 / 1440)} up`);
    expect(await cell.locator('.vh').innerText()).toBe(title);
    expect(await api.getByRole('img').getAttribute('aria-label')).toMatch(/^Latency chart: slowest check per scan: median \d+ms, highest \S+, last \d+ms$/);
  }, 120_000);

  it('shows the stale warning when the last scan is older than three intervals, and not when it is fresh', async () => {
    const fresh = await open(fixture.now + MIN);
    expect(await fresh.page.locator('#stale').isVisible()).toBe(false);
    expect(await fresh.page.locator('#ago').innerText()).toBe('2 min ago');
    const stale = await open(fixture.now + 60 * MIN);
    expect(await stale.page.locator('#stale').isVisible()).toBe(true);
    expect(await stale.page.getByRole('alert').innerText()).toBe("No scan for over 15m: heal's schedule may have stopped, and what this page says may be out of date.");
    expect(await stale.page.locator('#ago').innerText()).toBe('61 min ago');
  }, 120_000);

  it('shows markup from the manifest and the state as text: nothing of it runs or renders', async () => {
    const { page } = await open(fixture.now + MIN);
    const worker = page.getByRole('region', { name: 'worker', exact: true });
    expect(await worker.locator('p.muted').first().innerText()).toBe(HOSTILE_DESCRIPTION);
    expect(await page.getByRole('region', { name: 'db', exact: true }).locator('ul.list li').first().innerText()).toBe(`port 127.0.0.1:5432: ${DB_ERROR}`);
    expect(await page.title()).toMatch(/^Status: 1 of 4 services down$/);
    expect(await page.locator('script').count()).toBe(1);
    expect(await page.locator('main img, main b').count()).toBe(0);
  }, 120_000);

  it('turns dark with the reader’s system', async () => {
    const background = async (colorScheme: 'light' | 'dark') => {
      const { page } = await open(fixture.now + MIN, { colorScheme });
      return page.evaluate<string>('getComputedStyle(document.body).backgroundColor');
    };
    const light = await background('light');
    const dark = await background('dark');
    expect(light).toBe('rgb(255, 255, 255)');
    expect(dark).not.toBe(light);
    expect(dark).toBe('rgb(13, 17, 23)');
  }, 120_000);

  it('fits a phone: no horizontal scrolling at 360 px', async () => {
    const { page } = await open(fixture.now + MIN, { viewport: { width: 360, height: 740 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
    const widths = await page.evaluate<{ scroll: number; client: number }>('({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth })');
    expect(widths.client).toBe(360);
    expect(widths.scroll).toBeLessThanOrEqual(widths.client);
    await page.screenshot({ path: join(ARTIFACTS, 'status-page-phone.png'), fullPage: true });
  }, 120_000);
});
