// The program of a scan or hash worker thread (see scan.ts), its own small bundle entry: built by
// scripts/build.mjs as dist/scan-worker.cjs beside the CLI's and the library's bundles, and
// embedded by scripts/build-sea.mjs in the standalone executable as an asset it runs as code.
// Starting a thread therefore loads only the scan, the maps and the FFI, never the CLI.
import { runScanWorker } from './scan.js';

runScanWorker();
