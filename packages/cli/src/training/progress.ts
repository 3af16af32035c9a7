// Training progress: a progress bar on a terminal (step, loss, accuracy or bits per character, tokens per second,
// ETA), one plain line per logging interval anywhere else (CI logs, pipes, files).

import cliProgress from 'cli-progress';

export interface ProgressUpdate {
  step: number;
  total: number;
  loss: number;
  /** Accuracy in [0, 1] (duplication) or bits per character (text). */
  metric: number;
  metricName: 'accuracy' | 'bpc';
  learningRate: number;
  tokensPerSecond: number;
  /** Seconds to the end at the recent rate. */
  etaSeconds: number;
  elapsedSeconds: number;
}

export interface ProgressReporter {
  start(step: number, total: number): void;
  update(u: ProgressUpdate): void;
  /** The step count alone, every step (a bar moves; lines wait for the next update). */
  tick(step: number): void;
  /** A line that is not progress (an evaluation, a save): printed above the bar. */
  note(line: string): void;
  stop(): void;
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

export const formatMetric = (name: 'accuracy' | 'bpc', value: number): string =>
  name === 'accuracy' ? `acc ${(value * 100).toFixed(1)}%` : `bpc ${value.toFixed(3)}`;

/** One line per update: `step 100/600  loss 4.8412  acc 1.2%  lr 3.0e-3  1234 tok/s  elapsed 12s  eta 1m02s`. */
export function formatProgressLine(u: ProgressUpdate): string {
  const width = String(u.total).length;
  return [
    `step ${String(u.step).padStart(width)}/${u.total}`,
    `loss ${u.loss.toFixed(4)}`,
    formatMetric(u.metricName, u.metric),
    `lr ${u.learningRate.toExponential(1)}`,
    `${Math.round(u.tokensPerSecond)} tok/s`,
    `elapsed ${formatDuration(u.elapsedSeconds)}`,
    `eta ${formatDuration(u.etaSeconds)}`,
  ].join('  ');
}

/** Plain lines through `write` (stdout in the CLI). */
export class LineProgress implements ProgressReporter {
  constructor(private readonly write: (text: string) => void) {}
  start(): void {}
  update(u: ProgressUpdate): void {
    this.write(`${formatProgressLine(u)}\n`);
  }
  tick(): void {}
  note(line: string): void {
    this.write(`${line}\n`);
  }
  stop(): void {}
}

/** A cli-progress bar on a terminal stream (stderr in the CLI); notes go to `write` above it. */
export class BarProgress implements ProgressReporter {
  private readonly bar: cliProgress.SingleBar;
  private started = false;

  constructor(
    stream: NodeJS.WritableStream,
    private readonly write: (text: string) => void,
  ) {
    this.bar = new cliProgress.SingleBar(
      {
        stream,
        format: 'step {value}/{total} |{bar}| {percentage}% | loss {loss} | {metric} | {tps} tok/s | ETA {eta_text}',
        barsize: 24,
        hideCursor: true,
        clearOnComplete: false,
        fps: 5,
      },
      cliProgress.Presets.shades_classic,
    );
    // The bar saves the cursor position when it starts and restores it when it stops, which would move the
    // cursor back over the notes printed in between: keep the cursor where the output left it.
    const terminal = (this.bar as unknown as {terminal: {cursorSave(): void; cursorRestore(): void}}).terminal;
    terminal.cursorSave = () => undefined;
    terminal.cursorRestore = () => undefined;
  }

  start(step: number, total: number): void {
    this.bar.start(total, step, {loss: '-', metric: '-', tps: '-', eta_text: '-'});
    this.started = true;
  }

  update(u: ProgressUpdate): void {
    this.bar.update(u.step, {
      loss: u.loss.toFixed(4),
      metric: formatMetric(u.metricName, u.metric),
      tps: String(Math.round(u.tokensPerSecond)),
      eta_text: formatDuration(u.etaSeconds),
    });
  }

  tick(step: number): void {
    if (this.started) this.bar.update(step);
  }

  note(line: string): void {
    if (!this.started) {
      this.write(`${line}\n`);
      return;
    }
    // Clear the bar's line, print the note, redraw the bar below it.
    (this.bar as unknown as {terminal: {cursorTo(x: number): void; clearRight(): void}}).terminal.cursorTo(0);
    (this.bar as unknown as {terminal: {clearRight(): void}}).terminal.clearRight();
    this.write(`${line}\n`);
    (this.bar as unknown as {lastDrawnString: string}).lastDrawnString = ''; // force the redraw
    this.bar.render();
  }

  stop(): void {
    if (this.started) this.bar.stop();
    this.started = false;
  }
}
