// The test projects that run in Chromium (the system's, see test/browser/chromium.ts), spread into the
// `projects` of vitest.config.ts:
//   browser-webgl, browser-webgpu  the library packages' own tests (vitest browser mode) on tfjs's webgl and
//                                  webgpu backends;
//   site                           Playwright tests of the built documentation site (docs/tests).
// Without Chromium the browser projects are left out and the run says why; so is browser-webgpu when the
// browser has no WebGPU adapter, or one that tfjs cannot read tensors back from synchronously
// (test/browser/probe-chromium.mjs). The site tests skip themselves, saying why, when the site is not built
// or Chromium is missing.
import {existsSync, readFileSync, readdirSync, statSync} from 'node:fs';
import {relative, resolve} from 'node:path';
import {fileURLToPath} from 'node:url';
import {playwright} from '@vitest/browser-playwright';
import type {Plugin, TestProjectInlineConfiguration} from 'vitest/config';
import {chromiumArgs, chromiumPath, chromiumProblems, webgpuArgs, type BrowserBackend} from './test/browser/chromium.js';

const rootDir = fileURLToPath(new URL('./', import.meta.url)).replace(/\/$/, '');
const browserTestDir = `${rootDir}/test/browser`;

// Which projects a `--project` filter on the command line selects, so that a run of only the cpu project does
// not start Chromium to probe it (vitest itself applies the filter later; this only saves the probe).
function selectedByCommandLine(name: string): boolean {
  const filters: string[] = [];
  process.argv.forEach((arg, i) => {
    if (arg === '--project' && process.argv[i + 1]) filters.push(process.argv[i + 1]!);
    else if (arg.startsWith('--project=')) filters.push(arg.slice('--project='.length));
  });
  if (filters.length === 0 || filters.some((f) => f.startsWith('!'))) return true;
  return filters.some((f) => new RegExp(`^${f.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`).test(name));
}

const browserProjectName = (backend: BrowserBackend) => `browser-${backend}`;

// `node:fs` in the browser: the stand-in test/browser/node/fs.ts makes synchronous requests to this endpoint
// of vitest's server, which reads the disk, inside the repository only, and never writes.
function nodeInTheBrowser(): Plugin {
  const answer = (op: string | null, path: string): object => {
    switch (op) {
      case 'read':
        return {base64: readFileSync(path).toString('base64')};
      case 'readdir':
        return {names: readdirSync(path)};
      case 'stat': {
        const stat = statSync(path);
        return {isDirectory: stat.isDirectory(), isFile: stat.isFile(), size: stat.size};
      }
      case 'exists':
        return {exists: existsSync(path)};
      default:
        return {error: {code: 'EINVAL', message: `/__node-fs: unknown op '${op}'`}};
    }
  };
  return {
    name: 'reformerjs:node-in-the-browser',
    enforce: 'pre',
    // Vite rewrites `new URL('<relative path>', import.meta.url)` to the file's address on its server, resolved
    // like a file: a folder's trailing slash goes, and `${folder}${name}` then names a wrong path. Marked
    // @vite-ignore, the URL is resolved by the browser against the module's address, as Node resolves it.
    // Tests also read `process.env` (switches for extra reports), which a page lacks: they read the project's
    // environment, `import.meta.env`, instead. Test files that compare bytes with Node's global `Buffer` get
    // test/browser/node/buffer.ts imported as `Buffer`.
    transform(code, id) {
      if (!id.startsWith(`${rootDir}/packages/`) || !/import\.meta\.url|process\.env|\bBuffer\./.test(code)) return undefined;
      let rewritten = code
        .replace(/\bnew URL\((?=\s*['"`][^'"`]*['"`]\s*,\s*import\.meta\.url)/g, 'new URL(/* @vite-ignore */ ')
        .replace(/\bprocess\.env\b/g, 'import.meta.env');
      if (id.endsWith('.test.ts') && /\bBuffer\.from\(/.test(code)) {
        // Appended, so that line numbers stay the file's (imports are hoisted wherever they stand).
        rewritten = `${rewritten}\nimport {Buffer} from ${JSON.stringify(`${browserTestDir}/node/buffer.ts`)};\n`;
      }
      return {code: rewritten, map: null};
    },
    configureServer(server) {
      server.middlewares.use('/__node-fs', (request, response) => {
        const query = new URL(request.url ?? '', 'http://localhost').searchParams;
        const asked = query.get('path') ?? '';
        const path = resolve(asked.startsWith('file:') ? fileURLToPath(asked) : asked);
        let reply: object;
        if (relative(rootDir, path).startsWith('..')) {
          reply = {error: {code: 'EACCES', message: `/__node-fs: '${path}' is outside the repository`}};
        } else {
          try {
            reply = answer(query.get('op'), path);
          } catch (e) {
            const {code = 'EIO', message} = e as NodeJS.ErrnoException;
            reply = {error: {code, message}};
          }
        }
        response.setHeader('content-type', 'application/json');
        response.end(JSON.stringify(reply));
      });
    },
  };
}

// The library packages' tests that run in the browser projects. Software WebGL and WebGPU (SwiftShader) run
// each op through the GPU process and compile a shader for each new shape, 10-100 times slower than the cpu
// backend: the whole suite would take most of an hour on two cores. These files cover every package, and the
// Hugging Face golden cases, in about two minutes per backend; the rest are left out for their time, or
// because a browser cannot run them (times: webgl on two idle cores):
const browserInclude = [
  'packages/lsh-hash/src/**/*.test.ts',
  'packages/lsh-attention/src/{golden,lsh-attention,local-attention,layers,index,leaks,masks,chunking,combine-rounds,duplicates,errors}.test.ts',
  'packages/reversible/src/**/*.test.ts',
  'packages/chunked-ffn/src/{activations,dropout,layer-norm,apply-chunked,lm-head}.test.ts',
  'packages/reformer-model/src/{golden,config,errors,parameters,checkpoint}.test.ts',
  'packages/reformer-model/src/training/*.test.ts',
  'packages/test-utils/src/**/*.test.ts',
];
// Left out:
//   lsh-attention: decoding (over 5 minutes), gradients (15 s: finite differences through the layers that
//     golden and lsh-attention check);
//   chunked-ffn: feed-forward (16 s), memory (6 s);
//   reformer-model: generation (over 7 minutes), memory (over a minute), model (42 s), golden-extra (34 s: more
//     Hugging Face cases through the same layers as golden), attention-override (11 s);
//   safetensors: plain TypeScript that never touches tfjs, so the backend changes nothing;
//   cli: Node only (files, processes, the wasm backend from disk); webgpu-kernels: its own project (`webgpu`).

const browserProject = (backend: BrowserBackend): TestProjectInlineConfiguration => ({
  extends: true,
  plugins: [nodeInTheBrowser()],
  // Tests and test-utils read fixtures with node:fs (and node:path, node:url, node:assert): in the browser
  // these resolve to the stand-ins of test/browser/node, which read through the endpoint above.
  resolve: {
    alias: ['fs', 'path', 'url', 'assert'].map((name) => ({
      find: new RegExp(`^node:${name}$`),
      replacement: `${browserTestDir}/node/${name}.ts`,
    })),
  },
  define: {__REFORMERJS_BROWSER_ROOT__: JSON.stringify(rootDir)},
  // Bundled before the first test file loads: discovered later, they would make vite reload the page mid-run.
  optimizeDeps: {
    include: ['@tensorflow/tfjs', '@tensorflow/tfjs-core', '@tensorflow/tfjs-backend-wasm', '@tensorflow/tfjs-backend-webgpu'],
  },
  test: {
    name: browserProjectName(backend),
    include: browserInclude,
    provide: {tfjsBackend: backend},
    setupFiles: [`${browserTestDir}/setup-backend.ts`],
    browser: {
      enabled: true,
      headless: true,
      // Failure screenshots would land beside the tests, inside packages/.
      screenshotFailures: false,
      provider: playwright({
        launchOptions: {executablePath: chromiumPath, args: [...(backend === 'webgpu' ? webgpuArgs : chromiumArgs)]},
      }),
      instances: [{browser: 'chromium'}],
    },
  },
});

// Probing starts Chromium (test/browser/chromium.ts), so it is skipped when the command line selects neither
// browser project. Vitest loads this file several times per run: the warnings are printed once.
const backends = (['webgl', 'webgpu'] as const).filter((b) => selectedByCommandLine(browserProjectName(b)));
const problems = backends.length > 0 ? chromiumProblems() : undefined;
const runnable = backends.filter((b) => !problems?.[b]);
if (problems && !process.env.REFORMERJS_BROWSER_WARNED) {
  process.env.REFORMERJS_BROWSER_WARNED = '1';
  for (const b of backends) {
    if (problems[b]) console.warn(`vitest: the ${browserProjectName(b)} project is skipped: ${problems[b]}`);
  }
}

// The documentation site's tests: Node drives Chromium itself (playwright-core), so no browser mode here.
const siteProject: TestProjectInlineConfiguration = {
  extends: true,
  test: {
    name: 'site',
    include: ['docs/tests/**/*.test.ts'],
    environment: 'node',
  },
};

export const browserProjects: TestProjectInlineConfiguration[] = [
  ...runnable.map(browserProject),
  siteProject,
];
