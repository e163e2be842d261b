// Bad arguments to every public function and method, generated from the package's exports: each
// one is an MmapError with a code of the library's own (ERR_INVALID_ARG for a wrong kind of value,
// ERR_OUT_OF_RANGE for a number out of range), thrown before any system call, naming the path when
// one was given, with the range when a range was wrong, and nothing of Node's own (no
// ERR_INVALID_ARG_TYPE, no "Received undefined", no TypeError from deep inside).
import { closeSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as lib from '../../src/index.js';
import { Mmap, MmapError, MmapMut, MmapNone, MmapOptions, MmapRaw } from '../../src/index.js';
import { LIB, requireBuild, runModule } from '../helpers/child.js';
import { tmpDir } from '../helpers/tmp.js';
import { WINDOWS } from '../helpers/platform.js';

const dir = tmpDir();
const path = join(dir, 'subject.bin');
const CONTENT = Buffer.from('0123456789abcdef'.repeat(512));
let fd = -1;
let ro: Mmap;
let rw: MmapMut;
let none: MmapNone;
let raw: MmapRaw;

beforeAll(() => {
  writeFileSync(path, CONTENT);
  fd = openSync(path, 'r+');
  ro = Mmap.map({ fd, path });
  rw = MmapMut.mapMut({ fd, path });
  none = Mmap.map({ fd, path }).makeNone();
  raw = MmapRaw.mapRaw({ fd, path });
});
afterAll(() => {
  ro.unmap();
  rw.unmap();
  none.unmap();
  raw.unmap();
  closeSync(fd);
});

/** What a parameter takes; each kind has its own list of wrong values. */
type Kind =
  | 'file'
  | 'fd'
  | 'size'
  | 'offset'
  | 'range'
  | 'advice'
  | 'uncheckedAdvice'
  | 'anyAdvice'
  | 'lockKind'
  | 'access'
  | 'windowOptions'
  | 'mapping'
  | 'remapOptions'
  | 'pageBits';

const good = (): Record<Kind, unknown> => ({
  file: { fd, path },
  fd,
  size: 1,
  offset: 0n,
  range: { offset: 0, length: 1 },
  advice: 'normal',
  uncheckedAdvice: 'dontneed',
  anyAdvice: 'normal',
  lockKind: 'shared',
  access: 'read',
  windowOptions: {},
  mapping: undefined,
  remapOptions: {},
  pageBits: 21,
});

/** Wrong values per kind; a file given with a path must name it in the error. */
const BAD: Record<Kind, unknown[]> = {
  file: [
    -1,
    1.5,
    Number.NaN,
    2 ** 31,
    '3',
    null,
    undefined,
    true,
    3n,
    Symbol('fd'),
    [],
    {},
    { fd: -1, path: 'named.bin' },
    { fd: 1.5, path: 'named.bin' },
    { fd: '3', path: 'named.bin' },
    { fd: null, path: 'named.bin' },
    { fd: 3, path: 42 },
  ],
  fd: [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 31, '3', null, undefined, true, 3n, {}, new Number(3), Symbol('fd')],
  size: [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53, '3', null, {}, -1n, 2n ** 63n, 2n ** 64n, 2n ** 64n + 8192n],
  offset: [-1, 1.5, Number.NaN, '3', null, undefined, -1n, 2n ** 63n, 2n ** 64n + 8192n],
  range: [
    null,
    5,
    'x',
    { offset: -1, length: 1 },
    { offset: 0, length: 1.5 },
    { offset: '0', length: 1 },
    { offset: 0 },
    { offset: 0, length: 10 ** 9 },
    { offset: 10 ** 9, length: 0 },
  ],
  // The destructive ones are refused by advise(): they belong to uncheckedAdvise().
  advice: ['bogus', '', 'constructor', '__proto__', 'toString', 'hasOwnProperty', 'dontneed', 'free', 'remove', 7, null, {}],
  uncheckedAdvice: ['normal', 'willneed', 'bogus', '', 'toString', '__proto__', 9, null, undefined],
  anyAdvice: ['bogus', '', 'toString', '__proto__', 9, null, undefined, {}],
  lockKind: ['bogus', 'SHARED', '', 1, null, undefined],
  access: ['bogus', 'write', 1, null],
  windowOptions: [
    null,
    5,
    'x',
    { windowSize: 0 },
    { windowSize: -4096 },
    { windowSize: 1.5 },
    { windowSize: '4096' },
    { overlap: -1 },
    { overlap: 1.5 },
    { overlap: 2 ** 30 },
    { offset: -1 },
    { offset: 2n ** 64n },
    { length: 'all' },
    { length: -1 },
    { populate: 'yes' },
    { windowsize: 4096 },
    { offset: 2n ** 63n - 1n, length: 2n },
    { windowSize: 2 ** 60 },
  ],
  mapping: [{}, null, undefined, 5, { view: () => new Uint8Array(1) }],
  remapOptions: [null, 5, 'x', [], { mayMove: 1 }, { mayMove: 'yes' }],
  pageBits: [0, 11, 64, 1.5, -21, '21', null, 21n],
};

type Target = 'module' | 'options' | 'ro' | 'rw' | 'none' | 'raw';
interface Row {
  target: Target;
  params: Kind[];
}

/**
 * Every public callable: `name` for a function, `Class.name` for a static method, `Class#name` for
 * a method, `new Class` for a constructor. The test below fails when an export is missing here.
 */
const SIGNATURES: Record<string, Row> = {
  armSigbusGuard: { target: 'module', params: [] },
  cachestat: { target: 'module', params: ['fd', 'offset', 'offset'] },
  fdAccessMode: { target: 'module', params: ['fd'] },
  fileSizeLimit: { target: 'module', params: ['fd', 'size'] },
  isAdviceSupported: { target: 'module', params: ['anyAdvice'] },
  supportedAdvice: { target: 'module', params: [] },
  pageSize: { target: 'module', params: [] },
  sigbusGuard: { target: 'module', params: [] },
  tryLockFile: { target: 'module', params: ['fd', 'lockKind'] },
  unlockFile: { target: 'module', params: ['fd'] },
  windows: { target: 'module', params: ['file', 'windowOptions'] },
  'Mmap.map': { target: 'module', params: ['file'] },
  'MmapMut.mapMut': { target: 'module', params: ['file'] },
  'MmapMut.mapAnon': { target: 'module', params: ['size'] },
  'MmapRaw.mapRaw': { target: 'module', params: ['file'] },
  'new MmapRaw': { target: 'module', params: ['mapping'] },
  'MmapOptions#huge': { target: 'options', params: ['pageBits'] },
  'MmapOptions#mapRaw': { target: 'options', params: ['file'] },
  'MmapOptions#mapRawReadOnly': { target: 'options', params: ['file'] },
  'Mmap#remap': { target: 'ro', params: ['size', 'remapOptions'] },
  'MmapMut#remap': { target: 'rw', params: ['size', 'remapOptions'] },
  'MmapNone#remap': { target: 'none', params: ['size', 'remapOptions'] },
  'MmapRaw#advise': { target: 'raw', params: ['advice', 'range'] },
  'MmapRaw#uncheckedAdvise': { target: 'raw', params: ['uncheckedAdvice', 'range'] },
  'MmapRaw#lock': { target: 'raw', params: ['range'] },
  'MmapRaw#unlock': { target: 'raw', params: ['range'] },
  'MmapRaw#assertIntact': { target: 'raw', params: ['access'] },
  'MmapRaw#residency': { target: 'raw', params: [] },
  'MmapRaw#fault': { target: 'raw', params: [] },
  'MmapRaw#addressRange': { target: 'raw', params: [] },
  'MmapRaw#unmap': { target: 'raw', params: [] },
  'MmapRaw#flush': { target: 'raw', params: [] },
  'MmapRaw#flushAsync': { target: 'raw', params: [] },
  'MmapRaw#flushRange': { target: 'raw', params: ['size', 'size'] },
  'MmapRaw#flushAsyncRange': { target: 'raw', params: ['size', 'size'] },
  'MmapRaw#remap': { target: 'raw', params: ['size', 'remapOptions'] },
  'new Mmap': { target: 'module', params: ['mapping'] },
  'new MmapMut': { target: 'module', params: ['mapping'] },
  'new MmapNone': { target: 'module', params: ['mapping'] },
  'new MmapOptions': { target: 'module', params: [] },
  'MmapOptions#offset': { target: 'options', params: ['size'] },
  'MmapOptions#len': { target: 'options', params: ['size'] },
  'MmapOptions#populate': { target: 'options', params: [] },
  'MmapOptions#map': { target: 'options', params: ['file'] },
  'MmapOptions#mapExec': { target: 'options', params: ['file'] },
  'MmapOptions#mapMut': { target: 'options', params: ['file'] },
  'MmapOptions#mapCopy': { target: 'options', params: ['file'] },
  'MmapOptions#mapCopyReadOnly': { target: 'options', params: ['file'] },
  'MmapOptions#mapAnon': { target: 'options', params: [] },
  // Methods every map has (tried on each kind of map), then those of one kind.
  'Mmap#advise': { target: 'ro', params: ['advice', 'range'] },
  'Mmap#uncheckedAdvise': { target: 'ro', params: ['uncheckedAdvice', 'range'] },
  'Mmap#lock': { target: 'ro', params: ['range'] },
  'Mmap#unlock': { target: 'ro', params: ['range'] },
  'Mmap#assertIntact': { target: 'ro', params: ['access'] },
  'Mmap#residency': { target: 'ro', params: [] },
  'Mmap#fault': { target: 'ro', params: [] },
  'Mmap#addressRange': { target: 'ro', params: [] },
  'Mmap#unmap': { target: 'ro', params: [] },
  'Mmap#makeMut': { target: 'ro', params: [] },
  'Mmap#makeExec': { target: 'ro', params: [] },
  'Mmap#makeReadOnly': { target: 'ro', params: [] },
  'Mmap#makeNone': { target: 'ro', params: [] },
  'MmapMut#advise': { target: 'rw', params: ['advice', 'range'] },
  'MmapMut#uncheckedAdvise': { target: 'rw', params: ['uncheckedAdvice', 'range'] },
  'MmapMut#lock': { target: 'rw', params: ['range'] },
  'MmapMut#unlock': { target: 'rw', params: ['range'] },
  'MmapMut#assertIntact': { target: 'rw', params: ['access'] },
  'MmapMut#residency': { target: 'rw', params: [] },
  'MmapMut#fault': { target: 'rw', params: [] },
  'MmapMut#addressRange': { target: 'rw', params: [] },
  'MmapMut#unmap': { target: 'rw', params: [] },
  'MmapMut#flush': { target: 'rw', params: [] },
  'MmapMut#flushAsync': { target: 'rw', params: [] },
  'MmapMut#flushRange': { target: 'rw', params: ['size', 'size'] },
  'MmapMut#flushAsyncRange': { target: 'rw', params: ['size', 'size'] },
  'MmapMut#makeExec': { target: 'rw', params: [] },
  'MmapMut#makeReadOnly': { target: 'rw', params: [] },
  'MmapMut#makeNone': { target: 'rw', params: [] },
  'MmapNone#advise': { target: 'none', params: ['advice', 'range'] },
  'MmapNone#uncheckedAdvise': { target: 'none', params: ['uncheckedAdvice', 'range'] },
  'MmapNone#lock': { target: 'none', params: ['range'] },
  'MmapNone#unlock': { target: 'none', params: ['range'] },
  'MmapNone#assertIntact': { target: 'none', params: ['access'] },
  'MmapNone#residency': { target: 'none', params: [] },
  'MmapNone#fault': { target: 'none', params: [] },
  'MmapNone#addressRange': { target: 'none', params: [] },
  'MmapNone#unmap': { target: 'none', params: [] },
  'MmapNone#makeMut': { target: 'none', params: [] },
  'MmapNone#makeExec': { target: 'none', params: [] },
  'MmapNone#makeReadOnly': { target: 'none', params: [] },
};

/** Exports that take no arguments of their own to check: the error type and constants. */
const NOT_CALLABLE = new Set(['MmapError', 'DEFAULT_WINDOW_SIZE']);

const isClass = (f: unknown): f is new (...a: unknown[]) => unknown => typeof f === 'function' && /^class\b/.test(Function.prototype.toString.call(f));

/** The public callables of a module object, named as in SIGNATURES. */
function callables(mod: Record<string, unknown>): string[] {
  const out: string[] = [];
  for (const [name, value] of Object.entries(mod)) {
    if (NOT_CALLABLE.has(name)) continue;
    if (!isClass(value)) {
      if (typeof value === 'function') out.push(name);
      continue;
    }
    out.push(`new ${name}`);
    for (const key of Object.getOwnPropertyNames(value)) {
      if (!['length', 'name', 'prototype'].includes(key) && typeof (value as unknown as Record<string, unknown>)[key] === 'function')
        out.push(`${name}.${key}`);
    }
    for (let proto = value.prototype; proto && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
      for (const key of Object.getOwnPropertyNames(proto)) {
        const d = Object.getOwnPropertyDescriptor(proto, key);
        if (key !== 'constructor' && typeof d?.value === 'function' && !out.includes(`${name}#${key}`)) out.push(`${name}#${key}`);
      }
    }
  }
  return out.sort();
}

function call(name: string, target: Target, args: unknown[]): unknown {
  const mod = lib as unknown as Record<string, unknown>;
  if (name.startsWith('new ')) {
    const C = mod[name.slice(4)] as new (...a: unknown[]) => unknown;
    return new C(...args);
  }
  if (name.includes('.')) {
    const [cls, fn] = name.split('.') as [string, string];
    const C = mod[cls] as Record<string, (...a: unknown[]) => unknown>;
    return C[fn]!(...args);
  }
  if (name.includes('#')) {
    const fn = name.split('#')[1] as string;
    const self = { options: new MmapOptions(), ro, rw, none, raw, module: undefined }[target] as unknown as Record<string, (...a: unknown[]) => unknown>;
    return self[fn]!(...args);
  }
  return (mod[name] as (...a: unknown[]) => unknown)(...args);
}

/** The cases: one per callable, parameter and wrong value. */
interface Case {
  name: string;
  position: number;
  kind: Kind;
  value: unknown;
}

/**
 * The arguments of a case: the good value of every other parameter, made when the test runs (the
 * file is opened in beforeAll, after the cases are listed), so that only the bad one can throw.
 */
function argsOf(c: Case): unknown[] {
  const args = SIGNATURES[c.name]!.params.map((k) => good()[k]);
  args[c.position] = c.value;
  return args;
}

function cases(): Case[] {
  const out: Case[] = [];
  for (const [name, row] of Object.entries(SIGNATURES)) {
    row.params.forEach((kind, position) => {
      for (const value of BAD[kind]) {
        out.push({ name, position, kind, value });
      }
    });
  }
  return out;
}

const NODE_INTERNAL = /ERR_INVALID_ARG_TYPE|ERR_INVALID_ARG_VALUE|Received |is not a function|Cannot read|Cannot convert|undefined \(reading/;

describe('bad arguments to every public function and method', () => {
  it('the_table_lists_every_export_and_nothing_else', () => {
    expect(callables(lib as unknown as Record<string, unknown>)).toEqual(Object.keys(SIGNATURES).sort());
  });

  it('every_signature_takes_its_good_arguments_so_each_case_fails_on_its_bad_one_only', () => {
    for (const [name, row] of Object.entries(SIGNATURES)) {
      // No good value makes a map from nothing; pages without access cannot be locked (ENOMEM).
      // remap retires the map every later case uses (its own tests are in memmap2-gaps.test.ts).
      if (row.params.length === 0 || row.params.includes('mapping') || name === 'MmapNone#lock' || name.endsWith('#remap')) continue;
      // Windows has no madvise, mincore nor mremap: good arguments get ERR_UNSUPPORTED_PLATFORM there.
      if (WINDOWS && /#(advise|uncheckedAdvise|residency)$/.test(name)) continue;
      const result = call(
        name,
        row.target,
        row.params.map((k) => good()[k]),
      );
      if (result instanceof Mmap || result instanceof MmapMut || result instanceof MmapNone) result.unmap();
      if (name === 'tryLockFile') {
        expect(result).toBe('locked');
        lib.unlockFile(fd);
      }
    }
  });

  it.each(cases().map((c) => [`${c.name} arg ${c.position} (${c.kind}) = ${describe_(c.value)}`, c] as const))('%s', (_, c) => {
    let thrown: unknown;
    try {
      // windows() is a generator: its arguments are checked when it is called, not on first next().
      call(c.name, SIGNATURES[c.name]!.target, argsOf(c));
    } catch (err) {
      thrown = err;
    }
    expect(thrown, 'nothing was thrown').toBeInstanceOf(MmapError);
    const e = thrown as MmapError;
    expect(['ERR_INVALID_ARG', 'ERR_OUT_OF_RANGE']).toContain(e.code);
    expect(e.syscall).toBeUndefined();
    expect(e.message).not.toMatch(NODE_INTERNAL);
    expect(e.message.split('\n')).toHaveLength(1);
    // The path, when the file (or the map) has one.
    const named = typeof c.value === 'object' && c.value !== null && typeof (c.value as { path?: unknown }).path === 'string';
    if (named) expect(e.path).toBe('named.bin');
    else if (c.kind !== 'file' && c.kind !== 'fd' && c.kind !== 'mapping' && !c.name.startsWith('MmapOptions#') && SIGNATURES[c.name]!.target !== 'module') {
      expect(e.path).toBe(path);
    }
    // A range outside the map names it.
    if (c.kind === 'range' && e.code === 'ERR_OUT_OF_RANGE' && typeof c.value === 'object' && c.value !== null) {
      const r = c.value as { offset: unknown; length: unknown };
      if (Number.isSafeInteger(r.offset) && Number.isSafeInteger(r.length) && (r.offset as number) >= 0 && (r.length as number) >= 0) {
        expect([e.offset, e.length]).toEqual([BigInt(r.offset as number), BigInt(r.length as number)]);
      }
    }
  });

  it('flush_range_and_advise_out_of_the_map_name_offset_and_length', () => {
    for (const fn of [() => rw.flushRange(8000, 500), () => rw.flushAsyncRange(8192, 1), () => ro.advise('willneed', { offset: 4096, length: 8192 })]) {
      let e: MmapError | undefined;
      try {
        fn();
      } catch (err) {
        e = err as MmapError;
      }
      expect(e?.code).toBe('ERR_OUT_OF_RANGE');
      expect(e?.path).toBe(path);
      expect(typeof e?.offset).toBe('bigint');
      expect(typeof e?.length).toBe('bigint');
      expect(e?.message).toMatch(/range offset \d+ length \d+ is outside the mapping \(length 8192\)/);
    }
  });

  it('a_closed_descriptor_is_ebadf_from_fstat_with_its_errno_and_path', () => {
    for (const fn of [() => Mmap.map({ fd: 987_654, path: 'gone.bin' }), () => lib.windows({ fd: 987_654, path: 'gone.bin' }).next()]) {
      let e: MmapError | undefined;
      try {
        fn();
      } catch (err) {
        e = err as MmapError;
      }
      expect(e).toBeInstanceOf(MmapError);
      expect([e?.code, e?.syscall, e?.errno, e?.path]).toEqual(['EBADF', 'fstat', WINDOWS ? 4083 : 9, 'gone.bin']);
    }
  });

  it('nothing_was_written_by_any_bad_call', () => {
    expect(readFileSync(path).equals(CONTENT)).toBe(true);
  });
});

describe('the built package', () => {
  beforeAll(() => requireBuild());

  it('classes_keep_their_names_and_one_mmap_error_serves_import_and_require', () => {
    const r = runModule(`
      import { createRequire } from 'node:module';
      import { inspect } from 'node:util';
      import * as esm from $LIB;
      const cjs = createRequire(import.meta.url)(${JSON.stringify(LIB.replace(/\.mjs$/, '.cjs'))});
      const names = ['Mmap', 'MmapMut', 'MmapNone', 'MmapOptions', 'MmapError'].map((n) => esm[n].name + '/' + cjs[n].name);
      const caught = (fn) => { try { fn(); } catch (e) { return e; } };
      const fromEsm = caught(() => esm.Mmap.map(-1));
      const fromCjs = caught(() => cjs.tryLockFile(0, 'bogus'));
      // A copy of the class that is neither build (a bundle, another version) recognises them too.
      class Foreign extends Error {}
      Object.defineProperty(Foreign.prototype, Symbol.for('mmapx.MmapError'), { value: true });
      console.log(JSON.stringify({
        names,
        same: esm.MmapError === cjs.MmapError,
        cross: [fromEsm instanceof cjs.MmapError, fromCjs instanceof esm.MmapError, new Foreign() instanceof esm.MmapError, new Error('x') instanceof cjs.MmapError],
        shown: inspect(esm.Mmap) + ' ' + inspect(new cjs.MmapOptions()),
        codes: [fromEsm.code, fromCjs.code],
      }));`);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual({
      names: ['Mmap/Mmap', 'MmapMut/MmapMut', 'MmapNone/MmapNone', 'MmapOptions/MmapOptions', 'MmapError/MmapError'],
      same: true,
      cross: [true, true, true, false],
      shown: '[class Mmap extends MapBase] MmapOptions {}',
      codes: ['ERR_INVALID_ARG', 'ERR_INVALID_ARG'],
    });
  });
});

function describe_(v: unknown): string {
  if (typeof v === 'bigint') return `${v}n`;
  if (typeof v === 'symbol') return 'Symbol()';
  if (typeof v === 'object' && v !== null) return JSON.stringify(v, (_, x) => (typeof x === 'bigint' ? `${x}n` : typeof x === 'function' ? 'fn' : x));
  return typeof v === 'string' ? JSON.stringify(v) : String(v);
}
