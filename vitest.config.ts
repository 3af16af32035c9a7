import {readdirSync, existsSync} from 'node:fs';
import {fileURLToPath} from 'node:url';
import {defineConfig} from 'vitest/config';

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
    env: {TFJS_BACKEND: backend},
    setupFiles: [setupBackend],
  },
});

export default defineConfig({
  resolve: {alias: sourceAliases},
  test: {
    testTimeout: 60_000,
    projects: [
      backendProject('cpu'),
      backendProject('wasm'),
      // The benchmark harness's pure parts (arguments, statistics, schema, charts): no tfjs backend needed.
      {extends: true, test: {name: 'benchmarks', include: ['benchmarks/src/**/*.test.ts']}},
    ],
  },
});
