// The browser build of the packed consumer. Besides building the page, the `reformerjs-packages` plugin checks
// what went into the bundle and fails the build when:
//   - an installed @reformerjs library package's ESM entry (its exports' `import` file) is not in the output
//     with some code, or its CJS build is in it instead;
//   - a file of a @reformerjs package imports a Node built-in (`fs`, `node:path`, ...), which Vite would
//     replace by an empty browser stub: library packages must bundle for the browser as they are. (tfjs itself
//     has such imports, behind its own platform checks; they are not ours to check.)
// It also writes dist/reformerjs-modules.json: every bundled module with its rendered length.
import {readdirSync, readFileSync} from 'node:fs';
import {isBuiltin} from 'node:module';
import {join} from 'node:path';
import {fileURLToPath} from 'node:url';
import {defineConfig} from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));
const VIRTUAL = 'virtual:reformerjs-packages';

function installedLibraries() {
  const scope = join(root, 'node_modules', '@reformerjs');
  return readdirSync(scope)
    .map((dir) => JSON.parse(readFileSync(join(scope, dir, 'package.json'), 'utf8')))
    .filter((pkg) => pkg.exports || pkg.main); // the libraries: the CLI has only a bin
}

const esmEntry = (pkg) => (typeof pkg.exports?.['.']?.import === 'string' ? pkg.exports['.'].import : undefined);

function reformerPackages() {
  const libraries = installedLibraries();
  const builtinImports = [];
  return {
    name: 'reformerjs-packages',
    enforce: 'pre',
    resolveId(id, importer) {
      if (id === VIRTUAL) return `\0${VIRTUAL}`;
      const from = importer?.replace(/\\/g, '/');
      if (from?.includes('/node_modules/@reformerjs/') && isBuiltin(id)) builtinImports.push(`${from} imports '${id}'`);
      return null;
    },
    load(id) {
      if (id !== `\0${VIRTUAL}`) return null;
      const lines = libraries.map((pkg, i) => `import * as p${i} from ${JSON.stringify(pkg.name)};`);
      const entries = libraries.map((pkg, i) => `${JSON.stringify(pkg.name)}: p${i}`);
      return `${lines.join('\n')}\nexport default {${entries.join(', ')}};\n`;
    },
    generateBundle(_options, bundle) {
      const modules = [];
      for (const output of Object.values(bundle)) {
        if (output.type !== 'chunk') continue;
        for (const [id, info] of Object.entries(output.modules)) {
          modules.push({id: id.replace(/\\/g, '/'), renderedLength: info.renderedLength, chunk: output.fileName});
        }
      }
      const problems = [];
      for (const pkg of libraries) {
        const entry = esmEntry(pkg);
        const found = entry && modules.find((m) => m.id.endsWith(`/node_modules/${pkg.name}/${entry.replace(/^\.\//, '')}`));
        if (!entry) problems.push(`${pkg.name}: its exports['.'] has no import condition (an ESM build for bundlers)`);
        else if (!found) problems.push(`${pkg.name}: its ESM entry ${entry} is not in the bundle`);
        else if (!(found.renderedLength > 0)) problems.push(`${pkg.name}: its ESM entry was bundled but tree-shaken to nothing`);
        const cjs = modules.filter((m) => m.id.includes(`/node_modules/${pkg.name}/`) && /\.c[jt]s$/.test(m.id));
        if (cjs.length > 0) problems.push(`${pkg.name}: CJS files in the browser bundle: ${cjs.map((m) => m.id).join(', ')}`);
      }
      for (const line of builtinImports) problems.push(`a Node built-in in a browser bundle: ${line}`);
      this.emitFile({type: 'asset', fileName: 'reformerjs-modules.json', source: JSON.stringify(modules, null, 1)});
      if (problems.length > 0) this.error(`the browser bundle is wrong:\n  - ${problems.join('\n  - ')}`);
    },
  };
}

export default defineConfig({
  root,
  logLevel: 'warn',
  plugins: [reformerPackages()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // tfjs is large; the size of the app bundle is not what this build checks.
    chunkSizeWarningLimit: 1e6,
    reportCompressedSize: false,
  },
});
