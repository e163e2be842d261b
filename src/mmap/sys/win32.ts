// The Win32 API through koffi: one typed table over kernel32.dll (and node.exe's libuv), bound
// lazily on first use, as libc.ts does for POSIX. Every function returns the raw result; callers
// check it against the call's own failure value and only then read `lastError()`.
//
// A Node.js descriptor is a CRT-like number that only libuv knows: ucrtbase's _get_osfhandle
// does not see it (node.exe links its C runtime statically). libuv exports uv_get_osfhandle from
// node.exe itself, which returns the file's HANDLE.
import { MmapError, type MmapErrorDetails } from '../errors.js';
import { koffi } from './koffi.js';

/** A raw address or HANDLE (0n for NULL). Only code under sys/ ever holds one. */
export type Address = bigint;

/** INVALID_HANDLE_VALUE, `(HANDLE)-1`, as koffi returns pointers: an unsigned BigInt. */
export const INVALID_HANDLE_VALUE: Address = 0xffff_ffff_ffff_ffffn;

// <winnt.h> page protections.
export const PAGE_NOACCESS = 0x01;
export const PAGE_READONLY = 0x02;
export const PAGE_READWRITE = 0x04;
export const PAGE_WRITECOPY = 0x08;
export const PAGE_EXECUTE_READ = 0x20;
export const PAGE_EXECUTE_READWRITE = 0x40;
export const PAGE_EXECUTE_WRITECOPY = 0x80;
// <memoryapi.h> view access.
export const FILE_MAP_COPY = 0x01;
export const FILE_MAP_WRITE = 0x02;
export const FILE_MAP_READ = 0x04;
export const FILE_MAP_EXECUTE = 0x20;
// VirtualAlloc / VirtualFree.
export const MEM_COMMIT = 0x1000;
export const MEM_RESERVE = 0x2000;
export const MEM_RELEASE = 0x8000;
// LockFileEx.
export const LOCKFILE_FAIL_IMMEDIATELY = 0x1;
export const LOCKFILE_EXCLUSIVE_LOCK = 0x2;
// MoveFileExW.
export const MOVEFILE_REPLACE_EXISTING = 0x1;
export const MOVEFILE_WRITE_THROUGH = 0x8;
// SetConsoleMode, on an output (screen buffer) handle: escapes are rendered, not shown.
export const ENABLE_VIRTUAL_TERMINAL_PROCESSING = 0x4;

/** The Win32 functions mmapx uses, with the JS types koffi converts to and from. */
export interface Win32 {
  /** `info` receives SYSTEM_INFO (48 bytes on x64). */
  GetSystemInfo(info: Uint8Array): void;
  CreateFileMappingW(file: Address, attributes: null, protect: number, sizeHigh: number, sizeLow: number, name: null): Address;
  MapViewOfFile(section: Address, access: number, offsetHigh: number, offsetLow: number, bytes: number): Address;
  MapViewOfFileEx(section: Address, access: number, offsetHigh: number, offsetLow: number, bytes: number, base: Address): Address;
  UnmapViewOfFile(addr: Address): number;
  FlushViewOfFile(addr: Address, bytes: number): number;
  FlushFileBuffers(file: Address): number;
  /** `old` receives the previous protection of the first page. */
  VirtualProtect(addr: Address, bytes: number, protect: number, old: Uint32Array): number;
  VirtualAlloc(addr: Address | null, bytes: number, type: number, protect: number): Address;
  VirtualFree(addr: Address, bytes: number, type: number): number;
  VirtualLock(addr: Address, bytes: number): number;
  VirtualUnlock(addr: Address, bytes: number): number;
  CloseHandle(handle: Address): number;
  /** `overlapped` is an OVERLAPPED (32 bytes on x64): the range's offset at 16 (low) and 20 (high). */
  LockFileEx(file: Address, flags: number, reserved: number, lengthLow: number, lengthHigh: number, overlapped: Uint8Array): number;
  UnlockFileEx(file: Address, reserved: number, lengthLow: number, lengthHigh: number, overlapped: Uint8Array): number;
  MoveFileExW(from: string, to: string, flags: number): number;
  GetCurrentProcessId(): number;
  CreateFileW(path: string, access: number, share: number, attributes: null, disposition: number, flags: number, template: null): Address;
  /** `info` receives MEMORY_BASIC_INFORMATION (48 bytes on x64); returns the bytes written, 0 on failure. */
  VirtualQuery(addr: Address, info: Uint8Array, length: number): number;
  GetLastError(): number;
  /** `mode` receives the console mode; fails (0) when `handle` is not a console's input or screen buffer. */
  GetConsoleMode(handle: Address, mode: Uint32Array): number;
  SetConsoleMode(handle: Address, mode: number): number;
  /** `info` receives CONSOLE_SCREEN_BUFFER_INFO (22 bytes): srWindow's Left at 10, Right at 14. */
  GetConsoleScreenBufferInfo(handle: Address, info: Uint8Array): number;
  /** The code page the console turns the bytes written to it into characters with. */
  GetConsoleOutputCP(): number;
  SetConsoleOutputCP(codePage: number): number;
  /** ntdll's: ObjectBasicInformation (class 0) of a handle is 56 bytes, GrantedAccess at 4. An NTSTATUS, 0 for success. */
  NtQueryObject(handle: Address, infoClass: number, info: Uint8Array, length: number, returned: null): number;
  /** libuv's: the HANDLE behind a Node.js descriptor, or INVALID_HANDLE_VALUE. */
  uv_get_osfhandle(fd: number): Address;
  /** A zero-copy ArrayBuffer over `len` bytes at `addr`. */
  view(addr: Address, len: number): ArrayBuffer;
}

let bound: Win32 | undefined;

/** Binds kernel32 (and node.exe's uv_get_osfhandle) on first use. */
export function win32(): Win32 {
  if (bound) return bound;
  if (process.platform !== 'win32') throw new MmapError('ERR_UNSUPPORTED_PLATFORM', 'the Win32 API exists only on Windows');
  const k = koffi();
  const kernel32 = k.load('kernel32.dll');
  const fn = kernel32.func.bind(kernel32);
  const node = k.load(process.execPath);
  const ntdll = k.load('ntdll.dll');
  const ptr =
    <A extends unknown[]>(f: (...args: A) => unknown) =>
    (...args: A): Address =>
      pointer(f(...args));
  bound = {
    GetSystemInfo: fn('void GetSystemInfo(_Out_ uint8_t *info)'),
    CreateFileMappingW: ptr(fn('void *CreateFileMappingW(void *file, void *attributes, uint32_t protect, uint32_t sizeHigh, uint32_t sizeLow, void *name)')),
    MapViewOfFile: ptr(fn('void *MapViewOfFile(void *section, uint32_t access, uint32_t offsetHigh, uint32_t offsetLow, size_t bytes)')),
    MapViewOfFileEx: ptr(fn('void *MapViewOfFileEx(void *section, uint32_t access, uint32_t offsetHigh, uint32_t offsetLow, size_t bytes, void *base)')),
    UnmapViewOfFile: fn('int UnmapViewOfFile(void *addr)'),
    FlushViewOfFile: fn('int FlushViewOfFile(void *addr, size_t bytes)'),
    FlushFileBuffers: fn('int FlushFileBuffers(void *file)'),
    VirtualProtect: fn('int VirtualProtect(void *addr, size_t bytes, uint32_t protect, _Out_ uint32_t *old)'),
    VirtualAlloc: ptr(fn('void *VirtualAlloc(void *addr, size_t bytes, uint32_t type, uint32_t protect)')),
    VirtualFree: fn('int VirtualFree(void *addr, size_t bytes, uint32_t type)'),
    VirtualLock: fn('int VirtualLock(void *addr, size_t bytes)'),
    VirtualUnlock: fn('int VirtualUnlock(void *addr, size_t bytes)'),
    CloseHandle: fn('int CloseHandle(void *handle)'),
    LockFileEx: fn('int LockFileEx(void *file, uint32_t flags, uint32_t reserved, uint32_t lengthLow, uint32_t lengthHigh, _Inout_ uint8_t *overlapped)'),
    UnlockFileEx: fn('int UnlockFileEx(void *file, uint32_t reserved, uint32_t lengthLow, uint32_t lengthHigh, _Inout_ uint8_t *overlapped)'),
    MoveFileExW: fn('int MoveFileExW(const char16_t *from, const char16_t *to, uint32_t flags)'),
    GetCurrentProcessId: fn('uint32_t GetCurrentProcessId(void)'),
    CreateFileW: ptr(
      fn('void *CreateFileW(const char16_t *path, uint32_t access, uint32_t share, void *attributes, uint32_t disposition, uint32_t flags, void *template)'),
    ),
    VirtualQuery: fn('size_t VirtualQuery(void *addr, _Out_ uint8_t *info, size_t length)'),
    GetLastError: fn('uint32_t GetLastError(void)'),
    GetConsoleMode: fn('int GetConsoleMode(void *handle, _Out_ uint32_t *mode)'),
    SetConsoleMode: fn('int SetConsoleMode(void *handle, uint32_t mode)'),
    GetConsoleScreenBufferInfo: fn('int GetConsoleScreenBufferInfo(void *handle, _Out_ uint8_t *info)'),
    GetConsoleOutputCP: fn('uint32_t GetConsoleOutputCP(void)'),
    SetConsoleOutputCP: fn('int SetConsoleOutputCP(uint32_t codePage)'),
    NtQueryObject: ntdll.func('int32_t NtQueryObject(void *handle, int infoClass, _Out_ uint8_t *info, uint32_t length, _Out_ uint32_t *returned)'),
    uv_get_osfhandle: ptr(node.func('void *uv_get_osfhandle(int fd)')),
    view: (addr, len) => k.view(addr, len),
  };
  return bound;
}

/** koffi returns NULL pointers as null and others as BigInt: NULL becomes 0n here. */
function pointer(value: unknown): Address {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number') return BigInt(value);
  return 0n;
}

/** Whether this process runs on Windows (the Win32 backend is in use). */
export const WINDOWS = process.platform === 'win32';

/** The error of the last failed Win32 call on this thread. */
export function lastError(): number {
  return win32().GetLastError();
}

/** Win32 error codes mmapx meets, as the errno names the rest of mmapx (and its users) know. */
const ERRORS: Readonly<Record<number, readonly [string, string]>> = {
  2: ['ENOENT', 'no such file or directory'],
  3: ['ENOENT', 'no such file or directory'],
  5: ['EACCES', 'permission denied'],
  6: ['EBADF', 'bad file descriptor'],
  8: ['ENOMEM', 'not enough memory'],
  14: ['ENOMEM', 'not enough memory'],
  19: ['EROFS', 'read-only file system'],
  32: ['EBUSY', 'the file is in use by another process'],
  33: ['EAGAIN', 'a part of the file is locked by another process'],
  80: ['EEXIST', 'file already exists'],
  87: ['EINVAL', 'invalid argument'],
  112: ['ENOSPC', 'no space left on device'],
  158: ['EINVAL', 'the range is not locked'],
  183: ['EEXIST', 'file already exists'],
  487: ['EFAULT', 'invalid address'],
  1006: ['ENODEV', 'the file cannot be mapped (empty, or not a disk file)'],
  1224: ['EBUSY', 'the file has a user-mapped section open'],
  1455: ['ENOMEM', 'the paging file is too small'],
};

/** An error for a failed Win32 call: `MapViewOfFile: not enough memory (ENOMEM)`, with the Win32 code. */
export function win32Error(call: string, code: number, details: Omit<MmapErrorDetails, 'syscall' | 'errno'> = {}): MmapError {
  const [name, description] = ERRORS[code] ?? [`EWIN${code}`, `Windows error ${code}`];
  let reason = `${call}: ${description}`;
  if (details.offset !== undefined) reason += `, offset 0x${details.offset.toString(16)}`;
  if (details.length !== undefined) reason += ` length 0x${details.length.toString(16)}`;
  return new MmapError(name, reason, { ...details, syscall: call, errno: code });
}

let systemInfo: { pageSize: number; granularity: number } | undefined;

/** The page size and the allocation granularity (views start at multiples of it), from GetSystemInfo. */
export function windowsMemoryInfo(): { pageSize: number; granularity: number } {
  if (systemInfo === undefined) {
    const info = new Uint8Array(48);
    win32().GetSystemInfo(info);
    const dv = new DataView(info.buffer);
    // SYSTEM_INFO: dwPageSize at 4, dwAllocationGranularity at 40.
    systemInfo = { pageSize: dv.getUint32(4, true), granularity: dv.getUint32(40, true) };
  }
  return systemInfo;
}

/**
 * The HANDLE of a Node.js descriptor.
 * @throws MmapError EBADF when `fd` is not open.
 */
export function fileHandle(fd: number, path?: string): Address {
  const h = win32().uv_get_osfhandle(fd);
  if (h === INVALID_HANDLE_VALUE || h === 0n)
    throw new MmapError('EBADF', `descriptor ${fd} is not open (bad file descriptor)`, { path, errno: 6, syscall: 'uv_get_osfhandle' });
  return h;
}

/**
 * What a descriptor was opened for, from the access its HANDLE was granted (NtQueryObject):
 * FILE_READ_DATA (1) and FILE_WRITE_DATA (2).
 * @throws MmapError EBADF when `fd` is not open.
 */
export function handleAccess(fd: number): 'r' | 'w' | 'rw' {
  const info = new Uint8Array(56);
  const status = win32().NtQueryObject(fileHandle(fd), 0, info, info.length, null);
  if (status !== 0)
    throw new MmapError('EBADF', `NtQueryObject: descriptor ${fd} has no handle to query (status 0x${(status >>> 0).toString(16)})`, {
      errno: 6,
      syscall: 'NtQueryObject',
    });
  const granted = new DataView(info.buffer).getUint32(4, true);
  const read = (granted & 1) !== 0;
  const write = (granted & 2) !== 0;
  return read && write ? 'rw' : write ? 'w' : 'r';
}

/**
 * FlushFileBuffers of a directory (opened with FILE_FLAG_BACKUP_SEMANTICS, as Windows requires for
 * a directory handle), so that names created or removed in it are on the disk: Windows' form of
 * fsync(2) of a directory, which Node.js cannot open. Returns the Win32 error, 0 when done.
 */
export function flushDirectoryWin32(dir: string): number {
  const w = win32();
  // GENERIC_WRITE (FlushFileBuffers needs it); share read, write and delete; OPEN_EXISTING.
  const h = w.CreateFileW(dir, 0x4000_0000, 7, null, 3, 0x0200_0000, null);
  if (h === INVALID_HANDLE_VALUE || h === 0n) return lastError() || 5;
  try {
    return w.FlushFileBuffers(h) === 0 ? lastError() || 5 : 0;
  } finally {
    w.CloseHandle(h);
  }
}

/** The console mode of a descriptor's HANDLE, or undefined when it is not a console (input or output). */
function consoleMode(fd: number): { handle: Address; mode: number } | undefined {
  const w = win32();
  const handle = w.uv_get_osfhandle(fd);
  if (handle === INVALID_HANDLE_VALUE || handle === 0n) return undefined;
  const mode = new Uint32Array(1);
  return w.GetConsoleMode(handle, mode) === 0 ? undefined : { handle, mode: mode[0] ?? 0 };
}

/**
 * Windows' answer to ioctl(TIOCGWINSZ): undefined when `fd` is not a console, else the width of
 * its window in columns (srWindow.Right - Left + 1), 0 when it cannot say (a console's input).
 */
export function consoleColumns(fd: number): number | undefined {
  const c = consoleMode(fd);
  if (c === undefined) return undefined;
  const info = new Uint8Array(22);
  if (win32().GetConsoleScreenBufferInfo(c.handle, info) === 0) return 0;
  const dv = new DataView(info.buffer);
  const width = dv.getInt16(14, true) - dv.getInt16(10, true) + 1;
  return width > 0 ? width : 0;
}

/** What to put back at exit, the latest change first (fds 1 and 2 often share one screen buffer). */
const restore: (() => void)[] = [];

/** Runs `undo` when the process exits, after the undos registered later. */
function atExit(undo: () => void): void {
  if (restore.length === 0) {
    process.once('exit', () => {
      for (const r of restore) r();
    });
  }
  restore.unshift(undo);
}

/**
 * Whether the console on `fd` renders ANSI escapes: its ENABLE_VIRTUAL_TERMINAL_PROCESSING is on,
 * turned on here when it was off (the other mode bits kept) and turned back off when the process
 * exits. False when `fd` is not a console or the console cannot (before Windows 10).
 */
export function consoleEscapes(fd: number): boolean {
  const c = consoleMode(fd);
  if (c === undefined) return false;
  if ((c.mode & ENABLE_VIRTUAL_TERMINAL_PROCESSING) !== 0) return true;
  const w = win32();
  if (w.SetConsoleMode(c.handle, c.mode | ENABLE_VIRTUAL_TERMINAL_PROCESSING) === 0) return false;
  atExit(() => w.SetConsoleMode(c.handle, c.mode));
  // Some consoles accept the call and ignore the bit: it counts only when it reads back.
  return ((consoleMode(fd)?.mode ?? 0) & ENABLE_VIRTUAL_TERMINAL_PROCESSING) !== 0;
}

/** CP_UTF8. */
export const CP_UTF8 = 65001;

/**
 * Makes the console on `fd` (when it is one) read the bytes written to it as UTF-8, as the CLI
 * writes them, until the process exits: a console's code page is the OEM one (437, 850...) by
 * default, which shows UTF-8 text (hexyl's frame, file names) as other characters.
 */
export function consoleUtf8(fd: number): void {
  if (consoleMode(fd) === undefined) return;
  const w = win32();
  const cp = w.GetConsoleOutputCP();
  if (cp === CP_UTF8 || w.SetConsoleOutputCP(CP_UTF8) === 0) return;
  atExit(() => w.SetConsoleOutputCP(cp));
}

let wine: boolean | undefined;

/** Whether this Windows is Wine (its ntdll exports wine_get_version). */
export function underWine(): boolean {
  if (wine === undefined) {
    try {
      koffi().load('ntdll.dll').func('const char *wine_get_version(void)');
      wine = true;
    } catch {
      wine = false;
    }
  }
  return wine;
}
