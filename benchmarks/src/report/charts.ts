// SVG charts: vega-lite specs compiled to vega and rendered headless by View.toSVG (no canvas). The specs take
// only the report's rows, sorted, so the same JSON gives byte-identical SVG.
import {generationRows, measuredRows, type Report, type Row} from '../schema.js';

const MiB = 1024 ** 2;

type Spec = Record<string, unknown>;

const WIDTH = 360;
const HEIGHT = 260;

function byImplThenLength(a: {impl: string; length: number}, b: {impl: string; length: number}): number {
  return a.impl < b.impl ? -1 : a.impl > b.impl ? 1 : a.length - b.length;
}

/** One color per implementation in every chart (tableau10), whichever of them a report holds. */
const COLORS: Record<string, string> = {
  full: '#4c78a8',
  'lsh-1': '#f58518',
  'lsh-2': '#54a24b',
  'lsh-4': '#e45756',
  'lsh-8': '#b279a2',
  'model-full': '#4c78a8',
  'model-lsh-1': '#f58518',
  'model-lsh-2': '#54a24b',
  'model-lsh-4': '#e45756',
  'model-lsh-8': '#b279a2',
  reversible: '#4c78a8',
  residual: '#f58518',
};
const IMPL_ORDER = ['full', 'lsh-1', 'lsh-2', 'lsh-4', 'lsh-8', 'model-full', 'model-lsh-1', 'model-lsh-2', 'model-lsh-4', 'model-lsh-8'];

function colorScale(values: readonly string[]): Spec {
  const rank = (v: string) => (IMPL_ORDER.includes(v) ? IMPL_ORDER.indexOf(v) : IMPL_ORDER.length);
  const domain = [...new Set(values)].sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0));
  return {domain, range: domain.map((v, i) => COLORS[v] ?? ['#72b7b2', '#eeca3b', '#ff9da6', '#9d755d', '#bab0ac'][i % 5]!)};
}

/** Ticks at the measured lengths, written 256, 1K, 64K. */
function lengthAxis(data: readonly {length: number}[]): Spec {
  return {
    title: 'sequence length',
    values: [...new Set(data.map((d) => d.length))].sort((a, b) => a - b),
    labelExpr: "datum.value >= 1024 ? (datum.value / 1024) + 'K' : '' + datum.value",
    grid: true,
  };
}

function title(report: Report, what: string): Spec {
  // Which path ran, where the report says (schema 2): the fused kernels or the reference ops.
  const path = report.config.fused === false ? ' · fused kernels off' : report.rows.some((r) => r.fused === true) ? ' · fused kernels on' : '';
  return {text: what, subtitle: `${report.machine} · ${report.backend}${path} · ${report.commit.slice(0, 12)}`, anchor: 'start'};
}

/** Time against length, log-log, full and LSH side by side: forward and forward + backward panels. */
export function speedSpec(report: Report): Spec | null {
  const data: {impl: string; length: number; mode: string; ms: number}[] = [];
  for (const r of measuredRows(report)) {
    if (r.kind !== 'attention') continue;
    if (r.fwd_ms) data.push({impl: r.impl, length: r.length, mode: 'forward', ms: r.fwd_ms.median});
    if (r.fwdbwd_ms) data.push({impl: r.impl, length: r.length, mode: 'forward + backward', ms: r.fwdbwd_ms.median});
  }
  if (data.length === 0) return null;
  data.sort((a, b) => (a.mode < b.mode ? -1 : a.mode > b.mode ? 1 : byImplThenLength(a, b)));
  const tokens = report.config.tokens_per_batch;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: title(report, `One attention layer: time against length (${typeof tokens === 'number' ? `${tokens} tokens per batch, batch 1 beyond` : 'batch × length fixed'})`),
    data: {values: data},
    transform: [{calculate: "datum.impl == 'full' ? 'full' : 'lsh'", as: 'family'}],
    columns: 2,
    facet: {field: 'mode', type: 'nominal', title: null, sort: ['forward', 'forward + backward']},
    spec: {
      width: WIDTH,
      height: HEIGHT,
      layer: [{mark: {type: 'line', point: true}}],
      encoding: {
        x: {field: 'length', type: 'quantitative', scale: {type: 'log', base: 2}, axis: lengthAxis(data)},
        y: {field: 'ms', type: 'quantitative', scale: {type: 'log'}, axis: {title: 'ms per run (median)'}},
        color: {field: 'impl', type: 'nominal', title: 'attention', scale: colorScale(data.map((d) => d.impl))},
        strokeDash: {
          field: 'family',
          type: 'nominal',
          legend: null,
        },
      },
    },
    resolve: {scale: {y: 'independent'}},
  };
}

/** Peak memory of a training step against depth, reversible against residual. */
export function depthSpec(report: Report): Spec | null {
  const rows = measuredRows(report);
  const data = rows
    .filter((r) => r.peak_bytes !== null)
    .map((r) => ({stack: r.reversible ? 'reversible' : 'residual', layers: r.layers, peak: r.peak_bytes! / MiB}))
    .sort((a, b) => (a.stack < b.stack ? -1 : a.stack > b.stack ? 1 : a.layers - b.layers));
  if (data.length === 0) return null;
  const r0 = rows[0]!;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: title(report, `Peak memory of a training step against depth (length ${r0.length}, batch ${r0.batch})`),
    width: WIDTH,
    height: HEIGHT,
    data: {values: data},
    mark: {type: 'line', point: true},
    encoding: {
      x: {field: 'layers', type: 'quantitative', axis: {title: 'layers', values: [...new Set(data.map((d) => d.layers))]}},
      y: {field: 'peak', type: 'quantitative', scale: {zero: true}, axis: {title: 'peak MiB (tf.profile)'}},
      color: {field: 'stack', type: 'nominal', title: 'stack', scale: {domain: ['reversible', 'residual'], range: [COLORS.reversible, COLORS.residual]}},
    },
  };
}

/** Peak memory of a training step against length, full against LSH, with the budget. */
export function lengthSpec(report: Report): Spec | null {
  const rows = measuredRows(report);
  const data = rows
    .filter((r) => r.peak_bytes !== null)
    .map((r) => ({impl: r.impl, length: r.length, peak: r.peak_bytes! / MiB}))
    .sort(byImplThenLength);
  if (data.length === 0) return null;
  const budget = report.config.memory_budget_bytes;
  const layers: Spec[] = [
    {
      data: {values: data},
      mark: {type: 'line', point: true},
      encoding: {
        x: {field: 'length', type: 'quantitative', scale: {type: 'log', base: 2}, axis: lengthAxis(data)},
        y: {field: 'peak', type: 'quantitative', scale: {type: 'log'}, axis: {title: 'peak MiB (tf.profile)'}},
        color: {field: 'impl', type: 'nominal', title: 'model', scale: colorScale(data.map((d) => d.impl))},
      },
    },
  ];
  if (typeof budget === 'number') {
    layers.push({
      data: {values: [{peak: budget / MiB, label: `budget ${(budget / 1024 ** 3).toFixed(1)} GiB`}]},
      layer: [
        {mark: {type: 'rule', strokeDash: [4, 4], color: 'gray'}, encoding: {y: {field: 'peak', type: 'quantitative'}}},
        {
          mark: {type: 'text', align: 'left', dx: 4, dy: -6, color: 'gray'},
          encoding: {y: {field: 'peak', type: 'quantitative'}, x: {value: 0}, text: {field: 'label'}},
        },
      ],
    });
  }
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: title(report, `Peak memory of a training step against length (batch ${rows[0]!.batch})`),
    width: WIDTH,
    height: HEIGHT,
    layer: layers,
  };
}

/** Time per generated token against the prompt length, with the decoding cache and without (log-log). */
export function generateSpec(report: Report): Spec | null {
  const data = generationRows(report)
    .filter((r) => r.ms_per_token !== null)
    .map((r) => ({mode: r.impl === 'generate-cached' ? 'with the cache' : 'without (whole forward)', length: r.prompt_length, ms: r.ms_per_token!.median}))
    .sort((a, b) => (a.mode < b.mode ? -1 : a.mode > b.mode ? 1 : a.length - b.length));
  if (data.length === 0) return null;
  const model = report.config.model as {layers?: number; hashes?: number} | undefined;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: title(report, `Generation: time per token against prompt length (${model?.layers ?? '?'} layers, batch 1)`),
    width: WIDTH,
    height: HEIGHT,
    data: {values: data},
    mark: {type: 'line', point: true},
    encoding: {
      x: {field: 'length', type: 'quantitative', scale: {type: 'log', base: 2}, axis: {...lengthAxis(data), title: 'prompt length'}},
      y: {field: 'ms', type: 'quantitative', scale: {type: 'log'}, axis: {title: 'ms per token (median)'}},
      color: {
        field: 'mode',
        type: 'nominal',
        title: 'decoding',
        scale: {domain: ['with the cache', 'without (whole forward)'], range: [COLORS['lsh-4']!, COLORS.full!]},
      },
    },
  };
}

export function specFor(report: Report): Spec | null {
  switch (report.suite) {
    case 'generate':
      return generateSpec(report);
    case 'speed':
      return speedSpec(report);
    case 'memory-depth':
      return depthSpec(report);
    case 'memory-length':
      return lengthSpec(report);
    default:
      return null;
  }
}

/** Renders a vega-lite spec to SVG text. */
export async function renderSvg(spec: Spec): Promise<string> {
  const vl = await import('vega-lite');
  const vega = await import('vega');
  const compiled = vl.compile(spec as never).spec;
  const view = new vega.View(vega.parse(compiled), {renderer: 'none'});
  try {
    const svg = await view.toSVG();
    return svg.endsWith('\n') ? svg : `${svg}\n`;
  } finally {
    view.finalize();
  }
}

export type {Row};
