/** Replaced at build time with the version from package.json. */
declare const __MMAPX_VERSION__: string;
