import {Writable} from 'node:stream';
import {describe, expect, it} from 'vitest';
import {BarProgress, formatDuration, formatProgressLine, LineProgress, type ProgressUpdate} from './progress.js';

const update: ProgressUpdate = {
  step: 100,
  total: 600,
  loss: 4.84123,
  metric: 0.0123,
  metricName: 'accuracy',
  learningRate: 0.003,
  tokensPerSecond: 5123.4,
  etaSeconds: 62,
  elapsedSeconds: 12.3,
};

describe('training progress', () => {
  it('prints one plain line per update where there is no terminal', () => {
    expect(formatProgressLine(update)).toBe('step 100/600  loss 4.8412  acc 1.2%  lr 3.0e-3  5123 tok/s  elapsed 12s  eta 1m02s');
    expect(formatProgressLine({...update, metricName: 'bpc', metric: 2.3456, step: 7})).toBe(
      'step   7/600  loss 4.8412  bpc 2.346  lr 3.0e-3  5123 tok/s  elapsed 12s  eta 1m02s',
    );
    let out = '';
    const lines = new LineProgress((t) => void (out += t));
    lines.start();
    lines.tick();
    lines.update(update);
    lines.note('  eval at step 100: ...');
    lines.stop();
    expect(out.split('\n')).toEqual([formatProgressLine(update), '  eval at step 100: ...', '']);
    expect([5, 59.6, 62, 3599, 3600 * 2 + 65].map(formatDuration)).toEqual(['5s', '1m00s', '1m02s', '59m59s', '2h01m']);
  });

  it('draws a bar with step, loss, metric, tokens per second and ETA on a terminal', () => {
    let drawn = '';
    const terminal = Object.assign(
      new Writable({
        write(chunk, _encoding, done) {
          drawn += String(chunk);
          done();
        },
      }),
      {isTTY: true, columns: 200},
    );
    let notes = '';
    const bar = new BarProgress(terminal, (t) => void (notes += t));
    bar.start(0, 600);
    bar.update(update);
    bar.note('  eval at step 100: acc 1.2%');
    bar.stop();
    expect(drawn).toContain('step 100/600');
    expect(drawn).toContain('loss 4.8412 | acc 1.2% | 5123 tok/s | ETA 1m02s');
    expect(drawn).not.toContain('\x1b7'); // no cursor save/restore: the notes stay where they were printed
    expect(notes).toBe('  eval at step 100: acc 1.2%\n');
  });
});
