// Browser stand-in for `node:url`, for the browser test projects only (vitest.browser.ts aliases it).
// In the browser a module's `import.meta.url` is its address on vitest's server: `/@fs/<absolute path>` or
// `/<absolute path>` (test files), or `/<path from the root>` (modules they import). All map back to the
// file's path on disk, which node:fs's stand-in can then read.
declare const __REFORMERJS_BROWSER_ROOT__: string;

export function fileURLToPath(url: string | URL): string {
  const parsed = new URL(url);
  const path = decodeURIComponent(parsed.pathname);
  if (parsed.protocol === 'file:') return path;
  if (parsed.origin !== globalThis.location.origin) {
    throw new TypeError(`fileURLToPath: expected a file: URL or one of the test server's, got ${parsed.href}`);
  }
  if (path.startsWith('/@fs/')) return path.slice('/@fs'.length);
  if (path.startsWith(`${__REFORMERJS_BROWSER_ROOT__}/`)) return path;
  return `${__REFORMERJS_BROWSER_ROOT__}${path}`;
}

export default {fileURLToPath};
