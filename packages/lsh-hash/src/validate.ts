/**
 * Argument checks shared by the package. Every failure is an `Error` whose message names the
 * argument, shows the value received and says what was expected.
 */

/**
 * A bucket count for angular LSH: an even integer >= 2, or a list of even factors whose product is
 * the count (the factorised hash of the Reformer paper, used when one hash would need too many
 * rotation columns).
 */
export type NumBuckets = number | readonly number[];

/** A short, readable rendering of any value for error messages. */
export function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') {
    return String(value);
  }
  if (value === null || value === undefined) return String(value);
  if (Array.isArray(value)) return `[${value.map(describe).join(', ')}]`;
  if (typeof value === 'object' && 'shape' in value && 'dtype' in value) {
    const t = value as {shape: number[]; dtype: string};
    return `a ${t.dtype} tensor of shape [${t.shape.join(', ')}]`;
  }
  if (typeof value === 'function') return 'a function';
  try {
    return JSON.stringify(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}

function isEvenBucketFactor(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 2 && value % 2 === 0;
}

/**
 * Throws unless `numBuckets` is an even integer >= 2 or a non-empty list of them.
 * Odd counts cannot be hashed: angular LSH takes the argmax over `[xR, -xR]`, which has an even
 * number of entries.
 */
export function validateNumBuckets(
  numBuckets: unknown,
  argName = 'numBuckets',
): asserts numBuckets is NumBuckets {
  const expectation = 'an even integer >= 2 or a non-empty list of them';
  if (Array.isArray(numBuckets)) {
    if (numBuckets.length === 0) {
      throw new Error(`${argName}: expected ${expectation}, got an empty list []`);
    }
    numBuckets.forEach((factor, i) => {
      if (!isEvenBucketFactor(factor)) {
        throw new Error(
          `${argName}: expected ${expectation}, got ${describe(numBuckets)} ` +
            `(factor ${i} is ${describe(factor)}, not an even integer >= 2)`,
        );
      }
    });
    return;
  }
  if (!isEvenBucketFactor(numBuckets)) {
    throw new Error(`${argName}: expected ${expectation}, got ${describe(numBuckets)}`);
  }
}

/** The number of buckets of one hash round: the count itself, or the product of the factors. */
export function bucketCount(numBuckets: NumBuckets): number {
  validateNumBuckets(numBuckets);
  return typeof numBuckets === 'number' ? numBuckets : numBuckets.reduce((a, b) => a * b, 1);
}

/**
 * The width of `[xR, -xR]` over all factors: the count itself, or the sum of the factors.
 * A rotation has `rotationSize / 2` columns per head and round.
 */
export function rotationSize(numBuckets: NumBuckets): number {
  validateNumBuckets(numBuckets);
  return typeof numBuckets === 'number' ? numBuckets : numBuckets.reduce((a, b) => a + b, 0);
}

/** The factors of a bucket spec: `[n]` for a plain count. */
export function bucketFactors(numBuckets: NumBuckets): readonly number[] {
  return typeof numBuckets === 'number' ? [numBuckets] : numBuckets;
}

export function assertPositiveInteger(value: unknown, argName: string): asserts value is number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw new Error(`${argName}: expected a positive integer, got ${describe(value)}`);
  }
}

export function assertSeed(value: unknown, argName = 'seed'): asserts value is number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
    throw new Error(`${argName}: expected a safe integer (|seed| < 2^53), got ${describe(value)}`);
  }
}

interface ShapedLike {
  shape: number[];
  rank: number;
  dtype: string;
}

function isTensorLike(value: unknown): value is ShapedLike {
  return (
    typeof value === 'object' &&
    value !== null &&
    Array.isArray((value as ShapedLike).shape) &&
    typeof (value as ShapedLike).dtype === 'string'
  );
}

/** Throws unless `value` is a tensor of the given rank; `layout` names the axes, e.g. `[batch, heads, length, dim]`. */
export function assertTensorRank(value: unknown, rank: number, argName: string, layout: string): void {
  if (!isTensorLike(value)) {
    throw new Error(`${argName}: expected a rank-${rank} tensor ${layout}, got ${describe(value)}`);
  }
  if (value.shape.length !== rank) {
    throw new Error(
      `${argName}: expected a rank-${rank} tensor ${layout}, got shape [${value.shape.join(', ')}]`,
    );
  }
}

export function assertDtype(value: ShapedLike, dtypes: readonly string[], argName: string): void {
  if (!dtypes.includes(value.dtype)) {
    throw new Error(`${argName}: expected dtype ${dtypes.join(' or ')}, got ${value.dtype}`);
  }
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}
