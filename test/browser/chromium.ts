// The Chromium that the browser test projects (vitest.browser.ts) and the documentation site's tests
// (docs/tests) drive through Playwright: the system's (Debian's `chromium` package), never a browser that
// Playwright downloads. On machines without a GPU it renders WebGL through SwiftShader, and WebGPU (with
// --enable-unsafe-webgpu) through SwiftShader's Vulkan: software, so correct but slow; never time anything.
import {spawnSync} from 'node:child_process';
import {existsSync} from 'node:fs';
import {fileURLToPath} from 'node:url';

export const chromiumPath = '/usr/bin/chromium';

export const chromiumArgs: readonly string[] = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Chromium exposes `navigator.gpu` on Linux only with this flag (and only in secure contexts, e.g. localhost). */
export const webgpuArgs: readonly string[] = [...chromiumArgs, '--enable-unsafe-webgpu'];

export type BrowserBackend = 'webgl' | 'webgpu';

/**
 * Why each tfjs browser backend cannot run in this machine's Chromium (undefined: it can). Asks
 * probe-chromium.mjs in a child process (about two seconds, so that a missing or broken browser never takes the
 * caller down); the answer is kept in the environment, for later calls in this process and its children.
 */
export function chromiumProblems(): Record<BrowserBackend, string | undefined> {
  if (!existsSync(chromiumPath)) {
    const why = `${chromiumPath} is missing (apt-get install chromium)`;
    return {webgl: why, webgpu: why};
  }
  const cached = process.env.REFORMERJS_BROWSER_PROBE;
  if (cached) {
    const answer = JSON.parse(cached) as Partial<Record<BrowserBackend, string | null>>;
    return {webgl: answer.webgl ?? undefined, webgpu: answer.webgpu ?? undefined};
  }
  const probe = fileURLToPath(new URL('./probe-chromium.mjs', import.meta.url));
  const child = spawnSync(process.execPath, [probe, chromiumPath, JSON.stringify(webgpuArgs)], {
    encoding: 'utf8',
    timeout: 90_000,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let problems: Record<BrowserBackend, string | undefined>;
  if (child.status !== 0) {
    const why = `Chromium could not start: ${(child.stderr || child.error?.message || '').trim().split('\n')[0]}`;
    problems = {webgl: why, webgpu: why};
  } else {
    const answer = JSON.parse(child.stdout) as Record<BrowserBackend, string | null>;
    problems = {webgl: answer.webgl ?? undefined, webgpu: answer.webgpu ?? undefined};
  }
  process.env.REFORMERJS_BROWSER_PROBE = JSON.stringify(problems);
  return problems;
}
