// Browser stand-in for `node:path` (POSIX paths), for the browser test projects only (vitest.browser.ts
// aliases it): the tests build fixture paths with `join`, which node:fs's stand-in then reads.
function normalize(path: string): string {
  const absolute = path.startsWith('/');
  const parts: string[] = [];
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..' && parts.length > 0 && parts[parts.length - 1] !== '..') parts.pop();
    else if (part !== '..' || !absolute) parts.push(part);
  }
  const joined = parts.join('/');
  return absolute ? `/${joined}` : joined || '.';
}

export function join(...segments: string[]): string {
  return normalize(segments.filter((s) => s !== '').join('/'));
}

export function dirname(path: string): string {
  const normal = normalize(path);
  const cut = normal.lastIndexOf('/');
  return cut < 0 ? '.' : cut === 0 ? '/' : normal.slice(0, cut);
}

export function basename(path: string): string {
  return normalize(path).split('/').pop() ?? '';
}

export const sep = '/';
export {normalize};
export default {join, dirname, basename, normalize, sep};
