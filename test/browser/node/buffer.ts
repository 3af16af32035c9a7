// Browser stand-in for the part of Node's `Buffer` that tests use (`Buffer.from(bytes).equals(other)`), for the
// browser test projects only: vitest.browser.ts imports it into the test files that name `Buffer`, never into
// the page's globals (tfjs's io switches to Node code paths when it sees a global Buffer).
class Bytes extends Uint8Array {
  equals(other: Uint8Array): boolean {
    return this.length === other.length && this.every((byte, i) => byte === other[i]);
  }
}

export const Buffer = {
  /** A copy of the bytes, as Node's Buffer.from makes. */
  from(source: ArrayBuffer | ArrayBufferView | ArrayLike<number>): Bytes {
    const view = ArrayBuffer.isView(source)
      ? new Uint8Array(source.buffer, source.byteOffset, source.byteLength)
      : source instanceof ArrayBuffer
        ? new Uint8Array(source)
        : Uint8Array.from(source);
    const bytes = new Bytes(view.length);
    bytes.set(view);
    return bytes;
  },
};
