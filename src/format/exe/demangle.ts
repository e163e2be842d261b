/** Placeholder: the Itanium C++ ABI demangler lands in its own change. */

/** The demangled form of an Itanium-mangled name (`_ZN2ns1K1mEid` -> `ns::K::m(int, double)`), or undefined when `name` is not one. */
export function demangle(_name: string): string | undefined {
  return undefined;
}
