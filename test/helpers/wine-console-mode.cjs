// Run by Windows Node under Wine on a console (test/wine/console.test.ts):
//   node wine-console-mode.cjs OUT ARGS...
// Wine's console starts with ENABLE_VIRTUAL_TERMINAL_PROCESSING on: this turns it off (the console
// on standard error, which mmapx's progress line draws on), as an
// older console has it, runs `mmapx ARGS` on the same console (bin/mmapx.js, standard handles
// inherited), watches the console mode while it runs, and writes to OUT the mode before, whether
// the bit was seen on while mmapx ran, and the mode after mmapx exited (mmapx's own FFI is not
// loaded in this process: the watcher is a separate one).
const { spawn } = require('node:child_process');
const { writeFileSync } = require('node:fs');
const { join } = require('node:path');
const koffi = require('koffi');

const [out, ...args] = process.argv.slice(2);
const kernel32 = koffi.load('kernel32.dll');
const GetConsoleMode = kernel32.func('int GetConsoleMode(void *handle, _Out_ uint32_t *mode)');
const SetConsoleMode = kernel32.func('int SetConsoleMode(void *handle, uint32_t mode)');
const handle = koffi.load(process.execPath).func('void *uv_get_osfhandle(int fd)')(2);
const mode = () => {
  const m = new Uint32Array(1);
  return GetConsoleMode(handle, m) ? m[0] : -1;
};
SetConsoleMode(handle, mode() & ~0x4);
const before = mode();
let seenOn = false;
const watch = setInterval(() => {
  if (mode() & 0x4) seenOn = true;
}, 2);
const child = spawn(process.execPath, [join(__dirname, '..', '..', 'bin', 'mmapx.js'), ...args], { stdio: 'inherit' });
child.on('exit', (status) => {
  clearInterval(watch);
  writeFileSync(out, `${before} ${seenOn} ${mode()}`);
  process.exitCode = status ?? 1;
});
