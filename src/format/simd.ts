/**
 * A WebAssembly SIMD kernel for the keyed bytewise transforms (`xor`, `and`, `or`; `not` is an xor
 * with ff): 16 bytes per instruction, several times the speed of the 32-bit JS loops of
 * transform.ts. The module is assembled here from its opcodes (no file, no fetch) and compiled
 * synchronously on first use; where WebAssembly or its SIMD is missing, {@link simdKernel} returns
 * undefined and the JS kernels stay.
 *
 * Its bytes must be in the module's own memory: a caller that wants the speed reads its window
 * into {@link SimdKernel.window} (pread straight into it, no extra copy). Bytes anywhere else go
 * through the JS kernel. A window stays valid until the next call of `window` of any kernel (the
 * memory may grow, which detaches the views of the old one).
 */

/**
 * One exported function per op, each `(p, n, k, j, per)`: for every 16 bytes at p .. p+n (n a
 * multiple of 16), bytes = bytes OP key[k + j .. k + j + 16], then j += 16 modulo per. The key
 * area at k holds the key repeated over `per` bytes (a multiple of 16) plus 16 more, so that a
 * load at any j < per reads the key's continuation.
 */
function body(op: number): number[] {
  // biome-ignore format: one instruction per line
  const code = [
    0x01, 0x01, 0x7f, //                     one local, i32: $end (index 5)
    0x20, 0, 0x20, 1, 0x6a, 0x21, 5, //      end = p + n
    0x02, 0x40, //                           block
    0x03, 0x40, //                             loop
    0x20, 0, 0x20, 5, 0x4f, 0x0d, 1, //          if p >= end: leave the block
    0x20, 0, //                                  (the store's address)
    0x20, 0, 0xfd, 0x00, 0x00, 0x00, //          v128.load [p]
    0x20, 2, 0x20, 3, 0x6a, //                   k + j
    0xfd, 0x00, 0x00, 0x00, //                   v128.load [k + j]
    0xfd, op, //                                 v128.xor / and / or
    0xfd, 0x0b, 0x00, 0x00, //                   v128.store [p]
    0x20, 0, 0x41, 16, 0x6a, 0x21, 0, //         p += 16
    0x20, 3, 0x41, 16, 0x6a, 0x22, 3, //         j += 16
    0x20, 4, 0x4f, 0x04, 0x40, //                if j >= per
    0x20, 3, 0x20, 4, 0x6b, 0x21, 3, //            j -= per
    0x0b, //                                     end if
    0x0c, 0, //                                  next
    0x0b, //                                   end loop
    0x0b, //                                 end block
    0x0b, //                               end
  ];
  return [...leb(code.length), ...code];
}

/** An unsigned LEB128 number. */
function leb(n: number): number[] {
  const out: number[] = [];
  do {
    const b = n & 0x7f;
    n >>>= 7;
    out.push(n === 0 ? b : b | 0x80);
  } while (n !== 0);
  return out;
}

function section(id: number, content: number[]): number[] {
  return [id, ...leb(content.length), ...content];
}

function name(s: string): number[] {
  return [s.length, ...Buffer.from(s, 'latin1')];
}

const OPS = { xor: 0x51, and: 0x4e, or: 0x50 } as const;

function moduleBytes(): Uint8Array {
  return Uint8Array.from([
    ...Buffer.from('\0asm', 'latin1'), // the magic
    ...[1, 0, 0, 0], // version 1
    ...section(1, [1, 0x60, 5, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0]), // one type: (i32 x5) -> ()
    ...section(3, [3, 0, 0, 0]), // three functions of that type
    ...section(5, [1, 0x00, 1]), // one memory, at least one page
    ...section(7, [4, ...name('memory'), 2, 0, ...name('xor'), 0, 0, ...name('and'), 0, 1, ...name('or'), 0, 2]),
    ...section(10, [3, ...body(OPS.xor), ...body(OPS.and), ...body(OPS.or)]),
  ]);
}

/** What is used of WebAssembly (the project's TypeScript libraries do not declare it). */
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { readonly exports: Record<string, unknown> };
}

interface Instance {
  readonly memory: WasmMemory;
  readonly fns: Record<keyof typeof OPS, (p: number, n: number, k: number, j: number, per: number) => void>;
  /** The first free byte: key areas go below it, windows above. */
  top: number;
}

let instance: Instance | null | undefined;

function load(): Instance | null {
  if (instance !== undefined) return instance;
  try {
    const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
    const e = new wasm.Instance(new wasm.Module(moduleBytes())).exports;
    instance = {
      memory: e.memory as WasmMemory,
      fns: { xor: e.xor, and: e.and, or: e.or } as Instance['fns'],
      top: 0,
    };
  } catch {
    instance = null; // no WebAssembly SIMD here: the JS kernels do it all
  }
  return instance;
}

/** The part of a keyed transform that runs in WebAssembly. */
export interface SimdKernel {
  /** A buffer of `n` bytes in the kernel's memory (valid until the next `window` of any kernel). */
  window(n: number): Uint8Array;
  /**
   * Transforms `bytes` (in the kernel's memory, from {@link window}) in place, `phase` bytes into
   * the range, up to the last whole 16 bytes; returns how many it did (the caller does the rest).
   * 0 when `bytes` are elsewhere.
   */
  run(bytes: Uint8Array, phase: number): number;
}

/** Bytes of key area above which the kernel is not used (a key of odd length L repeats over 16 L). */
const MAX_PERIOD = 1 << 20;

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

/** The WebAssembly kernel of `op KEY`, or undefined where WebAssembly SIMD is missing or the key's period is too long. */
export function simdKernel(op: keyof typeof OPS, key: Uint8Array): SimdKernel | undefined {
  const per = (key.length * 16) / gcd(key.length, 16);
  if (per > MAX_PERIOD || load() === null) return undefined;
  let k = -1; // where this kernel's key area is, once placed
  const fn = instance!.fns[op];
  const place = (n: number): number => {
    const inst = instance!;
    const need = inst.top + (k < 0 ? per + 16 : 0) + n + 16;
    const have = inst.memory.buffer.byteLength;
    if (need > have) inst.memory.grow(Math.ceil((need - have) / 65536));
    if (k < 0) {
      k = inst.top;
      const mem = new Uint8Array(inst.memory.buffer, k, per + 16);
      mem.set(key);
      for (let filled = key.length; filled < mem.length; filled *= 2) mem.copyWithin(filled, 0, Math.min(filled, mem.length - filled));
      inst.top = k + per + 16;
    }
    // Windows start on 16 bytes (aligned loads), after every key area.
    return Math.ceil(inst.top / 16) * 16;
  };
  return {
    window(n) {
      const at = place(n);
      return new Uint8Array(instance!.memory.buffer, at, n);
    },
    run(bytes, phase) {
      if (k < 0 || bytes.buffer !== instance!.memory.buffer || bytes.length < 16) return 0;
      const main = bytes.length - (bytes.length % 16);
      fn(bytes.byteOffset, main, k, phase % per, per);
      return main;
    },
  };
}
