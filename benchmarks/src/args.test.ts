import {describe, expect, it} from 'vitest';
import {MIN_REPS, parseArgs, UsageError} from './args.js';

describe('parseArgs', () => {
  it('reads a suite and the documented options', () => {
    const o = parseArgs(['speed', '--backend', 'webgpu', '--quick', '--json', 'out.json', '--out', 'dir', '--machine', 'h200-webgpu']);
    expect(o).toMatchObject({suite: 'speed', backend: 'webgpu', quick: true, json: 'out.json', out: 'dir', machine: 'h200-webgpu'});
  });

  it('defaults to wasm, 5 runs, 4 heads of 64, chunk 64', () => {
    expect(parseArgs(['memory-depth'])).toMatchObject({backend: 'wasm', quick: false, reps: 5, heads: 4, headSize: 64, chunk: 64, charts: true});
  });

  it('accepts --flag=value and lists with K suffixes, sorted and deduplicated', () => {
    const o = parseArgs(['speed', '--lengths=8K,1k,2048,1024', '--hashes', '4,1', '--tokens=65536', '--budget', '90.5']);
    expect(o.lengths).toEqual([1024, 2048, 8192]);
    expect(o.hashes).toEqual([1, 4]);
    expect(o.tokens).toBe(65536);
    expect(o.budgetS).toBe(90.5);
  });

  it('collects inputs for merge and report, passthrough for hf', () => {
    expect(parseArgs(['merge', 'a.json', 'dir']).inputs).toEqual(['a.json', 'dir']);
    expect(parseArgs(['report']).inputs).toEqual([]);
    expect(parseArgs(['hf', '--match', 'results/x', '--quick']).passthrough).toEqual(['--match', 'results/x']);
  });

  it('reads generate, --fused on|off (default on), and duplication with its checkpoints', () => {
    expect(parseArgs(['generate', '--quick']).suite).toBe('generate');
    expect(parseArgs(['speed']).fused).toBe(true);
    expect(parseArgs(['speed', '--fused', 'off']).fused).toBe(false);
    expect(parseArgs(['speed', '--fused=on']).fused).toBe(true);
    const d = parseArgs(['duplication', '--checkpoints', 'runs/a,runs/b', '--checkpoints=runs/c', '--samples', '64']);
    expect(d).toMatchObject({suite: 'duplication', checkpoints: ['runs/a', 'runs/b', 'runs/c'], samples: 64});
  });

  it('reads the profile suite: its workload (default layer), one length and tfjs flags', () => {
    expect(parseArgs(['profile'])).toMatchObject({suite: 'profile', workload: 'layer', tfFlags: {}});
    const o = parseArgs(['profile', '--workload', 'model', '--lengths', '16K', '--tf-flag', 'REFORMERJS_WEBGPU_STORED_SCORES=false', '--tf-flag=SOME_LIMIT=1.5']);
    expect(o).toMatchObject({workload: 'model', lengths: [16384], tfFlags: {REFORMERJS_WEBGPU_STORED_SCORES: false, SOME_LIMIT: 1.5}});
  });

  it('asks for help without a suite', () => {
    expect(parseArgs(['--help']).help).toBe(true);
  });

  const bad: [string[], RegExp][] = [
    [[], /suite: expected one of .*got nothing/],
    [['sped'], /suite: expected one of .*got 'sped'/],
    [['speed', '--backend', 'webgl'], /--backend: expected one of cpu, wasm, webgpu, got 'webgl'/],
    [['speed', '--reps', '3'], new RegExp(`--reps: expected at least ${MIN_REPS}`)],
    [['speed', '--reps', 'x'], /--reps: expected a positive integer, got 'x'/],
    [['speed', '--lengths', '1K,abc'], /--lengths: expected a comma-separated list/],
    [['speed', '--lengths', '1'], /--lengths: expected lengths >= 2/],
    [['speed', '--budget', '-1'], /--budget: expected a positive number/],
    [['speed', '--json'], /--json: expected a value/],
    [['speed', '--machine', 'H200 box'], /--machine: expected a slug/],
    [['speed', '--frobnicate'], /unknown option '--frobnicate'/],
    [['speed', 'extra'], /unexpected argument 'extra' after suite 'speed'/],
    [['merge'], /merge: expected at least one results file or directory/],
    [['speed', '--fused', 'yes'], /--fused: expected on or off, got 'yes'/],
    [['speed', '--fused'], /--fused: expected on or off, got ''/],
    [['duplication'], /duplication: expected --checkpoints DIR/],
    [['duplication', '--checkpoints', ','], /--checkpoints: expected comma-separated checkpoint folders/],
    [['duplication', '--checkpoints', 'a', '--samples', '0'], /--samples: expected a positive integer, got '0'/],
    [['speed', '--checkpoints', 'runs/a'], /--checkpoints and --samples are for the duplication suite, not 'speed'/],
    [['profile', '--workload', 'stack'], /--workload: expected one of layer, model, got 'stack'/],
    [['profile', '--tf-flag', 'NAME'], /--tf-flag: expected NAME=VALUE with VALUE true, false or a number, got 'NAME'/],
    [['profile', '--lengths', '4K,64K'], /--lengths: the profile suite runs one value, got 4096,65536/],
    [['speed', '--workload', 'model'], /--workload is for the profile suite, not 'speed'/],
    [['speed', '--tf-flag=X=1'], /--tf-flag is for the profile suite, not 'speed'/],
  ];
  it.each(bad)('rejects %j', (argv, message) => {
    expect(() => parseArgs(argv)).toThrow(UsageError);
    expect(() => parseArgs(argv)).toThrow(message);
  });
});
