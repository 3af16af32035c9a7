import {execFileSync} from 'node:child_process';
import {existsSync} from 'node:fs';
import {resolve} from 'node:path';
import {defineConfig} from 'tsup';

// The @reformerjs packages are bundled from their sources: ../packages by default, or another tree (e.g. a
// `git archive` of a commit, to measure exactly that commit while the working tree is being edited) given by
// BENCH_PACKAGES_DIR, whose commit BENCH_PACKAGES_COMMIT names.
const packagesDir = resolve(process.env.BENCH_PACKAGES_DIR ?? '../packages');

// The commit the bundled code comes from, recorded in every report (the GPU machine's checkout has no git).
function buildCommit(): string {
  if (process.env.BENCH_PACKAGES_COMMIT) return process.env.BENCH_PACKAGES_COMMIT;
  try {
    const git = (...args: string[]) => execFileSync('git', args, {stdio: ['ignore', 'pipe', 'ignore']}).toString().trim();
    const sha = git('rev-parse', 'HEAD');
    return git('status', '--porcelain', '--untracked-files=no', '--', '../packages') === '' ? sha : `${sha}-dirty`;
  } catch {
    return '';
  }
}

// One self-contained bundle: the packages' sources and tinybench are bundled in; tfjs, its backends, webgpu and
// vega stay external and come from the root node_modules, which ../shared/gpu/pack.sh carries to the GPU machine
// (benchmarks/node_modules, where tinybench 6 lives, is not packed).
export default defineConfig({
  entry: {cli: 'src/cli.ts'},
  format: ['esm'],
  platform: 'node',
  target: 'node20',
  tsconfig: 'tsconfig.json',
  clean: true,
  splitting: false,
  sourcemap: false,
  dts: false,
  noExternal: [/^@reformerjs\//, 'tinybench'],
  external: [
    '@tensorflow/tfjs',
    '@tensorflow/tfjs-core',
    '@tensorflow/tfjs-backend-wasm',
    '@tensorflow/tfjs-backend-webgpu',
    'webgpu',
    'vega',
    'vega-lite',
  ],
  esbuildPlugins: [
    {
      name: 'reformerjs-sources',
      setup(build) {
        build.onResolve({filter: /^@reformerjs\/[a-z-]+$/}, (args) => {
          const file = `${packagesDir}/${args.path.slice('@reformerjs/'.length)}/src/index.ts`;
          if (!existsSync(file)) return {errors: [{text: `${args.path}: no sources at ${file}`}]};
          return {path: file};
        });
      },
    },
  ],
  define: {__BUILD_COMMIT__: JSON.stringify(buildCommit())},
});
