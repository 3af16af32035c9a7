import {defineConfig, type DefaultTheme} from 'vitepress';
import {LIBRARY_PACKAGES} from './library-packages.js';

const guide: DefaultTheme.SidebarItem[] = [
  {text: 'Getting started', link: '/guide/getting-started'},
  {text: 'From the paper to the code', link: '/guide/paper-to-code'},
  {text: 'Loading a Hugging Face checkpoint', link: '/guide/huggingface'},
  {text: 'Training on your own text', link: '/guide/training-text'},
  {text: 'Choosing a backend', link: '/guide/backends'},
  {text: 'Benchmarks', link: '/guide/benchmarks'},
];

const packages: DefaultTheme.SidebarItem[] = [
  ...LIBRARY_PACKAGES.filter((p) => p.guide).map((p) => ({text: p.name, link: `/packages/${p.dir}`})),
  {text: '@reformerjs/cli', link: '/packages/cli'},
];

const api: DefaultTheme.SidebarItem[] = [
  {text: 'Overview', link: '/api/'},
  ...LIBRARY_PACKAGES.map((p) => ({text: p.name, link: `/api/${p.dir}/`})),
];

export default defineConfig({
  title: 'Reformer.js',
  description: 'The Reformer (Kitaev, Kaiser, Levskaya, ICLR 2020) for TensorFlow.js: LSH attention, reversible layers, chunked feed-forward.',
  base: '/',
  // Routes without .html (/demo, as the demo's end-to-end tests expect); every static host that serves
  // demo.html for /demo (vitepress preview, GitHub Pages, Netlify, sirv) serves these.
  cleanUrls: true,
  // docs/README.md describes the workspace; examples/ and scripts/ are code, not pages; parts/ are included in pages.
  srcExclude: ['README.md', 'examples/**', 'scripts/**', 'parts/**'],
  themeConfig: {
    nav: [
      {text: 'Guide', link: '/guide/getting-started'},
      {text: 'Packages', link: '/packages/lsh-hash'},
      {text: 'API', link: '/api/'},
      {text: 'Benchmarks', link: '/guide/benchmarks'},
      {text: 'Demo', link: '/demo'},
    ],
    sidebar: {
      '/guide/': [{text: 'Guide', items: guide}],
      '/benchmarks/': [{text: 'Guide', items: guide}],
      '/packages/': [{text: 'Packages', items: packages}],
      '/api/': [{text: 'API reference', items: api}],
    },
    outline: [2, 3],
    search: {provider: 'local'},
  },
  vite: {
    // tfjs is large and has many entry points; pre-bundling it once keeps `docs:dev` responsive, and
    // listing tfjs-core makes the linked @reformerjs packages and tfjs share one copy of it (two copies
    // would mean two engines, and tensors of one unknown to the other).
    optimizeDeps: {include: ['@tensorflow/tfjs', '@tensorflow/tfjs-core', '@tensorflow/tfjs-backend-webgpu', 'chart.js']},
    build: {chunkSizeWarningLimit: 4096},
  },
});
