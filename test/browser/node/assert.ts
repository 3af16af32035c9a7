// Browser stand-in for `node:assert`, for the browser test projects only (vitest.browser.ts aliases it):
// test-utils throws `AssertionError`s; this one carries the same fields that vitest reports.
export class AssertionError extends Error {
  actual: unknown;
  expected: unknown;
  operator: string | undefined;
  generatedMessage: boolean;
  code = 'ERR_ASSERTION';

  constructor(options: {message?: string; actual?: unknown; expected?: unknown; operator?: string}) {
    super(options.message ?? 'Failed');
    this.name = 'AssertionError';
    this.actual = options.actual;
    this.expected = options.expected;
    this.operator = options.operator;
    this.generatedMessage = options.message === undefined;
  }
}

export default {AssertionError};
