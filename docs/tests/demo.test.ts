// The live demo page (/demo) in Chromium, on each browser backend it offers (?backend=webgl, and webgpu where this
// Chromium supports it): trains the duplication task until the accuracy rises, stops, switches the attention,
// checks the bucket picture is drawn and generates text from the shipped model, with no console error, uncaught
// exception or failed request on the way. A screenshot of each is kept in test-artifacts/demo-<backend>.png.
import {mkdirSync} from 'node:fs';
import {join} from 'node:path';
import type {Browser, Page} from 'playwright-core';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import type {BrowserBackend} from '../../test/browser/chromium.js';
import {artifactsDir, backendSkipReason, hydrated, launchChromium, serveSite, siteSkipReason, watchPage, type PageWatch, type StaticServer} from './harness.js';

/** Software WebGL or WebGPU on two shared cores: training and generation are slow, never timed. */
const SLOW_MS = 240_000;

const byTestId = (id: string) => `[data-testid=${id}]`;

async function textOf(page: Page, id: string): Promise<string> {
  return (await page.locator(byTestId(id)).innerText()).trim();
}

/** What a test waits for an element's text to be. */
type Expectation = {equals: string} | {differs: string} | {above: number} | {nonEmpty: true};

function satisfies(text: string, expectation: Expectation): boolean {
  if ('equals' in expectation) return text === expectation.equals;
  if ('differs' in expectation) return text !== expectation.differs;
  if ('above' in expectation) return Number(text) > expectation.above;
  return text.length > 0;
}

/** Waits until `[data-testid=id]`'s text satisfies `expectation`, and returns it. */
async function waitForText(page: Page, id: string, expectation: Expectation, timeout = SLOW_MS): Promise<string> {
  await page.waitForFunction(
    ({selector, expectation}) => {
      const text = document.querySelector(selector)?.textContent?.trim() ?? '';
      if ('equals' in expectation) return text === expectation.equals;
      if ('differs' in expectation) return text !== expectation.differs;
      if ('above' in expectation) return Number(text) > expectation.above;
      return text.length > 0;
    },
    {selector: byTestId(id), expectation},
    {timeout, polling: 100},
  );
  const text = await textOf(page, id);
  expect(satisfies(text, expectation), `${id}: "${text}" against ${JSON.stringify(expectation)}`).toBe(true);
  return text;
}

/** The errors the demo itself shows (it catches and displays them rather than throwing). */
async function shownErrors(page: Page): Promise<string[]> {
  return page.locator('.demo-error').allInnerTexts();
}

const siteSkip = siteSkipReason();

for (const backend of ['webgl', 'webgpu'] as const satisfies readonly BrowserBackend[]) {
  const skipReason = siteSkip ?? backendSkipReason(backend);
  if (skipReason) console.warn(`site: the demo on ${backend} is skipped: ${skipReason}`);

  describe.skipIf(skipReason !== undefined)(`/demo?backend=${backend}${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
    let server: StaticServer;
    let browser: Browser;
    let page: Page;
    let watch: PageWatch;

    beforeAll(async () => {
      server = await serveSite();
      browser = await launchChromium(backend);
      page = await browser.newPage({viewport: {width: 1280, height: 900}});
      watch = watchPage(page);
      await page.goto(`${server.origin}/demo?backend=${backend}`, {waitUntil: 'load'});
      await hydrated(page);
    }, 120_000);

    afterAll(async () => {
      if (page) {
        mkdirSync(artifactsDir, {recursive: true});
        await page.screenshot({path: join(artifactsDir, `demo-${backend}.png`), fullPage: true}).catch((e: Error) => {
          console.warn(`site: no screenshot of the demo on ${backend}: ${e.message}`);
        });
      }
      await browser?.close();
      await server?.close();
    });

    it(`runs on the backend the URL names (${backend})`, async () => {
      await waitForText(page, 'backend', {equals: backend}, 60_000);
    }, 90_000);

    it('trains: the step advances and the accuracy rises above its first value, until stopped', async () => {
      await page.locator(byTestId('train-start')).waitFor();
      await page.waitForFunction((s) => !(document.querySelector(s) as HTMLButtonElement).disabled, byTestId('train-start'), {timeout: SLOW_MS});
      // The demo evaluates once before it enables training: that is the first accuracy it reports.
      const first = Number(await textOf(page, 'accuracy'));
      expect(first, 'the first accuracy, a percentage').toBeGreaterThanOrEqual(0);
      expect(first).toBeLessThanOrEqual(100);
      const stepBefore = Number(await textOf(page, 'train-step'));

      const started = Date.now();
      await page.locator(byTestId('train-start')).click();
      await waitForText(page, 'train-step', {above: stepBefore});
      await waitForText(page, 'accuracy', {above: first});

      await page.locator(byTestId('train-stop')).click();
      const stoppedAt = Number(await textOf(page, 'train-step'));
      const stepMs = (Date.now() - started) / Math.max(1, stoppedAt - stepBefore);
      await page.waitForFunction((s) => !(document.querySelector(s) as HTMLButtonElement).disabled, byTestId('train-start'), {timeout: 60_000});
      expect(await page.locator(byTestId('train-stop')).isDisabled()).toBe(true);
      // The step under way when Stop was clicked still lands (the demo does not cancel it); none after it.
      const quiet = Math.max(1500, 3 * stepMs);
      await page.waitForTimeout(quiet);
      const landed = Number(await textOf(page, 'train-step'));
      expect(landed - stoppedAt, 'steps after Stop').toBeLessThanOrEqual(1);
      await page.waitForTimeout(quiet);
      expect(Number(await textOf(page, 'train-step')), 'the step once stopped').toBe(landed);
      expect(await shownErrors(page)).toEqual([]);
    }, 2 * SLOW_MS);

    it('switches the attention, and the button says so', async () => {
      const toggle = page.locator(byTestId('attention-toggle'));
      const before = (await toggle.innerText()).trim();
      await toggle.click();
      await waitForText(page, 'attention-toggle', {differs: before}, 60_000);
      expect(await shownErrors(page)).toEqual([]);
    }, 90_000);

    it('draws the bucket picture', async () => {
      const drawn = await page.locator(byTestId('buckets')).evaluate((canvas: HTMLCanvasElement) => {
        const {data} = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height);
        const colours = new Set<number>();
        let painted = 0;
        for (let i = 0; i < data.length; i += 4) {
          if (data[i + 3]! === 0) continue;
          painted++;
          colours.add((data[i]! << 16) | (data[i + 1]! << 8) | data[i + 2]!);
        }
        return {painted, pixels: data.length / 4, colours: colours.size};
      });
      expect(drawn.painted / drawn.pixels, 'share of painted pixels').toBeGreaterThan(0.1);
      expect(drawn.colours, 'distinct colours (buckets, copies, separators)').toBeGreaterThan(3);
    });

    it('generates text from the shipped model', async () => {
      await waitForText(page, 'model-status', {equals: 'ready'});
      await page.locator(byTestId('generate-prompt')).fill('The state of the Union is ');
      await page.locator(byTestId('generate')).click();
      await waitForText(page, 'generated', {nonEmpty: true});
      // Let it finish, so the page is left idle (the button comes back when it is done).
      await page.waitForFunction((s) => !(document.querySelector(s) as HTMLButtonElement).disabled, byTestId('generate'), {timeout: SLOW_MS});
      expect((await textOf(page, 'generated')).length).toBeGreaterThan(0);
      expect(await shownErrors(page)).toEqual([]);
    }, 3 * SLOW_MS);

    it('logged no console error and no request failed', async () => {
      await watch.settled();
      expect(watch.problems).toEqual([]);
    });
  });
}
