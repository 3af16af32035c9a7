// Browser stand-in for the synchronous reads of `node:fs` that tests make (fixtures, golden files), for the
// browser test projects only (vitest.browser.ts aliases it). Each call is a synchronous request to the
// `/__node-fs` endpoint that vitest.browser.ts adds to vitest's server, which answers from the disk (read only,
// inside the repository). Errors keep Node's `code` (ENOENT, ...) and message.
interface Reply {
  error?: {code: string; message: string};
  base64?: string;
  names?: string[];
  isDirectory?: boolean;
  isFile?: boolean;
  size?: number;
  exists?: boolean;
}

function request(op: string, path: string | URL): Reply {
  const xhr = new XMLHttpRequest();
  xhr.open('GET', `/__node-fs?op=${op}&path=${encodeURIComponent(String(path))}`, false);
  xhr.send();
  if (xhr.status !== 200) throw new Error(`node:fs stand-in: /__node-fs answered ${xhr.status} for ${op} ${path}`);
  const reply = JSON.parse(xhr.responseText) as Reply;
  if (reply.error) throw Object.assign(new Error(reply.error.message), {code: reply.error.code});
  return reply;
}

function decodeBase64(text: string): Uint8Array {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

type Encoding = 'utf8' | 'utf-8' | {encoding: 'utf8' | 'utf-8'};

export function readFileSync(path: string | URL): Uint8Array;
export function readFileSync(path: string | URL, encoding: Encoding): string;
export function readFileSync(path: string | URL, encoding?: Encoding): Uint8Array | string {
  const bytes = decodeBase64(request('read', path).base64!);
  return encoding === undefined ? bytes : new TextDecoder().decode(bytes);
}

export function readdirSync(path: string | URL): string[] {
  return request('readdir', path).names!;
}

export function statSync(path: string | URL): {isDirectory(): boolean; isFile(): boolean; size: number} {
  const {isDirectory, isFile, size} = request('stat', path);
  return {isDirectory: () => isDirectory!, isFile: () => isFile!, size: size!};
}

export function existsSync(path: string | URL): boolean {
  return request('exists', path).exists!;
}

export default {readFileSync, readdirSync, statSync, existsSync};
