// Runs before `vitepress build` and `vitepress dev`: writes the generated parts of the site (the API reference
// and the benchmark pages). Both are rebuilt from scratch each time, so a removed export or results folder
// leaves no stale page behind.

import {generateApi} from './api.js';
import {copyBenchmarks} from './benchmarks.js';

const started = performance.now();
await generateApi();
const machines = await copyBenchmarks();
console.log(`docs: API reference and benchmark pages (${machines.join(', ')}) written in ${((performance.now() - started) / 1000).toFixed(1)} s`);
