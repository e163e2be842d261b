// A hostile user's arguments, numbers, environment and standard input, through the built CLI: each
// case once did something other than one line, a documented status and untouched files.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { MAX_HUNKS } from '../../src/format/patch/model.js';
import { requireBuild } from '../helpers/child.js';
import { expectFailure, fingerprint, mmapx } from '../helpers/cli.js';
import { tmpDir } from '../helpers/tmp.js';

const dir = tmpDir('mmapx-hostile-args-');
beforeAll(() => requireBuild());
let n = 0;
function file(content: string | Uint8Array = 'Hello, world!\n'): string {
  const p = join(dir, `f${n++}.bin`);
  writeFileSync(p, content);
  return p;
}

describe('patch: a list of more hunks than a patch may hold', () => {
  it('is one line, status 2, the file untouched (it exhausted the heap and aborted)', () => {
    const f = file(new Uint8Array(16));
    const before = fingerprint(f);
    const r = mmapx(['patch', f, '-'], { input: '0x1: 00 -> 01\n'.repeat(MAX_HUNKS + 1) });
    expectFailure(r, 2, new RegExp(`^mmapx: patch: .*: stdin line ${MAX_HUNKS + 1}: the patch has more than ${MAX_HUNKS} hunks .*: split it`));
    expect(fingerprint(f)).toBe(before);
  });
});
