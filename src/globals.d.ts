/** Replaced at build time with the version from package.json. */
declare const __MMAPX_VERSION__: string;

/** Replaced at build time: true only in the standalone executable's bundle (scripts/build-sea.mjs). */
declare const __MMAPX_SEA__: boolean;

/** Defined only in the standalone executable's bundle: koffi's native module, embedded as a SEA asset. */
declare const __MMAPX_SEA_ADDON__: {
  /** The asset's key. */
  key: string;
  /** The file name it is cached under: koffi's version, platform and a hash of its bytes. */
  file: string;
  /** Its size in bytes. */
  size: number;
};

/**
 * The scan worker's bundle (dist/scan-worker.cjs) relative to the bundle that starts it, defined per
 * bundle by scripts/build.mjs (and, for the tests' sources, by vitest.config.mts); undefined in a
 * bundle built without it, which then scans on the calling thread. See src/edit/scan.ts.
 */
declare const __MMAPX_SCAN_WORKER__: string | undefined;

/**
 * The hex-dump kernel's WebAssembly module (src/format/dump/kernel.ts kernelBytes()) as base64,
 * assembled once by scripts/build.mjs for the bundles; undefined elsewhere (the tests' sources),
 * where the kernel assembles it on first use.
 */
declare const __MMAPX_DUMP_KERNEL__: string | undefined;

/**
 * Defined only in the loader of a standalone executable built with warmed code caches
 * (src/cli/sea-loader.ts, scripts/build-sea.mjs): the SEA asset of each code cache by its name
 * (argv.ts cliBundle's `cache`: a small command's, or `main` for anything else).
 */
declare const __MMAPX_SEA_CACHES__: Readonly<Record<string, string>> & { readonly main: string };

/** Defined with __MMAPX_SEA_CACHES__: the text around the bundle that is compiled (scripts/sea-wrapper.mjs). */
declare const __MMAPX_SEA_WRAPPER__: readonly [string, string];
