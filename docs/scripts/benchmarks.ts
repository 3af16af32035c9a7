// The benchmark results as pages of the site: each benchmarks/results/<machine>/ folder (the summary README.md
// that `npm run bench -- report` writes, its vega-lite SVG charts and, where present, RUN-NOTES.md) is copied
// into docs/benchmarks/<machine>/ (generated, gitignored) at build time, so the site shows the figures the
// benchmark harness wrote and never a hand-made copy of them.

import {copyFile, mkdir, readdir, readFile, rm, writeFile} from 'node:fs/promises';
import {fileURLToPath} from 'node:url';

const resultsDir = fileURLToPath(new URL('../../benchmarks/results/', import.meta.url));
const outDir = fileURLToPath(new URL('../benchmarks/', import.meta.url));

/** What a copied summary says first: where it comes from (its own text refers to paths of the repository). */
function provenance(machine: string, file: string): string {
  return (
    `> Copied from \`benchmarks/results/${machine}/${file}\` when the site was built. "../../README.md" in it is ` +
    "`benchmarks/README.md`, whose method section the [Benchmarks](/guide/benchmarks) guide quotes.\n\n"
  );
}

/**
 * The summaries are plain markdown written for GitHub, where `hf-lsh-<r>` is text; a VitePress page is also a Vue
 * template, where it would open an element. Escapes `<` (and the `{{` of Vue interpolation) outside code spans.
 */
export function escapeForVue(markdown: string): string {
  return markdown
    .split('\n')
    .map((line) =>
      line
        .split('`')
        .map((part, i) => (i % 2 === 1 ? part : part.replaceAll('<', '&lt;').replaceAll('{{', '&#123;&#123;')))
        .join('`'),
    )
    .join('\n');
}

async function copyMachine(machine: string): Promise<string[]> {
  const from = `${resultsDir}${machine}/`;
  const to = `${outDir}${machine}/`;
  await mkdir(to, {recursive: true});
  const files = await readdir(from);
  for (const file of files.filter((f) => f.endsWith('.svg'))) await copyFile(`${from}${file}`, `${to}${file}`);
  if (!files.includes('README.md')) throw new Error(`benchmarks: ${from} has no README.md (run \`npm run bench -- report ${from}\`)`);
  await writeFile(`${to}index.md`, provenance(machine, 'README.md') + escapeForVue(await readFile(`${from}README.md`, 'utf8')));
  if (files.includes('RUN-NOTES.md')) {
    await writeFile(`${to}run-notes.md`, provenance(machine, 'RUN-NOTES.md') + escapeForVue(await readFile(`${from}RUN-NOTES.md`, 'utf8')));
  }
  return files.filter((f) => f.endsWith('.svg'));
}

/** Copies every results folder; returns the machines copied. */
export async function copyBenchmarks(): Promise<string[]> {
  await rm(outDir, {recursive: true, force: true});
  const entries = await readdir(resultsDir, {withFileTypes: true});
  const machines = entries.filter((e) => e.isDirectory()).map((e) => e.name).sort();
  for (const machine of machines) await copyMachine(machine);
  return machines;
}
