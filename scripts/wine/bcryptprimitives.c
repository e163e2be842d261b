/*
 * A stand-in for Windows' bcryptprimitives.dll, for running Windows Node.js tools under Wine 8.
 *
 * Rust's standard library (in rolldown's native binding, which vitest loads) takes its random bytes
 * from ProcessPrng in bcryptprimitives.dll, a DLL that Wine 8 does not have. This one exports
 * ProcessPrng and fills the buffer from advapi32's RtlGenRandom (exported as SystemFunction036),
 * which Wine has. Built by .ci/win-x64 with mingw-w64 and copied into the Wine prefix; used only
 * under Wine, never shipped.
 */
#include <windows.h>

typedef BOOLEAN(WINAPI *gen_random_fn)(PVOID buffer, ULONG length);

static gen_random_fn gen_random(void) {
  static gen_random_fn fn;
  if (fn == NULL) {
    HMODULE advapi = LoadLibraryA("advapi32.dll");
    if (advapi != NULL) fn = (gen_random_fn)(void *)GetProcAddress(advapi, "SystemFunction036");
  }
  return fn;
}

/* Documented contract: fills pbData with cbData random bytes and always returns TRUE. */
__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE pbData, SIZE_T cbData) {
  gen_random_fn fn = gen_random();
  if (fn == NULL) return FALSE;
  while (cbData > 0) {
    /* RtlGenRandom takes a ULONG length: feed it in chunks. */
    ULONG chunk = cbData > 0x40000000u ? 0x40000000u : (ULONG)cbData;
    if (!fn(pbData, chunk)) return FALSE;
    pbData += chunk;
    cbData -= chunk;
  }
  return TRUE;
}

BOOL WINAPI DllMain(HINSTANCE instance, DWORD reason, LPVOID reserved) {
  (void)instance;
  (void)reason;
  (void)reserved;
  return TRUE;
}
