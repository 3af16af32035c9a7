// What the site's tests share: the built site (docs/.vitepress/dist) served on a free localhost port by a
// small static server, the system's Chromium driven by playwright-core, and a watch over each page for console
// errors, uncaught exceptions and failed requests.
import {existsSync, readdirSync, readFileSync, statSync} from 'node:fs';
import {createServer} from 'node:http';
import type {AddressInfo} from 'node:net';
import {extname, join, relative, resolve, sep} from 'node:path';
import {fileURLToPath} from 'node:url';
import {chromium, type Browser, type Page, type Request} from 'playwright-core';
import {chromiumArgs, chromiumPath, chromiumProblems, webgpuArgs, type BrowserBackend} from '../../test/browser/chromium.js';

export const distDir = fileURLToPath(new URL('../.vitepress/dist', import.meta.url));
export const artifactsDir = fileURLToPath(new URL('../../test-artifacts', import.meta.url));

/** Why the site's tests cannot run here, or undefined. */
export function siteSkipReason(): string | undefined {
  if (!existsSync(chromiumPath)) return `${chromiumPath} is missing (apt-get install chromium)`;
  if (!existsSync(join(distDir, 'index.html'))) return `the site is not built (${relative(process.cwd(), distDir)}/index.html is missing: npm run docs:build)`;
  return undefined;
}

/** Why the demo cannot run on `backend` in this Chromium, or undefined (see test/browser/probe-chromium.mjs). */
export function backendSkipReason(backend: BrowserBackend): string | undefined {
  return chromiumProblems()[backend];
}

/** Every page of the built site, as the path a visitor asks for (cleanUrls: `guide/backends.html` is `/guide/backends`). */
export function sitePages(): string[] {
  const pages: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (name.endsWith('.html')) {
        const route = `/${relative(distDir, path).split(sep).join('/')}`.replace(/\.html$/, '');
        pages.push(route.endsWith('/index') ? route.slice(0, -'index'.length) : route);
      }
    }
  };
  walk(distDir);
  return pages;
}

const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.ico': 'image/x-icon',
  '.webp': 'image/webp',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.wasm': 'application/wasm',
  '.txt': 'text/plain; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
};

export interface StaticServer {
  /** http://localhost:<port> */
  origin: string;
  close(): Promise<void>;
}

/**
 * Serves distDir as a static host does for VitePress with cleanUrls: `/a/b` is a/b, else a/b.html, else
 * a/b/index.html; `/a/` is a/index.html; anything else is 404.html with status 404.
 */
export async function serveSite(): Promise<StaticServer> {
  const server = createServer((request, response) => {
    const pathname = decodeURIComponent(new URL(request.url ?? '/', 'http://localhost').pathname);
    const asked = resolve(distDir, `.${pathname}`);
    const inside = asked === distDir || asked.startsWith(distDir + sep);
    const candidates = !inside ? [] : pathname.endsWith('/') ? [join(asked, 'index.html')] : [asked, `${asked}.html`, join(asked, 'index.html')];
    const file = candidates.find((c) => existsSync(c) && statSync(c).isFile());
    const [status, body, type] = file
      ? [200, readFileSync(file), contentTypes[extname(file)] ?? 'application/octet-stream']
      : [404, readFileSync(join(distDir, '404.html')), contentTypes['.html']!];
    response.writeHead(status, {'content-type': type, 'content-length': body.length, 'cache-control': 'no-store'});
    response.end(request.method === 'HEAD' ? undefined : body);
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const {port} = server.address() as AddressInfo;
  return {
    origin: `http://localhost:${port}`,
    close: () => new Promise<void>((done) => server.close(() => done())),
  };
}

/** The system's Chromium; with WebGPU exposed when `backend` is webgpu. */
export function launchChromium(backend: BrowserBackend = 'webgl'): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath,
    args: [...(backend === 'webgpu' ? webgpuArgs : chromiumArgs)],
    headless: true,
    timeout: 60_000,
  });
}

/** Everything that went wrong on a page: console errors, uncaught exceptions, failed and refused requests. */
export interface PageWatch {
  /** What went wrong since the watch began or was last reset. */
  problems: string[];
  /**
   * Starts afresh: leaves the page for about:blank (which aborts what it still loads, e.g. VitePress's link
   * prefetches, and lets those events arrive), then forgets what went wrong so far.
   */
  reset(): Promise<void>;
  /** Resolves once no request has been in flight for `quietMs` (or throws after `timeoutMs`). */
  settled(quietMs?: number, timeoutMs?: number): Promise<void>;
}

export interface WatchOptions {
  /** Responses with status >= 400 that the test expects (e.g. a visit to a missing page). */
  expectedStatus?: (url: string, status: number) => boolean;
}

export function watchPage(page: Page, options: WatchOptions = {}): PageWatch {
  let generation = 0;
  const started = new WeakMap<Request, number>();
  const pending = new Set<Request>();
  let lastChange = Date.now();
  const current = (request: Request) => started.get(request) === generation;
  const watch: PageWatch = {
    problems: [],
    async reset() {
      await page.goto('about:blank');
      generation++;
      pending.clear();
      watch.problems = [];
    },
    async settled(quietMs = 100, timeoutMs = 30_000) {
      const start = Date.now();
      while (pending.size > 0 || Date.now() - lastChange < quietMs) {
        if (Date.now() - start > timeoutMs) {
          throw new Error(`requests still in flight after ${timeoutMs} ms: ${[...pending].map((r) => r.url()).join(', ')}`);
        }
        await new Promise((r) => setTimeout(r, 25));
      }
    },
  };
  page.on('console', (message) => {
    if (message.type() !== 'error') return;
    const where = message.location().url;
    // Chromium asks every origin for /favicon.ico on its own; the site declares no icon, so that one 404s.
    if (new URL(where || 'about:blank', 'http://x').pathname === '/favicon.ico') return;
    // Chromium's own line for an expected error status (see `expectedStatus`).
    const status = /^Failed to load resource: the server responded with a status of (\d+)/.exec(message.text());
    if (status && options.expectedStatus?.(where, Number(status[1]))) return;
    watch.problems.push(`console error: ${message.text()}${where ? ` (${where})` : ''}`);
  });
  page.on('pageerror', (error) => watch.problems.push(`uncaught: ${error.stack ?? error.message}`));
  page.on('request', (request) => {
    started.set(request, generation);
    pending.add(request);
    lastChange = Date.now();
  });
  page.on('requestfinished', (request) => {
    pending.delete(request);
    lastChange = Date.now();
  });
  page.on('requestfailed', (request) => {
    pending.delete(request);
    lastChange = Date.now();
    if (current(request)) watch.problems.push(`request failed: ${request.method()} ${request.url()}: ${request.failure()?.errorText}`);
  });
  page.on('response', (response) => {
    // Answered: enough for settled() (a fetch whose body the page never reads may never "finish").
    pending.delete(response.request());
    lastChange = Date.now();
    const status = response.status();
    if (status >= 400 && current(response.request()) && !options.expectedStatus?.(response.url(), status)) {
      watch.problems.push(`HTTP ${status}: ${response.url()}`);
    }
  });
  return watch;
}

/** Resolves once VitePress has mounted (hydrated) its Vue app on the page. */
export async function hydrated(page: Page, timeoutMs = 30_000): Promise<void> {
  await page.waitForFunction(() => (document.querySelector('#app') as {__vue_app__?: unknown} | null)?.__vue_app__ !== undefined, undefined, {timeout: timeoutMs});
}
