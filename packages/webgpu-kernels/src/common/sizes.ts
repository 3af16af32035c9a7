/** The largest divisor of `n` that is at most `bound` (at least 1): a tile or a thread count that splits `n` evenly. */
export function largestDivisorAtMost(n: number, bound: number): number {
  for (let d = Math.max(1, Math.min(n, Math.floor(bound))); d > 1; d--) if (n % d === 0) return d;
  return 1;
}
