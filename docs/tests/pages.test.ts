// Visits every page of the built site (each .html file of docs/.vitepress/dist) in Chromium and requires that it
// loads, hydrates and shows content with no console error, uncaught exception or failed request.
import type {Browser, Page} from 'playwright-core';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {hydrated, launchChromium, serveSite, sitePages, siteSkipReason, watchPage, type PageWatch, type StaticServer} from './harness.js';

const skipReason = siteSkipReason();
if (skipReason) console.warn(`site: the page tests are skipped: ${skipReason}`);
const pages = skipReason ? [] : sitePages();
/** 404.html is what the server answers for any missing page: it is visited through one, and answered with 404. */
const missingPage = '/no-such-page';

describe.skipIf(skipReason !== undefined)(`every page of the built site${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  let server: StaticServer;
  let browser: Browser;
  // One tab for all pages, each a fresh load: a new browser context per page would triple the time.
  let tab: Page;
  let watch: PageWatch;

  beforeAll(async () => {
    server = await serveSite();
    browser = await launchChromium();
    tab = await browser.newPage();
    watch = watchPage(tab, {expectedStatus: (url, status) => status === 404 && new URL(url).pathname === missingPage});
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('has the pages a site needs (home, demo, 404) among its .html files', () => {
    expect(pages).toContain('/');
    expect(pages).toContain('/demo');
    expect(pages).toContain('/404');
  });

  for (const route of pages) {
    const url = route === '/404' ? missingPage : route;
    it(`${route} loads and hydrates without errors`, async () => {
      await watch.reset();
      const response = await tab.goto(`${server.origin}${url}`, {waitUntil: 'load'});
      expect(response?.status()).toBe(route === '/404' ? 404 : 200);
      await hydrated(tab);
      await watch.settled();
      expect(await tab.title()).not.toBe('');
      const text = (await tab.locator('#app').innerText()).trim();
      expect(text.length, 'visible text of #app').toBeGreaterThan(0);
      if (route === '/404') expect(text).toMatch(/404|not found/i);
      expect(watch.problems).toEqual([]);
    });
  }
});
