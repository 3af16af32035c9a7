// JavaScript-side storage of a decoding cache: the keys and values of every past position, and for LSH the
// past buckets indexed by bucket, so that one step copies only the rows of its attention window.

/** A growable Float32Array of fixed-size rows, one row per position (appended in position order). */
export class RowStore {
  #data: Float32Array;
  #length = 0;

  constructor(
    /** Floats per position: batch · heads · headSize. */
    readonly rowSize: number,
    capacity: number,
  ) {
    this.#data = new Float32Array(Math.max(1, capacity) * rowSize);
  }

  get length(): number {
    return this.#length;
  }

  /** The backing array, [capacity][rowSize]; rows at or after `length` are unused. */
  get data(): Float32Array {
    return this.#data;
  }

  /** Makes room for `extra` more rows (doubling, so appends cost O(rowSize) amortised). */
  reserve(extra: number): void {
    const needed = (this.#length + extra) * this.rowSize;
    if (needed <= this.#data.length) return;
    let size = this.#data.length;
    while (size < needed) size *= 2;
    const grown = new Float32Array(size);
    grown.set(this.#data.subarray(0, this.#length * this.rowSize));
    this.#data = grown;
  }

  /** Marks `n` reserved rows as written (the caller filled them through `data`). */
  commit(n: number): void {
    this.#length += n;
  }
}

/** A growable Int32Array of positions, in increasing order. */
class PositionList {
  items = new Int32Array(4);
  length = 0;

  push(position: number): void {
    if (this.length === this.items.length) {
      const grown = new Int32Array(this.items.length * 2);
      grown.set(this.items);
      this.items = grown;
    }
    this.items[this.length++] = position;
  }
}

/**
 * The positions of one (batch entry, head, round), grouped by bucket: the order (bucket, position) in which the
 * uncached forward sorts a round is the concatenation of the groups. New positions are always the largest, so
 * appending keeps every group sorted, and a rank is found by counting the groups before it: O(buckets) per
 * lookup of a run of consecutive ranks, never a sort of the whole past.
 */
export class BucketIndex {
  readonly #groups: PositionList[];
  #total = 0;

  constructor(readonly buckets: number) {
    this.#groups = Array.from({length: buckets}, () => new PositionList());
  }

  get total(): number {
    return this.#total;
  }

  add(bucket: number, position: number): void {
    this.#groups[bucket]!.push(position);
    this.#total++;
  }

  /** Positions with a bucket below `bucket`, plus those in `bucket` (the rank of the last of them, plus one). */
  countUpTo(bucket: number): number {
    let n = 0;
    for (let b = 0; b <= bucket; b++) n += this.#groups[b]!.length;
    return n;
  }

  /**
   * Writes into `out[offset + i]` the position of rank `start + i` in (bucket, position) order, for i < count;
   * ranks at or past `total` (the padding the uncached forward sorts last) get -1.
   */
  positionsAtRanks(start: number, count: number, out: Int32Array, offset: number): void {
    let b = 0;
    let before = 0; // ranks in the groups before b
    for (let i = 0; i < count; i++) {
      const rank = start + i;
      if (rank >= this.#total) {
        out[offset + i] = -1;
        continue;
      }
      while (before + this.#groups[b]!.length <= rank) {
        before += this.#groups[b]!.length;
        b++;
      }
      out[offset + i] = this.#groups[b]!.items[rank - before]!;
    }
  }
}

/**
 * The chunk a query in chunk `chunk` sees at window offset `offset` (-before .. after) among `chunks` chunks, as
 * `lookAdjacent` builds windows (HF's and trax's rolls with Python slice semantics): a roll whose magnitude
 * reaches the number of chunks leaves the chunks where they are, so the query then sees its own chunk again.
 */
export function windowChunk(chunk: number, offset: number, chunks: number): number {
  if (offset === 0 || Math.abs(offset) >= chunks) return chunk;
  return (((chunk + offset) % chunks) + chunks) % chunks;
}
