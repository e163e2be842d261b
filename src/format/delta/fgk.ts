/**
 * xdelta3's `fgk` secondary compressor (id 16), decoded: adaptive Huffman coding by the FGK algorithm
 * (Faller, Gallager, Knuth: "Dynamic Huffman Coding", J. Algorithms 6, 1985). Pure.
 *
 * The format is the algorithm: encoder and decoder start from the same tree and update it the same way
 * after every byte, so the decoder must reproduce xdelta3's tree maintenance exactly (xdelta3-fgk.h):
 *
 * - The alphabet is the 256 byte values. A symbol not seen yet is coded as the path to the one
 *   zero-weight leaf (the head of the list of unseen symbols) followed by its index in that list, in
 *   `e` bits when the count of unseen symbols is 2^e, else `e + 1` (no index when one is left).
 * - Nodes sit in a list ordered by weight (`left` lighter, `right` heavier); a block groups the nodes of
 *   equal weight and its leader is the rightmost of them. Before a node's weight is incremented it
 *   swaps places with its block's leader (unless that is its parent), then moves to the next block.
 * - A first-seen symbol splits the zero leaf: a new internal node takes its place, with the zero list
 *   as left child and the new symbol as right child.
 * - Bits are read from each byte least significant first; a section stops at the byte holding its last
 *   symbol's last bit, and the tree carries over to the next section of the same kind.
 *
 * Nodes are indexes into typed arrays (-1 for none): 0..255 are the leaves, internal nodes are taken
 * from 256 up. A block's slot holds its leader, or the next free block while it is free (as in the
 * original, where the two share storage).
 */

import { type SecondaryDecoder, SectionError } from './vcdiff-secondary.js';

const ALPHABET = 256;
const NODES = 2 * ALPHABET - 1;
const BLOCKS = 2 * NODES;
const NONE = -1;

export class FgkDecoder implements SecondaryDecoder {
  readonly #weight = new Float64Array(NODES);
  readonly #parent = new Int32Array(NODES);
  readonly #leftChild = new Int32Array(NODES);
  readonly #rightChild = new Int32Array(NODES);
  readonly #left = new Int32Array(NODES);
  readonly #right = new Int32Array(NODES);
  readonly #block = new Int32Array(NODES);
  /** A used block's leader, or a free block's successor in the free list. */
  readonly #blockSlot = new Int32Array(BLOCKS);
  #freeBlock = 0;
  #freeNode = ALPHABET;
  #root = 0;
  #cursor = 0;
  #zeros = 0;
  #zeroCount = ALPHABET + 2;
  #zeroExp = 0;
  #zeroRem = 0;
  #indexBits = 0;
  #indexDepth = 0;

  constructor() {
    this.#factorZeros();
    this.#factorZeros();
    for (let b = 0; b < BLOCKS; b++) this.#blockSlot[b] = b + 1 < BLOCKS ? b + 1 : NONE;
    for (let i = 0; i < ALPHABET; i++) {
      // The unseen symbols form a list through their child links: left = previous, right = next.
      this.#rightChild[i] = i < ALPHABET - 1 ? i + 1 : NONE;
      this.#leftChild[i] = i >= 1 ? i - 1 : NONE;
      this.#parent[i] = this.#left[i] = this.#right[i] = this.#block[i] = NONE;
    }
  }

  decode(input: Uint8Array, size: number): Uint8Array {
    const out = new Uint8Array(size);
    let n = 0;
    let ip = 0;
    while (n < size) {
      if (ip >= input.length) throw new SectionError(`the section ends after ${n} of its ${size} bytes`, ip);
      const byte = input[ip++]!;
      for (let mask = 1; mask !== 0x100; mask <<= 1) {
        if (!this.#step(byte & mask ? 1 : 0, ip - 1)) continue;
        out[n++] = this.#symbol(ip - 1);
        if (n === size) {
          if (byte & ~((mask << 1) - 1) & 0xff) throw new SectionError('nonzero bits after the last code', ip - 1);
          break;
        }
      }
    }
    if (ip !== input.length) throw new SectionError(`${input.length - ip} bytes after the section's last code`, ip);
    return out;
  }

  /** Sets the exponent and remainder of the unseen count (count = 2^exp + rem) after one is used. */
  #factorZeros(): void {
    const count = --this.#zeroCount;
    let exp = 0;
    for (let i = count; i > 1; i >>>= 1) exp++;
    this.#zeroExp = exp;
    this.#zeroRem = count - 2 ** exp;
  }

  /** Follows one bit; true when a whole code has been read. */
  #step(bit: number, at: number): boolean {
    if (this.#weight[this.#cursor] === 0) {
      // At the zero leaf: reading the index of an unseen symbol.
      const need = this.#zeroRem === 0 ? this.#zeroExp : this.#zeroExp + 1;
      this.#indexBits = this.#indexBits * 2 + bit;
      this.#indexDepth++;
      return this.#indexDepth >= need;
    }
    const next = bit ? this.#rightChild[this.#cursor]! : this.#leftChild[this.#cursor]!;
    if (next === NONE) throw new SectionError('code leads out of the tree', at);
    this.#cursor = next;
    if (this.#leftChild[next] !== NONE) return false;
    return this.#weight[next] !== 0 || this.#zeroCount === 1;
  }

  /** The symbol the code just read names; updates the tree. */
  #symbol(at: number): number {
    let symbol = this.#cursor;
    if (this.#weight[symbol] === 0) {
      // With one unseen symbol left no index is sent (and the walk below stops at once).
      let index = this.#indexBits;
      symbol = this.#zeros;
      for (; index !== 0 && this.#rightChild[symbol] !== NONE; index--) symbol = this.#rightChild[symbol]!;
    }
    if (symbol < 0 || symbol >= ALPHABET) throw new SectionError('code names no symbol', at);
    this.#indexBits = 0;
    this.#indexDepth = 0;
    this.#update(symbol, at);
    this.#cursor = this.#root;
    return symbol;
  }

  #update(symbol: number, at: number): void {
    let node = this.#weight[symbol] === 0 ? this.#splitZero(symbol, at) : symbol;
    while (node !== this.#root) {
      this.#swapWithLeader(node);
      this.#promote(node, at);
      this.#weight[node]!++;
      node = this.#parent[node]!;
      if (node === NONE) throw new SectionError('broken tree', at);
    }
    this.#weight[this.#root]!++;
  }

  /** Swaps `node` with the leader of its block (the rightmost node of its weight) in list and tree. */
  #swapWithLeader(node: number): void {
    const leader = this.#blockSlot[this.#block[node]!]!;
    if (node === leader || this.#parent[node] === leader || this.#weight[node] === 0) return;
    const left = this.#left;
    const right = this.#right;
    left[right[leader]!] = node;
    if (left[node] !== NONE) right[left[node]!] = leader;
    let t = right[node]!;
    right[node] = right[leader]!;
    if (t === leader) {
      right[leader] = node;
    } else {
      left[t] = leader;
      right[leader] = t;
    }
    t = left[leader]!;
    left[leader] = left[node]!;
    if (t === node) {
      left[node] = leader;
    } else {
      right[t] = node;
      left[node] = t;
    }
    const nodeParent = this.#parent[node]!;
    const leaderParent = this.#parent[leader]!;
    const nodeIsRight = this.#rightChild[nodeParent] === node;
    const leaderIsRight = this.#rightChild[leaderParent] === leader;
    (nodeIsRight ? this.#rightChild : this.#leftChild)[nodeParent] = leader;
    (leaderIsRight ? this.#rightChild : this.#leftChild)[leaderParent] = node;
    this.#parent[node] = leaderParent;
    this.#parent[leader] = nodeParent;
    this.#blockSlot[this.#block[node]!] = node;
  }

  /** Moves `node`, the leader of its block, to the block of the next weight (or a new block). */
  #promote(node: number, at: number): void {
    const weight = this.#weight[node]!;
    if (weight === 0) return;
    const right = this.#right[node]!;
    const left = this.#left[node]!;
    const current = this.#block[node]!;
    const joinsRight = right !== NONE && right !== this.#root && weight === this.#weight[right]! - 1;
    const leftChild = this.#leftChild[node]!;
    if (left === this.#rightChild[node] && leftChild !== NONE && this.#weight[leftChild] === 0) {
      // The parent of the zero leaf, just past its right child in the list.
      if (joinsRight) {
        this.#releaseBlock(current);
        this.#block[node] = this.#block[right]!;
        this.#block[left] = this.#block[right]!;
      }
      return;
    }
    if (left === this.#zeros) return;
    if (left !== NONE && this.#block[left] === current) this.#blockSlot[current] = left;
    else this.#releaseBlock(current);
    this.#block[node] = joinsRight ? this.#block[right]! : this.#takeBlock(node, at);
  }

  /** Gives a first-seen symbol its own leaf, splitting the zero leaf; returns the leaf. */
  #splitZero(symbol: number, at: number): number {
    if (this.#zeroCount === 1) {
      // The last unseen symbol: the zero leaf itself becomes its leaf.
      this.#rightChild[symbol] = NONE;
      const right = this.#right[symbol]!;
      this.#block[symbol] = right !== NONE && this.#weight[right] === 1 ? this.#block[right]! : this.#takeBlock(symbol, at);
      this.#zeros = NONE;
      return symbol;
    }
    const zero = this.#zeros;
    if (this.#freeNode >= NODES) throw new SectionError('tree out of nodes', at);
    const inner = this.#freeNode++;
    this.#parent[inner] = this.#parent[zero]!;
    this.#right[inner] = this.#right[zero]!;
    this.#weight[inner] = 0;
    this.#rightChild[inner] = symbol;
    this.#left[inner] = symbol;
    if (zero === this.#root) {
      this.#root = inner;
      this.#block[symbol] = this.#takeBlock(symbol, at);
      this.#block[inner] = this.#takeBlock(inner, at);
    } else {
      const right = this.#right[inner]!;
      this.#left[right] = inner;
      const parent = this.#parent[zero]!;
      if (this.#rightChild[parent] === zero) this.#rightChild[parent] = inner;
      else this.#leftChild[parent] = inner;
      this.#block[inner] = this.#weight[right] === 1 ? this.#block[right]! : this.#takeBlock(inner, at);
      this.#block[symbol] = this.#block[inner]!;
    }
    this.#unlinkZero(symbol);
    const zeros = this.#zeros;
    this.#leftChild[inner] = zeros;
    this.#right[symbol] = inner;
    this.#left[symbol] = zeros;
    this.#parent[symbol] = inner;
    this.#leftChild[symbol] = NONE;
    this.#rightChild[symbol] = NONE;
    this.#parent[zeros] = inner;
    this.#right[zeros] = symbol;
    return symbol;
  }

  /** Removes `symbol` from the list of unseen symbols. */
  #unlinkZero(symbol: number): void {
    if (this.#zeroCount === 1) return;
    this.#factorZeros();
    const prev = this.#leftChild[symbol]!;
    const next = this.#rightChild[symbol]!;
    if (prev === NONE) {
      this.#zeros = this.#rightChild[this.#zeros]!;
      this.#leftChild[this.#zeros] = NONE;
    } else if (next === NONE) {
      this.#rightChild[prev] = NONE;
    } else {
      this.#leftChild[next] = prev;
      this.#rightChild[prev] = next;
    }
  }

  #takeBlock(leader: number, at: number): number {
    const b = this.#freeBlock;
    if (b === NONE) throw new SectionError('tree out of blocks', at);
    this.#freeBlock = this.#blockSlot[b]!;
    this.#blockSlot[b] = leader;
    return b;
  }

  #releaseBlock(b: number): void {
    if (b === NONE) return;
    this.#blockSlot[b] = this.#freeBlock;
    this.#freeBlock = b;
  }
}
