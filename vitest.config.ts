import {spawnSync} from 'node:child_process';
import {readdirSync, existsSync} from 'node:fs';
import {fileURLToPath} from 'node:url';
import {configDefaults, defineConfig} from 'vitest/config';
import {browserProjects} from './vitest.browser.js';

// Tests run against the sources of sibling packages, never their builds: every
// `@reformerjs/<name>` import resolves to `packages/<name>/src/index.ts`.
const packagesDir = fileURLToPath(new URL('./packages/', import.meta.url));
const sourceAliases = readdirSync(packagesDir)
  .filter((name) => existsSync(`${packagesDir}${name}/src/index.ts`))
  .map((name) => ({find: `@reformerjs/${name}`, replacement: `${packagesDir}${name}/src/index.ts`}));

const setupBackend = `${packagesDir}test-utils/src/setup-backend.ts`;

// The same test files run once per tfjs backend; TFJS_BACKEND tells the setup file which.
const backendProject = (backend: 'cpu' | 'wasm') => ({
  extends: true as const,
  test: {
    name: backend,
    include: ['packages/*/src/**/*.test.ts'],
    exclude: [...configDefaults.exclude, 'packages/webgpu-kernels/**'],
    env: {TFJS_BACKEND: backend},
    setupFiles: [setupBackend],
  },
});

// WebGPU through Dawn (the `webgpu` package): a hardware GPU, or Mesa's lavapipe on CPU-only machines
// (../shared/ci/install-lavapipe.sh). Probed in a child process so that a missing or broken Dawn never takes
// the other projects down; without an adapter the project is left out, and the run says why.
function probeWebGPU(): string | undefined {
  const script =
    "const {create} = await import('webgpu'); const a = await create([]).requestAdapter();" +
    "process.stdout.write(a ? '' : 'Dawn found no adapter (install lavapipe: ../shared/ci/install-lavapipe.sh)'); process.exit(0);";
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], {encoding: 'utf8', timeout: 30_000, stdio: ['ignore', 'pipe', 'pipe']});
  if (child.status !== 0) return `Dawn could not start: ${(child.stderr || child.error?.message || '').trim().split('\n')[0]}`;
  return child.stdout || undefined;
}
const webgpuSkipReason = process.env.REFORMERJS_SKIP_WEBGPU ? 'REFORMERJS_SKIP_WEBGPU is set' : probeWebGPU();
if (webgpuSkipReason) console.warn(`vitest: the webgpu project is skipped: ${webgpuSkipReason}`);

// The fused WebGPU kernels' own tests, and the tests of the packages whose ops dispatch to them.
const webgpuProject = {
  extends: true as const,
  test: {
    name: 'webgpu',
    include: ['packages/webgpu-kernels/src/**/*.test.ts'],
    setupFiles: [`${packagesDir}webgpu-kernels/src/testing/setup-webgpu.ts`],
  },
};

export default defineConfig({
  resolve: {alias: sourceAliases},
  test: {
    testTimeout: 60_000,
    projects: [
      backendProject('cpu'),
      backendProject('wasm'),
      // The benchmark harness's pure parts (arguments, statistics, schema, charts): no tfjs backend needed.
      {extends: true, test: {name: 'benchmarks', include: ['benchmarks/src/**/*.test.ts']}},
      // The documentation's code examples (docs/examples), each run and its printed results checked, on wasm.
      {extends: true, test: {name: 'docs', include: ['docs/examples/**/*.test.ts'], env: {TFJS_BACKEND: 'wasm'}, setupFiles: [setupBackend]}},
      ...(webgpuSkipReason ? [] : [webgpuProject]),
      // In Chromium (vitest.browser.ts): packages' tests on webgl and webgpu, and the built documentation site.
      ...browserProjects,
    ],
  },
});
