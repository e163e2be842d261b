// The process the delta crash harness kills (test/helpers/delta-crash.mjs): applies the delta of a
// JSON file (ops with their bytes in base64) to FILE in place through the built library
// (dist/lib/edit.mjs, what `mmapx/edit` users import), and prints the outcome's timings as JSON.
//
//   node test/helpers/delta-child.mjs FILE DELTA.json [CHUNK]
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT } from './base.mjs';

const [file, json, chunk] = process.argv.slice(2);
const { applyDelta } = await import(pathToFileURL(join(ROOT, 'dist', 'lib', 'edit.mjs')).href);
const spec = JSON.parse(readFileSync(json, 'utf8'));
const big = (v) => (v === undefined ? undefined : BigInt(v));
const ops = spec.ops.map((o) => ({
  kind: o.kind,
  at: BigInt(o.at),
  ...(o.length !== undefined && { length: BigInt(o.length) }),
  ...(o.from !== undefined && { from: BigInt(o.from) }),
  ...(o.value !== undefined && { value: o.value }),
  ...(o.bytes !== undefined && { bytes: Buffer.from(o.bytes, 'base64') }),
}));
const delta = {
  format: spec.format,
  sourceSize: big(spec.sourceSize),
  targetSize: big(spec.targetSize),
  checks: spec.checks,
  ops: () => ops,
};
const r = await applyDelta(file, delta, { chunk: Number(chunk ?? 1 << 20) });
process.stdout.write(`${JSON.stringify({ status: r.status, timings: r.timings, journal: r.journal?.bytes ?? null })}\n`);
