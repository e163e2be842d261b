/**
 * The block decoder inside the npm package unbzip2-stream (lib/bzip2.js): the only part of it
 * mmapx uses (its index.js is a Node stream over the same functions). Both functions read the
 * module object through `this`: call them as methods.
 */
declare module 'unbzip2-stream/lib/bzip2.js' {
  /** Reads `n` bits (at most 32), most significant first; `null` skips to the next byte boundary. */
  type BitReader = (n: number | null) => number;
  const bzip2: {
    /** Reads the stream header `BZh1`..`BZh9` and returns the level (block size / 100000). */
    header(bits: BitReader): number;
    /**
     * Decodes the next block into `sink`, byte by byte, checks its CRC, and returns the stream CRC
     * so far (a signed 32-bit number, 0 before the first block). At the end-of-stream marker it
     * checks the stream CRC against `streamCRC`, skips to a byte boundary and returns null.
     * `buf` is the work area (at least `bufsize` = 100000 x level entries).
     */
    decompress(bits: BitReader, sink: (byte: number) => void, buf: Int32Array, bufsize: number, streamCRC: number): number | null;
  };
  export default bzip2;
}
