/**
 * Itanium C++ ABI demangler (the mangling GCC and Clang use on ELF and Mach-O), written from the
 * ABI's grammar. The output follows GNU c++filt's spelling: `char const*`, `std::vector<int,
 * std::allocator<int> >`, `{lambda()#1}`, `(anonymous namespace)`, `[clone .cold]`, `Ss` in full
 * as `std::basic_string<char, std::char_traits<char>, std::allocator<char> >`.
 *
 * Two passes: a parser builds a tree of nodes (sharing nodes for substitutions, so a node can be
 * printed many times), then a printer walks it. Template parameters (`T_`) are resolved when
 * printed, against the template arguments of the function being printed, as c++filt does; this is
 * what makes `S_` naming a `T_` print the argument, and `T_` inside a lambda print `auto:1`.
 *
 * Hostile input: every recursion is bounded (MAX_DEPTH), the input length is bounded, and the
 * printer stops at MAX_OUTPUT characters or MAX_STEPS node visits (substitutions can describe an
 * output exponential in the input). Any failure returns undefined; nothing throws to the caller.
 */

/** Names longer than this are not demangled (real ones are far shorter). */
const MAX_INPUT = 1 << 16;
/** Nesting of the grammar (parser) and of the tree (printer). */
const MAX_DEPTH = 1024;
/** Characters of output. */
const MAX_OUTPUT = 1 << 18;
/** Nodes visited while printing. */
const MAX_STEPS = 1 << 20;

/** Thrown inside the parser and printer; never escapes demangle(). */
class Fail {}
const FAIL = new Fail();

type Node =
  | { k: 'name'; s: string }
  | { k: 'nested'; q: Node; n: Node }
  | { k: 'tmpl'; n: Node; args: Node[] }
  | { k: 'abi'; n: Node; tag: string }
  | { k: 'module'; parent: Node | null; s: string; partition: boolean }
  | { k: 'attached'; n: Node; module: Node }
  | { k: 'ctor'; n: Node; dtor: boolean }
  | { k: 'op'; s: string }
  | { k: 'conv'; t: Node }
  | { k: 'litop'; s: string }
  | { k: 'std'; s: string }
  | { k: 'builtin'; s: string; lit: LiteralStyle }
  | { k: 'qual'; t: Node; q: string }
  | { k: 'ptr'; t: Node }
  | { k: 'ref'; t: Node; rv: boolean }
  | { k: 'func'; ret: Node | null; params: Node[]; quals: Node[]; ref: string }
  | { k: 'wrap'; pre: string; items: Node[]; post: string }
  | { k: 'vector'; t: Node; dim: Node }
  | { k: 'array'; t: Node; dim: Node | null }
  | { k: 'memptr'; cls: Node; t: Node }
  | { k: 'tparam'; idx: number }
  | { k: 'pack'; items: Node[] }
  | { k: 'packexp'; t: Node }
  | { k: 'enc'; name: Node; ret: Node | null; params: Node[]; cv: string; ref: string }
  | { k: 'special'; pre: string; t: Node }
  | { k: 'ctorvtable'; a: Node; b: Node }
  | { k: 'clone'; t: Node; suffix: string }
  | { k: 'local'; enc: Node; ent: Node }
  | { k: 'lambda'; decls: Node[]; params: Node[]; num: number }
  | { k: 'tdecl'; kind: 'y' | 'n' | 't' | 'p'; t: Node | null; inner: Node[] }
  | { k: 'unnamed'; num: number }
  | { k: 'lit'; t: Node; neg: boolean; v: string }
  | { k: 'fparam'; n: number }
  | { k: 'unary'; op: string; e: Node }
  | { k: 'postfix'; op: string; e: Node }
  | { k: 'binary'; op: string; a: Node; b: Node }
  | { k: 'trinary'; a: Node; b: Node; c: Node }
  | { k: 'call'; f: Node; args: Node[] }
  /** (T)e, or (T)(a, b) when `list` (the `cv T _ ... E` form). */
  | { k: 'castexpr'; t: Node; args: Node[]; list: boolean }
  | { k: 'namedcast'; op: string; t: Node; e: Node }
  | { k: 'sizeoftype'; op: string; t: Node }
  | { k: 'sizeofpack'; t: Node }
  | { k: 'braced'; t: Node | null; items: Node[] }
  | { k: 'new'; placement: Node[]; t: Node; init: Node | null }
  /** A fold expression: `(... op e)`, `(e op ...)`, `(a op ... op b)` (the one missing operand is null). */
  | { k: 'fold'; op: string; a: Node | null; b: Node | null }
  /** sizeof...(args): the number of arguments once packs are expanded. */
  | { k: 'sizeofargs'; args: Node[] }
  /** A designated initializer: `.name=e`, `[i]=e`, `[i ... j]=e`. */
  | { k: 'designated'; pre: Node[]; range: boolean; field: boolean; e: Node }
  | { k: 'qualname'; q: Node; n: Node }
  | { k: 'decltype'; e: Node };

type NameNode = Extract<Node, { k: 'name' }>;

/** How c++filt writes a literal of a builtin type: `3`, `3u`, `3ul`, `true`, `(float)[hex]`, `(char)97`. */
type LiteralStyle = '' | 'u' | 'l' | 'ul' | 'll' | 'ull' | 'bool' | 'float' | 'default';

const builtin = (s: string, lit: LiteralStyle = 'default'): Node => ({ k: 'builtin', s, lit });

/** <builtin-type> codes of one lower-case letter. */
const BUILTINS: Record<string, Node> = {
  v: builtin('void'),
  w: builtin('wchar_t'),
  b: builtin('bool', 'bool'),
  c: builtin('char'),
  a: builtin('signed char'),
  h: builtin('unsigned char'),
  s: builtin('short'),
  t: builtin('unsigned short'),
  i: builtin('int', ''),
  j: builtin('unsigned int', 'u'),
  l: builtin('long', 'l'),
  m: builtin('unsigned long', 'ul'),
  x: builtin('long long', 'll'),
  y: builtin('unsigned long long', 'ull'),
  n: builtin('__int128'),
  o: builtin('unsigned __int128'),
  f: builtin('float', 'float'),
  d: builtin('double', 'float'),
  e: builtin('long double', 'float'),
  g: builtin('__float128', 'float'),
  z: builtin('...'),
};

/** Builtin types spelled `D` + one letter. */
const D_BUILTINS: Record<string, Node> = {
  d: builtin('decimal64'),
  e: builtin('decimal128'),
  f: builtin('decimal32'),
  h: builtin('half'),
  i: builtin('char32_t'),
  s: builtin('char16_t'),
  u: builtin('char8_t'),
  a: builtin('auto'),
  c: builtin('decltype(auto)'),
  n: builtin('decltype(nullptr)'),
};

/**
 * The ABI's abbreviations for std names, as c++filt prints them: in full (it demangles verbosely,
 * so `Ss` is never `std::string`); `base` names their constructors and destructors.
 */
const STD_SUBS: Record<string, { s: string; base: string }> = {
  a: { s: 'std::allocator', base: 'allocator' },
  b: { s: 'std::basic_string', base: 'basic_string' },
  s: { s: 'std::basic_string<char, std::char_traits<char>, std::allocator<char> >', base: 'basic_string' },
  i: { s: 'std::basic_istream<char, std::char_traits<char> >', base: 'basic_istream' },
  o: { s: 'std::basic_ostream<char, std::char_traits<char> >', base: 'basic_ostream' },
  d: { s: 'std::basic_iostream<char, std::char_traits<char> >', base: 'basic_iostream' },
};

/** Operator codes: spelling, and arity in expressions. */
const OPERATORS: Record<string, [string, number]> = {
  nw: ['new', 3],
  na: ['new[]', 3],
  dl: ['delete ', 1],
  da: ['delete[] ', 1],
  aw: ['co_await ', 1],
  ps: ['+', 1],
  ng: ['-', 1],
  ad: ['&', 1],
  de: ['*', 1],
  co: ['~', 1],
  pl: ['+', 2],
  mi: ['-', 2],
  ml: ['*', 2],
  dv: ['/', 2],
  rm: ['%', 2],
  an: ['&', 2],
  or: ['|', 2],
  eo: ['^', 2],
  aS: ['=', 2],
  pL: ['+=', 2],
  mI: ['-=', 2],
  mL: ['*=', 2],
  dV: ['/=', 2],
  rM: ['%=', 2],
  aN: ['&=', 2],
  oR: ['|=', 2],
  eO: ['^=', 2],
  ls: ['<<', 2],
  rs: ['>>', 2],
  lS: ['<<=', 2],
  rS: ['>>=', 2],
  eq: ['==', 2],
  ne: ['!=', 2],
  lt: ['<', 2],
  gt: ['>', 2],
  le: ['<=', 2],
  ge: ['>=', 2],
  ss: ['<=>', 2],
  nt: ['!', 1],
  aa: ['&&', 2],
  oo: ['||', 2],
  pp: ['++', 1],
  mm: ['--', 1],
  cm: [',', 2],
  pm: ['->*', 2],
  pt: ['->', 2],
  cl: ['()', 2],
  ix: ['[]', 2],
  qu: ['?', 3],
  st: ['sizeof ', 1],
  sz: ['sizeof ', 1],
  at: ['alignof ', 1],
  az: ['alignof ', 1],
};

/** Operators that appear only in expressions. */
const EXPR_OPERATORS: Record<string, [string, number]> = {
  dt: ['.', 2],
  ds: ['.*', 2],
  tw: ['throw ', 1],
  gs: ['::', 1],
};

const NAMED_CASTS: Record<string, string> = {
  sc: 'static_cast',
  dc: 'dynamic_cast',
  cc: 'const_cast',
  rc: 'reinterpret_cast',
};

const isDigit = (c: string): boolean => c >= '0' && c <= '9';
const isLower = (c: string): boolean => c >= 'a' && c <= 'z';
const isUpper = (c: string): boolean => c >= 'A' && c <= 'Z';

/** What the encoding's name tells the rest of the encoding. */
interface NameState {
  cv: string;
  ref: string;
  /** The name ends in template arguments: a function's encoding then starts with its return type. */
  endsWithTemplateArgs: boolean;
  /** A constructor, destructor or conversion operator: never a return type. */
  ctorDtorConv: boolean;
}

const newState = (): NameState => ({ cv: '', ref: '', endsWithTemplateArgs: false, ctorDtorConv: false });

class Parser {
  p = 0;
  depth = 0;
  readonly subs: Node[] = [];
  /** Inside the type of a conversion operator: `cv T_ I...E` gives the arguments to the operator, not to T_. */
  inConversion = false;
  /** The last <source-name> read outside template arguments (or std abbreviation): what a constructor is called. */
  lastName: Node | null = null;
  /** Grammar rules entered: bounds the work of the one backtracking rule (unresolved names). */
  steps = 0;

  /** Parsing without backtracking enters a rule a few times per input character at most. */
  readonly maxSteps: number;

  constructor(readonly s: string) {
    this.maxSteps = 32 * s.length + 4096;
  }

  peek(o = 0): string {
    return this.s.charAt(this.p + o);
  }
  eat(c: string): boolean {
    if (this.s.startsWith(c, this.p)) {
      this.p += c.length;
      return true;
    }
    return false;
  }
  need(c: string): void {
    if (!this.eat(c)) throw FAIL;
  }
  enter(): void {
    if (++this.depth > MAX_DEPTH || ++this.steps > this.maxSteps) throw FAIL;
  }
  atEnd(): boolean {
    return this.p >= this.s.length;
  }

  /** <number>: decimal, `n` for negative; returns the text. */
  number(): string {
    const neg = this.eat('n');
    const start = this.p;
    while (isDigit(this.peek())) this.p++;
    if (this.p === start) throw FAIL;
    return (neg ? '-' : '') + this.s.slice(start, this.p);
  }
  /** A non-negative decimal number, as a small integer. */
  count(): number {
    const start = this.p;
    while (isDigit(this.peek())) this.p++;
    if (this.p === start || this.p - start > 9) throw FAIL;
    return Number(this.s.slice(start, this.p));
  }
  /** [<number>] _ : 0 for `_`, n+1 for `n_`. */
  seqNumber(): number {
    if (this.eat('_')) return 0;
    const n = this.count();
    this.need('_');
    return n + 1;
  }

  /** <encoding> ::= <name> <bare-function-type> | <name> | <special-name> */
  encoding(): Node {
    this.enter();
    const c = this.peek();
    let r: Node;
    if (c === 'T' || (c === 'G' && 'VRAT'.includes(this.peek(1)))) r = this.specialName();
    else {
      const st = newState();
      const name = this.name(st);
      const n = this.peek();
      // A name without parameters keeps the qualifiers of its nested name (c++filt prints them).
      // A clone suffix (.) is for functions and special names only: c++filt reads no `data.0`.
      if (n === '' || n === 'E') r = st.cv + st.ref === '' ? name : { k: 'qual', t: name, q: st.cv + st.ref };
      else {
        const ret = st.endsWithTemplateArgs && !st.ctorDtorConv ? this.type() : null;
        r = { k: 'enc', name, ret, params: this.params(), cv: st.cv, ref: st.ref };
      }
    }
    this.depth--;
    return r;
  }

  /** <bare-function-type>: parameter types up to the end, `E` or a clone suffix; a lone `v` is none. */
  params(): Node[] {
    const out: Node[] = [];
    while (!this.atEnd() && this.peek() !== 'E' && this.peek() !== '.') out.push(this.type());
    if (out.length === 0) throw FAIL;
    if (out.length === 1 && out[0]!.k === 'builtin' && out[0]!.s === 'void') return [];
    return out;
  }

  specialName(): Node {
    const two = this.s.slice(this.p, this.p + 2);
    this.p += 2;
    switch (two) {
      case 'TV':
        return { k: 'special', pre: 'vtable for ', t: this.type() };
      case 'TT':
        return { k: 'special', pre: 'VTT for ', t: this.type() };
      case 'TI':
        return { k: 'special', pre: 'typeinfo for ', t: this.type() };
      case 'TS':
        return { k: 'special', pre: 'typeinfo name for ', t: this.type() };
      case 'TA':
        return { k: 'special', pre: 'template parameter object for ', t: this.templateArg() };
      case 'Th':
        this.callOffset('h');
        return { k: 'special', pre: 'non-virtual thunk to ', t: this.encoding() };
      case 'Tv':
        this.callOffset('v');
        return { k: 'special', pre: 'virtual thunk to ', t: this.encoding() };
      case 'Tc':
        this.callOffset(this.next());
        this.callOffset(this.next());
        return { k: 'special', pre: 'covariant return thunk to ', t: this.encoding() };
      case 'TC': {
        const a = this.type();
        this.number();
        this.need('_');
        return { k: 'ctorvtable', a, b: this.type() };
      }
      case 'TW':
        return { k: 'special', pre: 'TLS wrapper function for ', t: this.name(newState()) };
      case 'TH':
        return { k: 'special', pre: 'TLS init function for ', t: this.name(newState()) };
      case 'GV':
        return { k: 'special', pre: 'guard variable for ', t: this.name(newState()) };
      case 'GR': {
        const t = this.name(newState());
        const n = isDigit(this.peek()) ? this.count() : 0;
        return { k: 'special', pre: `reference temporary #${n} for `, t };
      }
      case 'GA':
        return { k: 'special', pre: 'hidden alias for ', t: this.encoding() };
      case 'GT': {
        const c = this.next();
        if (c === 't') return { k: 'special', pre: 'transaction clone for ', t: this.encoding() };
        if (c === 'n') return { k: 'special', pre: 'non-transaction clone for ', t: this.encoding() };
        throw FAIL;
      }
      default:
        throw FAIL;
    }
  }

  next(): string {
    const c = this.peek();
    if (c === '') throw FAIL;
    this.p++;
    return c;
  }

  /** <call-offset> ::= h <nv-offset> _ | v <v-offset> _ (the kind letter already read as `kind`). */
  callOffset(kind: string): void {
    if (kind === 'h') {
      this.number();
      this.need('_');
    } else if (kind === 'v') {
      this.number();
      this.need('_');
      this.number();
      this.need('_');
    } else throw FAIL;
  }

  /** <name>: nested, local, unscoped (maybe std::), unscoped template. */
  name(st: NameState): Node {
    this.enter();
    let r: Node;
    const c = this.peek();
    if (c === 'N') r = this.nestedName(st);
    else if (c === 'Z') r = this.localName(st);
    else if (c === 'S' && this.peek(1) !== 't') {
      const sub = this.substitution();
      if (this.peek() !== 'I' || sub.k === 'module') throw FAIL;
      r = { k: 'tmpl', n: sub, args: this.templateArgs() };
      st.endsWithTemplateArgs = true;
    } else {
      const std = this.eat('St');
      let n = this.unqualifiedName(st, null);
      if (std) n = { k: 'nested', q: { k: 'name', s: 'std' }, n };
      st.endsWithTemplateArgs = false;
      if (this.peek() === 'I') {
        this.subs.push(n);
        n = { k: 'tmpl', n, args: this.templateArgs() };
        st.endsWithTemplateArgs = true;
      }
      r = n;
    }
    this.depth--;
    return r;
  }

  /** N [<CV-qualifiers>] [<ref-qualifier>] <prefix> <unqualified-name> E */
  nestedName(st: NameState): Node {
    this.need('N');
    st.cv = this.cvQualifiers();
    if (this.eat('R')) st.ref = ' &';
    else if (this.eat('O')) st.ref = ' &&';
    let soFar: Node | null = null;
    let pushed = 0;
    while (!this.eat('E')) {
      const c = this.peek();
      if (c === '') throw FAIL;
      st.endsWithTemplateArgs = false;
      if (c === 'M') {
        // The member a closure type belongs to (<data-member-prefix>): not printed, not a substitution.
        if (soFar === null) throw FAIL;
        this.p++;
        continue;
      }
      if (c === 'I') {
        if (soFar === null) throw FAIL;
        soFar = { k: 'tmpl', n: soFar, args: this.templateArgs() };
        st.endsWithTemplateArgs = true;
      } else if (c === 'T') {
        if (soFar !== null) throw FAIL;
        soFar = this.templateParam();
      } else if (c === 'D' && (this.peek(1) === 't' || this.peek(1) === 'T')) {
        if (soFar !== null) throw FAIL;
        soFar = this.decltype();
      } else if (c === 'S' && this.peek(1) !== 't') {
        const sub = this.substitution();
        if (sub.k === 'module') {
          // A module (seen before) that the next name is attached to.
          const n = this.unqualifiedName(st, soFar, sub);
          soFar = soFar === null ? n : { k: 'nested', q: soFar, n };
        } else {
          if (soFar !== null) throw FAIL;
          soFar = sub;
          continue; // not a new substitution candidate
        }
      } else {
        if (c === 'S') {
          if (soFar !== null) throw FAIL;
          this.p += 2;
          soFar = { k: 'name', s: 'std' };
          continue;
        }
        const n = this.unqualifiedName(st, soFar);
        soFar = soFar === null ? n : { k: 'nested', q: soFar, n };
      }
      this.subs.push(soFar);
      pushed++;
    }
    if (soFar === null || pushed === 0) throw FAIL;
    this.subs.pop();
    return soFar;
  }

  /** Z <function encoding> E <entity name> [<discriminator>] | Z <encoding> E s [<discriminator>] */
  localName(st: NameState): Node {
    this.need('Z');
    const enc = this.encoding();
    this.need('E');
    if (this.eat('s')) {
      this.discriminator();
      return { k: 'local', enc: withoutReturn(enc), ent: { k: 'name', s: 'string literal' } };
    }
    if (this.eat('d')) {
      const n = this.peek() === '_' ? 0 : this.count() + 1;
      this.need('_');
      const ent = this.name(st);
      return {
        k: 'local',
        enc: withoutReturn(enc),
        ent: { k: 'nested', q: { k: 'name', s: `{default arg#${n + 1}}` }, n: ent },
      };
    }
    const ent = this.name(st);
    this.discriminator();
    return { k: 'local', enc: withoutReturn(enc), ent };
  }

  /**
   * <discriminator> ::= _ <digit> | __ <number> _, read as c++filt reads it: `_`, an optional
   * second `_`, digits if any, and the closing `_` only after two and a number of two digits.
   */
  discriminator(): void {
    if (!this.eat('_')) return;
    const two = this.eat('_');
    const start = this.p;
    while (isDigit(this.peek())) this.p++;
    if (two && this.p - start >= 2) this.need('_');
  }

  /**
   * [<module-name>] <unqualified-name> [<abi-tags>]; `scope` is the prefix so far (a constructor
   * needs one), `module` a module named by a substitution before it.
   */
  unqualifiedName(st: NameState, scope: Node | null, module: Node | null = null): Node {
    this.enter();
    // W <source-name>, W P <source-name>: the C++20 module the name is attached to (each a substitution).
    let m = module;
    while (this.eat('W')) {
      const partition = this.eat('P');
      m = { k: 'module', parent: m, s: this.identifierOnly(), partition };
      this.subs.push(m);
    }
    // L: internal linkage, not printed.
    if (this.eat('L') && !isDigit(this.peek())) throw FAIL;
    const c = this.peek();
    let n: Node;
    if (isDigit(c)) n = this.sourceName();
    else if (c === 'C' || (c === 'D' && '01245'.includes(this.peek(1)))) {
      if (scope === null) throw FAIL;
      const dtor = c === 'D';
      this.p++;
      // An inheriting constructor (CI1 <base class>) is named after the base class.
      const inheriting = !dtor && this.eat('I');
      if (!(dtor ? '01245' : '12345').includes(this.next())) throw FAIL;
      if (inheriting) this.type();
      // c++filt names constructors after the last source name read outside template arguments.
      if (this.lastName === null) throw FAIL;
      n = { k: 'ctor', n: this.lastName, dtor };
      st.ctorDtorConv = true;
    } else if (c === 'U') n = this.unnamedType();
    else if (isLower(c)) {
      n = this.operatorName(st);
    } else throw FAIL;
    if (m !== null) n = { k: 'attached', n, module: m };
    while (this.eat('B')) n = { k: 'abi', n, tag: this.identifierOnly() };
    this.depth--;
    return n;
  }

  /** <source-name> ::= <length> <identifier> */
  sourceName(): NameNode {
    const id = this.identifierOnly();
    const anonymous = id.length >= 10 && id.startsWith('_GLOBAL_') && '._$'.includes(id.charAt(8)) && id.charAt(9) === 'N';
    const n: NameNode = { k: 'name', s: anonymous ? '(anonymous namespace)' : id };
    this.lastName = n;
    return n;
  }

  identifierOnly(): string {
    const len = this.count();
    if (len === 0 || len > this.s.length - this.p) throw FAIL;
    const id = this.s.slice(this.p, this.p + len);
    this.p += len;
    return id;
  }

  /** Ut [<number>] _ | Ul <lambda-sig> E [<number>] _ */
  unnamedType(): Node {
    if (this.eat('Ut')) return { k: 'unnamed', num: this.seqNumber() + 1 };
    if (this.eat('Ul')) {
      // The lambda's explicit template parameters (`[]<typename T>(T)`), then its parameters.
      const decls: Node[] = [];
      while (this.peek() === 'T' && 'ytnp'.includes(this.peek(1))) decls.push(this.templateParamDecl());
      const params: Node[] = [];
      while (!this.eat('E')) {
        if (this.atEnd()) throw FAIL;
        params.push(this.type());
      }
      if (params.length === 0) throw FAIL;
      const ps = params.length === 1 && params[0]!.k === 'builtin' && params[0]!.s === 'void' ? [] : params;
      return { k: 'lambda', decls, params: ps, num: this.seqNumber() + 1 };
    }
    throw FAIL;
  }

  /** <template-param-decl> ::= Ty | Tn <type> | Tt <template-param-decl>* E | Tp <template-param-decl> */
  templateParamDecl(): Node {
    this.enter();
    this.need('T');
    const kind = this.next();
    let r: Node;
    if (kind === 'y') r = { k: 'tdecl', kind, t: null, inner: [] };
    else if (kind === 'n') r = { k: 'tdecl', kind, t: this.type(), inner: [] };
    else if (kind === 't') {
      const inner: Node[] = [];
      while (!this.eat('E')) {
        if (this.atEnd()) throw FAIL;
        inner.push(this.templateParamDecl());
      }
      r = { k: 'tdecl', kind, t: null, inner };
    } else if (kind === 'p') {
      // c++filt reads packs of type parameters only.
      if (!this.eat('Ty')) throw FAIL;
      r = { k: 'tdecl', kind, t: null, inner: [] };
    } else throw FAIL;
    this.depth--;
    return r;
  }

  /** <operator-name> in a name: `cv <type>`, `li <source-name>`, or a two-letter code. */
  operatorName(st: NameState): Node {
    if (this.eat('cv')) {
      const saved = this.inConversion;
      this.inConversion = true;
      const t = this.type();
      this.inConversion = saved;
      st.ctorDtorConv = true;
      return { k: 'conv', t };
    }
    if (this.eat('li')) return { k: 'litop', s: this.identifierOnly() };
    if (this.peek() === 'v' && isDigit(this.peek(1))) {
      this.p += 2;
      return { k: 'op', s: this.sourceName().s };
    }
    const code = this.s.slice(this.p, this.p + 2);
    const op = OPERATORS[code];
    if (op === undefined) throw FAIL;
    this.p += 2;
    return { k: 'op', s: op[0] };
  }

  /** r V K (the ABI's order), as c++filt appends them: in reverse, `VK` is ` const volatile`. */
  cvQualifiers(): string {
    let q = '';
    for (;;) {
      if (this.eat('r')) q = ` restrict${q}`;
      else if (this.eat('V')) q = ` volatile${q}`;
      else if (this.eat('K')) q = ` const${q}`;
      else return q;
    }
  }

  /**
   * The qualifiers of a type, function types' exception specifications and transaction safety
   * among them, in the reverse of their order (as c++filt prints them: `KDoFvvE` is `void ()
   * noexcept const`).
   */
  qualifiers(): Node[] {
    const out: Node[] = [];
    const text = (pre: string): Node => ({ k: 'wrap', pre, items: [], post: '' });
    for (;;) {
      if (this.eat('r')) out.push(text(' restrict'));
      else if (this.eat('V')) out.push(text(' volatile'));
      else if (this.eat('K')) out.push(text(' const'));
      else if (this.eat('Dx')) out.push(text(' transaction_safe'));
      else if (this.eat('Do')) out.push(text(' noexcept'));
      else if (this.eat('DO')) {
        const e = this.expression();
        this.need('E');
        out.push({ k: 'wrap', pre: ' noexcept(', items: [e], post: ')' });
      } else if (this.eat('Dw')) {
        const items: Node[] = [];
        while (!this.eat('E')) {
          if (this.atEnd()) throw FAIL;
          items.push(this.type());
        }
        out.push({ k: 'wrap', pre: ' throw(', items, post: ')' });
      } else return out.reverse();
    }
  }

  /** <substitution> (not St, which only prefixes names). */
  substitution(): Node {
    this.need('S');
    const c = this.peek();
    if (c === '_') {
      this.p++;
      return this.sub(0);
    }
    if (isDigit(c) || isUpper(c)) {
      let id = 0;
      for (;;) {
        const d = this.next();
        if (d === '_') break;
        const v = isDigit(d) ? d.charCodeAt(0) - 48 : isUpper(d) ? d.charCodeAt(0) - 55 : -1;
        if (v < 0 || id > 1e7) throw FAIL;
        id = id * 36 + v;
      }
      return this.sub(id + 1);
    }
    const std = STD_SUBS[c];
    if (std === undefined) throw FAIL;
    this.p++;
    this.lastName = { k: 'name', s: std.base };
    return { k: 'std', s: std.s };
  }

  sub(i: number): Node {
    const n = this.subs[i];
    if (n === undefined) throw FAIL;
    return n;
  }

  /** T_ | T <number> _ */
  templateParam(): Node {
    this.need('T');
    return { k: 'tparam', idx: this.seqNumber() };
  }

  /** I <template-arg>+ E */
  templateArgs(): Node[] {
    this.enter();
    this.need('I');
    const saved = this.inConversion;
    const lastName = this.lastName;
    this.inConversion = false;
    const args: Node[] = [];
    while (!this.eat('E')) {
      if (this.atEnd()) throw FAIL;
      args.push(this.templateArg());
    }
    this.inConversion = saved;
    this.lastName = lastName;
    this.depth--;
    return args;
  }

  templateArg(): Node {
    const c = this.peek();
    if (c === 'X') {
      this.p++;
      const e = this.expression();
      this.need('E');
      return e;
    }
    if (c === 'L') return this.exprPrimary();
    if (c === 'J') {
      this.p++;
      const items: Node[] = [];
      while (!this.eat('E')) {
        if (this.atEnd()) throw FAIL;
        items.push(this.templateArg());
      }
      return { k: 'pack', items };
    }
    return this.type();
  }

  /** Dt <expression> E | DT <expression> E */
  decltype(): Node {
    this.p += 2;
    const e = this.expression();
    this.need('E');
    return { k: 'decltype', e };
  }

  /** <type>, adding it to the substitutions when the ABI says so. */
  type(): Node {
    this.enter();
    const r = this.typeInner();
    this.depth--;
    return r;
  }

  typeInner(): Node {
    const c = this.peek();
    const b = BUILTINS[c];
    if (b !== undefined) {
      this.p++;
      return b;
    }
    let r: Node;
    switch (c) {
      case 'u': {
        this.p++;
        r = builtin(this.sourceName().s);
        break;
      }
      case 'r':
      case 'V':
      case 'K': {
        const quals = this.qualifiers();
        // A qualified function type (of a member function) is one type, one substitution.
        if (this.peek() === 'F') r = this.functionType(quals);
        else {
          let q = '';
          for (const w of quals) {
            if (w.k !== 'wrap' || w.items.length > 0 || !/^ (const|volatile|restrict)$/.test(w.pre)) throw FAIL;
            q += w.pre;
          }
          r = { k: 'qual', t: this.type(), q };
        }
        break;
      }
      case 'U': {
        this.p++;
        const q = ` ${this.identifierOnly()}`;
        if (this.peek() === 'I') this.templateArgs();
        r = { k: 'qual', t: this.type(), q };
        break;
      }
      case 'P':
        this.p++;
        r = { k: 'ptr', t: this.type() };
        break;
      case 'R':
        this.p++;
        r = { k: 'ref', t: this.type(), rv: false };
        break;
      case 'O':
        this.p++;
        r = { k: 'ref', t: this.type(), rv: true };
        break;
      case 'C':
        this.p++;
        r = { k: 'qual', t: this.type(), q: ' _Complex' };
        break;
      case 'G':
        this.p++;
        r = { k: 'qual', t: this.type(), q: ' _Imaginary' };
        break;
      case 'F':
        r = this.functionType([]);
        break;
      case 'A':
        r = this.arrayType();
        break;
      case 'M': {
        this.p++;
        const cls = this.type();
        r = { k: 'memptr', cls, t: this.type() };
        break;
      }
      case 'T': {
        r = this.templateParam();
        if (this.peek() === 'I' && !this.inConversion) {
          this.subs.push(r);
          r = { k: 'tmpl', n: r, args: this.templateArgs() };
        }
        break;
      }
      case 'S': {
        if (this.peek(1) === 't') {
          r = this.name(newState());
          break;
        }
        const sub = this.substitution();
        if (sub.k === 'module') throw FAIL;
        if (this.peek() === 'I') {
          r = { k: 'tmpl', n: sub, args: this.templateArgs() };
          break;
        }
        return sub;
      }
      case 'D':
        r = this.dType();
        if (r.k === 'builtin') return r;
        break;
      case 'N':
      case 'Z': {
        // A nested name's own qualifiers, when it names a type, are printed after it.
        const st = newState();
        r = this.name(st);
        if (st.cv + st.ref !== '') r = { k: 'qual', t: r, q: st.cv + st.ref };
        break;
      }
      default:
        if (isDigit(c)) {
          r = this.name(newState());
          break;
        }
        throw FAIL;
    }
    this.subs.push(r);
    return r;
  }

  /** Types spelled D + letter: builtins, pack expansion, decltype, vectors, exception specs. */
  dType(): Node {
    const c = this.peek(1);
    const b = D_BUILTINS[c];
    if (b !== undefined) {
      this.p += 2;
      return b;
    }
    switch (c) {
      case 'F': {
        this.p += 2;
        const n = this.count();
        if (this.eat('x')) return builtin(`_Float${n}x`);
        if (this.eat('b')) {
          if (n !== 16) throw FAIL;
          return builtin('std::bfloat16_t');
        }
        this.need('_');
        return builtin(`_Float${n}`, 'float');
      }
      case 'p':
        this.p += 2;
        return { k: 'packexp', t: this.type() };
      case 't':
      case 'T':
        return this.decltype();
      case 'v': {
        this.p += 2;
        const dim: Node = this.eat('_') ? this.expression() : { k: 'name', s: this.number() };
        this.need('_');
        return { k: 'vector', t: this.type(), dim };
      }
      case 'o':
      case 'O':
      case 'w':
      case 'x': {
        const quals = this.qualifiers();
        if (this.peek() !== 'F') throw FAIL;
        return this.functionType(quals);
      }
      default:
        throw FAIL;
    }
  }

  /** F [Y] <bare-function-type> [<ref-qualifier>] E, after its `quals` (qualifiers()). */
  functionType(quals: Node[]): Node {
    this.need('F');
    this.eat('Y');
    const saved = this.inConversion;
    this.inConversion = false;
    const ret = this.type();
    const params: Node[] = [];
    let ref = '';
    for (;;) {
      if (this.eat('E')) break;
      if (this.peek() === 'R' && this.peek(1) === 'E') {
        this.p += 2;
        ref = ' &';
        break;
      }
      if (this.peek() === 'O' && this.peek(1) === 'E') {
        this.p += 2;
        ref = ' &&';
        break;
      }
      if (this.atEnd()) throw FAIL;
      params.push(this.type());
    }
    if (params.length === 0) throw FAIL;
    this.inConversion = saved;
    const ps = params.length === 1 && params[0]!.k === 'builtin' && params[0]!.s === 'void' ? [] : params;
    return { k: 'func', ret, params: ps, quals, ref };
  }

  /** A <number> _ <type> | A [<expression>] _ <type> */
  arrayType(): Node {
    this.need('A');
    let dim: Node | null = null;
    if (isDigit(this.peek())) {
      dim = { k: 'name', s: this.number() };
    } else if (this.peek() !== '_') dim = this.expression();
    this.need('_');
    return { k: 'array', t: this.type(), dim };
  }

  /** <expr-primary> ::= L <type> <value> E | L <mangled-name> E */
  exprPrimary(): Node {
    this.need('L');
    if (this.peek() === '_' && this.peek(1) === 'Z') {
      this.p += 2;
      const e = this.encoding();
      this.need('E');
      return e;
    }
    if (this.eat('Z')) {
      const e = this.encoding();
      this.need('E');
      return e;
    }
    const t = this.type();
    if (t.k === 'builtin' && t.s === 'decltype(nullptr)' && this.eat('E')) return t;
    const neg = this.eat('n');
    const end = this.s.indexOf('E', this.p);
    if (end <= this.p) throw FAIL;
    const v = this.s.slice(this.p, end);
    this.p = end + 1;
    return { k: 'lit', t, neg, v };
  }

  /** <expression>, the forms compilers emit in decltype, noexcept, array bounds and template arguments. */
  expression(): Node {
    this.enter();
    const saved = this.inConversion;
    this.inConversion = false;
    const r = this.expressionInner();
    this.inConversion = saved;
    this.depth--;
    return r;
  }

  expressionInner(): Node {
    const c = this.peek();
    if (c === 'L') return this.exprPrimary();
    if (c === 'T') return this.templateParam();
    if (c === 'f' && this.peek(1) === 'p') {
      // fp [<number>] _ (c++filt reads neither the qualified fpK_ nor the outer-level fL<n>p forms).
      this.p += 2;
      if (this.eat('T')) return { k: 'name', s: 'this' };
      return { k: 'fparam', n: this.seqNumber() + 1 };
    }
    if (isDigit(c)) return this.simpleId();
    const two = this.s.slice(this.p, this.p + 2);
    switch (two) {
      case 'sr':
        return this.unresolvedName();
      case 'sZ': {
        this.p += 2;
        return { k: 'sizeofpack', t: this.peek() === 'f' ? this.expression() : this.templateParam() };
      }
      case 'sp':
        this.p += 2;
        return { k: 'packexp', t: this.expression() };
      case 'st':
      case 'at':
        this.p += 2;
        return { k: 'sizeoftype', op: two === 'st' ? 'sizeof ' : 'alignof ', t: this.type() };
      case 'cv': {
        this.p += 2;
        const saved = this.inConversion;
        this.inConversion = false;
        const t = this.type();
        this.inConversion = saved;
        if (this.eat('_')) {
          const args: Node[] = [];
          while (!this.eat('E')) {
            if (this.atEnd()) throw FAIL;
            args.push(this.expression());
          }
          return { k: 'castexpr', t, args, list: true };
        }
        return { k: 'castexpr', t, args: [this.expression()], list: false };
      }
      case 'tl': {
        this.p += 2;
        const t = this.type();
        return { k: 'braced', t, items: this.exprList() };
      }
      case 'il':
        this.p += 2;
        return { k: 'braced', t: null, items: this.exprList() };
      case 'cl': {
        this.p += 2;
        const f = this.expression();
        return { k: 'call', f, args: this.exprList() };
      }
      case 'tr':
        this.p += 2;
        return { k: 'name', s: 'throw' };
      case 'dt':
      case 'pt': {
        this.p += 2;
        const a = this.expression();
        const b = this.peek() === 's' && this.peek(1) === 'r' ? this.unresolvedName() : this.simpleId();
        return { k: 'binary', op: two === 'dt' ? '.' : '->', a, b };
      }
      case 'on':
        this.p += 2;
        return this.operatorAsName();
      case 'gs': {
        this.p += 2;
        return { k: 'unary', op: '::', e: this.expression() };
      }
      case 'fl':
      case 'fr':
      case 'fL':
      case 'fR': {
        this.p += 2;
        const op = OPERATORS[this.s.slice(this.p, this.p + 2)];
        if (op === undefined || op[1] !== 2) throw FAIL;
        this.p += 2;
        const a = this.expression();
        if (two === 'fl') return { k: 'fold', op: op[0], a: null, b: a };
        if (two === 'fr') return { k: 'fold', op: op[0], a, b: null };
        return { k: 'fold', op: op[0], a, b: this.expression() };
      }
      case 'sP': {
        this.p += 2;
        const args: Node[] = [];
        while (!this.eat('E')) {
          if (this.atEnd()) throw FAIL;
          args.push(this.templateArg());
        }
        return { k: 'sizeofargs', args };
      }
      case 'di': {
        this.p += 2;
        const name = this.sourceName();
        return { k: 'designated', pre: [name], range: false, field: true, e: this.expression() };
      }
      case 'dx': {
        this.p += 2;
        const i = this.expression();
        return { k: 'designated', pre: [i], range: false, field: false, e: this.expression() };
      }
      case 'dX': {
        this.p += 2;
        const i = this.expression();
        const j = this.expression();
        return { k: 'designated', pre: [i, j], range: true, field: false, e: this.expression() };
      }
      case 'nw':
      case 'na': {
        // new (placement) type [(init) | {init}]
        this.p += 2;
        const placement: Node[] = [];
        while (!this.eat('_')) {
          if (this.atEnd()) throw FAIL;
          placement.push(this.expression());
        }
        const t = this.type();
        let init: Node | null = null;
        if (this.eat('pi')) init = { k: 'wrap', pre: '(', items: this.exprList(), post: ')' };
        else if (this.eat('il')) init = { k: 'braced', t: null, items: this.exprList() };
        else this.need('E');
        return { k: 'new', placement, t, init };
      }
    }
    if (c === 'u') {
      // A vendor's extended expression: u <source-name> <template-arg>* E, printed as a call.
      this.p++;
      const name = this.sourceName();
      const args: Node[] = [];
      while (!this.eat('E')) {
        if (this.atEnd()) throw FAIL;
        args.push(this.templateArg());
      }
      return { k: 'call', f: name, args };
    }
    const named = NAMED_CASTS[two];
    if (named !== undefined) {
      this.p += 2;
      const t = this.type();
      return { k: 'namedcast', op: named, t, e: this.expression() };
    }
    const op = OPERATORS[two] ?? EXPR_OPERATORS[two];
    if (op === undefined) throw FAIL;
    this.p += 2;
    const [sym, arity] = op;
    if (arity === 1) {
      if (two === 'pp' || two === 'mm') {
        if (this.eat('_')) return { k: 'unary', op: sym, e: this.expression() };
        return { k: 'postfix', op: sym, e: this.expression() };
      }
      return { k: 'unary', op: sym, e: this.expression() };
    }
    if (arity === 2) {
      const a = this.expression();
      return { k: 'binary', op: sym, a, b: this.expression() };
    }
    const a = this.expression();
    const b = this.expression();
    return { k: 'trinary', a, b, c: this.expression() };
  }

  /** Expressions up to E. */
  exprList(): Node[] {
    const out: Node[] = [];
    while (!this.eat('E')) {
      if (this.atEnd()) throw FAIL;
      out.push(this.expression());
    }
    return out;
  }

  /** <simple-id> ::= <source-name> [<template-args>] */
  simpleId(): Node {
    const n = this.sourceName();
    if (this.peek() === 'I') return { k: 'tmpl', n, args: this.templateArgs() };
    return n;
  }

  /** on <operator-name> [<template-args>] */
  operatorAsName(): Node {
    const n = this.operatorName(newState());
    if (this.peek() === 'I') return { k: 'tmpl', n, args: this.templateArgs() };
    return n;
  }

  /** <base-unresolved-name> */
  baseUnresolved(): Node {
    if (this.eat('on')) return this.operatorAsName();
    if (this.eat('dn')) {
      const t = isDigit(this.peek()) ? this.simpleId() : this.type();
      return { k: 'ctor', n: t, dtor: true };
    }
    return this.simpleId();
  }

  /** sr ...: `Type::name`; template arguments of the last name apply to the whole (c++filt then parenthesizes it as an operand). */
  unresolvedName(): Node {
    const r = this.unresolvedNameInner();
    if (r.k === 'qualname' && r.n.k === 'tmpl') return { k: 'tmpl', n: { k: 'qualname', q: r.q, n: r.n.n }, args: r.n.args };
    return r;
  }

  unresolvedNameInner(): Node {
    this.p += 2;
    // srN <type> <qualifier>+ E: c++filt reads N...E as a nested-name type, with its substitutions.
    if (this.peek() === 'N') return { k: 'qualname', q: this.type(), n: this.baseUnresolved() };
    const c = this.peek();
    if (c === 'T' || c === 'D' || c === 'S') {
      const q = this.type();
      return { k: 'qualname', q, n: this.baseUnresolved() };
    }
    // sr <simple-id>+ E <base-unresolved-name>, or the older sr <class> <base-unresolved-name>
    // (no E): try the first, fall back to the second.
    const p = this.p;
    const subs = this.subs.length;
    const depth = this.depth;
    try {
      let q: Node = this.simpleId();
      while (!this.eat('E')) {
        if (this.atEnd()) throw FAIL;
        q = { k: 'qualname', q, n: this.simpleId() };
      }
      return { k: 'qualname', q, n: this.baseUnresolved() };
    } catch (e) {
      if (!(e instanceof Fail)) throw e;
      this.p = p;
      this.subs.length = subs;
      this.depth = depth;
    }
    const q = this.type(); // a class name, a substitution candidate as c++filt reads it
    return { k: 'qualname', q, n: this.baseUnresolved() };
  }
}

/** c++filt prints the function around a local name without its return type. */
function withoutReturn(enc: Node): Node {
  return enc.k === 'enc' && enc.ret !== null ? { ...enc, ret: null } : enc;
}

/** Printing: one string, bounded; template arguments in scope as a stack. */
class Printer {
  out = '';
  last = '';
  steps = 0;
  depth = 0;
  /** Argument lists of the templates whose parameters T_ refers to, innermost last. */
  templates: Node[][] = [];
  /** Inside a lambda's signature: T_ prints as `auto:N`. */
  lambdaArg = 0;
  /** The element of a template parameter pack that T_ stands for (in a pack expansion, each in turn). */
  packIndex = 0;
  /** The template whose name is being printed (a conversion operator's type may refer to its arguments). */
  currentTemplate: Node[] | null = null;
  /** The names of the explicit template parameters of the lambdas being printed, innermost last. */
  readonly lambdaNames: string[][] = [];
  /** The scope each template parameter was first printed in under a reference (see refScope). */
  readonly refScopes = new Map<Node, Node[][]>();
  /** References and template parameters being printed, outermost first. */
  readonly active: Node[] = [];

  add(s: string): void {
    if (s.length === 0) return;
    this.out += s;
    this.last = s.charAt(s.length - 1);
    if (this.out.length > MAX_OUTPUT) throw FAIL;
  }

  enter(): void {
    if (++this.depth > MAX_DEPTH || ++this.steps > MAX_STEPS) throw FAIL;
  }

  /**
   * The template scope to print reference `n` in. c++filt keeps the scope in which it first
   * printed a template parameter under a reference, and prints a reference to that parameter
   * there again when a substitution brings it back elsewhere (`_Prepare_execution<lambda>(S6_&)`
   * with S6_ the T_ of call_once's `T_&&` prints call_once's T_): null when the current scope stands.
   */
  refScope(n: Extract<Node, { k: 'ref' }>): Node[][] | null {
    if (n.t.k !== 'tparam' || this.lambdaArg > 0) return null;
    const saved = this.refScopes.get(n.t);
    if (saved === undefined) {
      this.refScopes.set(n.t, this.templates.slice());
      return null;
    }
    if (this.active.includes(n) || this.active.includes(n.t)) return null;
    return saved;
  }

  /** Prints reference or pointer `n` (one side of it) in the scope refScope() gives. */
  pointerSide(n: Extract<Node, { k: 'ptr' | 'ref' }>, side: (t: Node, sym: string) => void): void {
    const scope = n.k === 'ref' ? this.refScope(n) : null;
    const templates = this.templates;
    if (scope !== null) this.templates = scope;
    this.active.push(n);
    try {
      const [t, sym] = this.pointee(n);
      side(t, sym);
    } finally {
      this.active.pop();
      this.templates = templates;
    }
  }

  /** What a pointer or reference points to, and its symbol; references to references collapse (& + && = &). */
  pointee(n: Extract<Node, { k: 'ptr' | 'ref' }>): [Node, string] {
    if (n.k === 'ptr') return [n.t, '*'];
    let t = n.t;
    let rv = n.rv;
    for (let i = 0; i < MAX_DEPTH; i++) {
      const r = t.k === 'tparam' ? this.resolve(t) : t;
      if (r.k !== 'ref') break;
      rv = rv && r.rv;
      t = r.t;
    }
    return [t, rv ? '&&' : '&'];
  }

  print(n: Node): void {
    this.left(n);
    this.right(n);
  }

  /** The argument a template parameter stands for, or FAIL. */
  lookup(n: { idx: number }): Node {
    const args = this.templates[this.templates.length - 1];
    if (args === undefined) throw FAIL;
    let a = args[n.idx];
    if (a === undefined) throw FAIL;
    if (a.k === 'pack') {
      a = a.items[this.packIndex];
      if (a === undefined) throw FAIL;
    }
    return a;
  }

  /** Runs `f` on what a template parameter stands for, with that template's own arguments out of scope. */
  withParam(n: Extract<Node, { k: 'tparam' }>, f: (a: Node) => void): void {
    const a = this.lookup(n);
    const top = this.templates.pop()!;
    this.active.push(n);
    try {
      f(a);
    } finally {
      this.active.pop();
      this.templates.push(top);
    }
  }

  /** `n` with template parameters replaced by their arguments (for the shape of a type). */
  resolve(n: Node): Node {
    let cur = n;
    let level = this.templates.length;
    for (let i = 0; i < MAX_DEPTH && cur.k === 'tparam'; i++) {
      if (this.lambdaArg > 0) return cur;
      const args = this.templates[level - 1];
      if (args === undefined) throw FAIL;
      let a = args[cur.idx];
      if (a === undefined) throw FAIL;
      if (a.k === 'pack') a = a.items[this.packIndex];
      if (a === undefined) throw FAIL;
      cur = a;
      level--;
    }
    return cur;
  }

  /** The type has a part printed after the declarator (function parameters, array bounds). */
  shape(n: Node, depth = 0): 'func' | 'array' | '' {
    if (depth > MAX_DEPTH) throw FAIL;
    const r = this.resolve(n);
    if (r.k === 'func') return 'func';
    if (r.k === 'array') return 'array';
    if (r.k === 'qual') return this.shape(r.t, depth + 1);
    return '';
  }

  /** The type prints something after a declarator's name (`void (*f())()`, `char (&f())[2]`). */
  hasRight(n: Node): boolean {
    let cur = n;
    for (let i = 0; i < MAX_DEPTH; i++) {
      const r = this.resolve(cur);
      if (r.k === 'func' || r.k === 'array') return true;
      if (r.k === 'ptr' || r.k === 'ref' || r.k === 'memptr' || r.k === 'qual') cur = r.t;
      else return false;
    }
    throw FAIL;
  }

  left(n: Node): void {
    this.enter();
    switch (n.k) {
      case 'name':
        this.add(n.s);
        break;
      case 'builtin':
        this.add(n.s);
        break;
      case 'std':
        this.add(n.s);
        break;
      case 'nested':
        this.print(n.q);
        this.add('::');
        this.print(n.n);
        break;
      case 'qualname':
        this.print(n.q);
        this.add('::');
        this.print(n.n);
        break;
      case 'tmpl': {
        const saved = this.currentTemplate;
        this.currentTemplate = n.args;
        this.print(n.n);
        this.currentTemplate = saved;
        if (this.last === '<') this.add(' ');
        this.add('<');
        this.list(n.args, ', ');
        if (this.last === '>') this.add(' ');
        this.add('>');
        break;
      }
      case 'abi':
        this.print(n.n);
        this.add(`[abi:${n.tag}]`);
        break;
      case 'module':
        if (n.parent !== null) {
          this.print(n.parent);
          this.add(n.partition ? ':' : '.');
        }
        this.add(n.s);
        break;
      case 'attached':
        this.print(n.n);
        this.add('@');
        this.print(n.module);
        break;
      case 'wrap':
        this.add(n.pre);
        this.list(n.items, ', ');
        this.add(n.post);
        break;
      case 'vector':
        this.left(n.t);
        this.add(' __vector(');
        this.print(n.dim);
        this.add(')');
        break;
      case 'ctor':
        if (n.dtor) this.add('~');
        this.print(n.n);
        break;
      case 'op':
        this.add('operator');
        if (isLower(n.s.charAt(0))) this.add(' ');
        this.add(n.s.trimEnd());
        break;
      case 'conv': {
        this.add('operator ');
        const ct = this.currentTemplate;
        if (ct !== null) this.templates.push(ct);
        try {
          this.print(n.t);
        } finally {
          if (ct !== null) this.templates.pop();
        }
        break;
      }
      case 'litop':
        this.add(`operator"" ${n.s}`);
        break;
      case 'qual': {
        this.left(n.t);
        // A parameter's qualifier that its argument already has is not repeated (T const, T = int const).
        const r = n.t.k === 'tparam' ? this.resolve(n.t) : null;
        if (r === null || r.k !== 'qual' || r.q !== n.q) this.add(n.q);
        break;
      }
      case 'ptr':
      case 'ref':
        this.pointerSide(n, (t, sym) => {
          this.left(t);
          if (this.shape(t) !== '') {
            if (this.last !== '(' && this.last !== '*' && this.last !== ' ') this.add(' ');
            this.add('(');
          }
          this.add(sym);
        });
        break;
      case 'memptr': {
        this.left(n.t);
        const sh = this.shape(n.t);
        if (sh === 'func') {
          if (this.last !== ' ') this.add(' ');
          this.add('(');
        } else if (sh === 'array') this.add(' (');
        else this.add(' ');
        this.print(n.cls);
        this.add('::*');
        break;
      }
      case 'func':
        if (n.ret !== null) {
          this.left(n.ret);
          if (!this.hasRight(n.ret)) this.add(' ');
        }
        break;
      case 'array':
        this.left(n.t);
        break;
      case 'tparam':
        if (this.lambdaArg > 0) {
          // In a lambda's signature: its own template parameter, as c++filt names them, or auto.
          this.add(this.lambdaNames[this.lambdaNames.length - 1]?.[n.idx] ?? `auto:${n.idx + 1}`);
          break;
        }
        this.withParam(n, (a) => this.left(a));
        break;
      case 'pack':
        this.list(n.items, ', ');
        break;
      case 'packexp':
        this.packExpansion(n.t);
        break;
      case 'enc':
        this.encoding(n);
        break;
      case 'special':
        this.add(n.pre);
        this.print(n.t);
        break;
      case 'ctorvtable':
        this.add('construction vtable for ');
        this.print(n.b);
        this.add('-in-');
        this.print(n.a);
        break;
      case 'clone':
        this.print(n.t);
        this.add(` [clone ${n.suffix}]`);
        break;
      case 'local':
        this.print(n.enc);
        this.add('::');
        this.print(n.ent);
        break;
      case 'lambda': {
        this.add('{lambda');
        this.lambdaArg++;
        const names: string[] = [];
        this.lambdaNames.push(names);
        try {
          if (n.decls.length > 0) {
            this.add('<');
            for (const [i, d] of n.decls.entries()) {
              if (i > 0) this.add(', ');
              const name = this.templateParamDecl(d, i);
              names.push(name);
            }
            this.add('>');
          }
          this.add('(');
          this.params(n.params);
        } finally {
          this.lambdaNames.pop();
          this.lambdaArg--;
        }
        this.add(`)#${n.num}}`);
        break;
      }
      case 'tdecl':
        this.templateParamDecl(n, -1);
        break;
      case 'unnamed':
        this.add(`{unnamed type#${n.num}}`);
        break;
      case 'lit':
        this.literal(n);
        break;
      case 'fparam':
        this.add(`{parm#${n.n}}`);
        break;
      case 'unary':
        this.add(n.op);
        if (n.op === '::') this.print(n.e);
        else if (n.op === '&') {
          const e = n.e;
          // The address of a qualified (non-const) member function: no argument list.
          if (e.k === 'enc' && e.name.k === 'nested' && e.cv + e.ref === '') this.print(e.name);
          else this.subexpr(e);
        } else this.subexpr(n.e);
        break;
      case 'postfix':
        this.subexpr(n.e);
        this.add(n.op);
        break;
      case 'binary':
        if (n.op === '>') this.add('(');
        this.subexpr(n.a);
        if (n.op === '[]') {
          this.add('[');
          this.print(n.b);
          this.add(']');
        } else {
          this.add(n.op);
          this.subexpr(n.b);
        }
        if (n.op === '>') this.add(')');
        break;
      case 'trinary':
        this.subexpr(n.a);
        this.add('?');
        this.subexpr(n.b);
        this.add(' : ');
        this.subexpr(n.c);
        break;
      case 'call':
        if (n.f.k === 'enc') this.subexpr(n.f.name);
        else this.subexpr(n.f);
        this.add('(');
        this.list(n.args, ', ');
        this.add(')');
        break;
      case 'castexpr':
        this.add('(');
        this.print(n.t);
        this.add(')');
        if (!n.list) this.subexpr(n.args[0]!);
        else {
          this.add('(');
          this.list(n.args, ', ');
          this.add(')');
        }
        break;
      case 'namedcast':
        this.add(`${n.op}<`);
        this.print(n.t);
        this.add('>(');
        this.print(n.e);
        this.add(')');
        break;
      case 'sizeoftype':
        this.add(n.op);
        this.add('(');
        this.print(n.t);
        this.add(')');
        break;
      case 'sizeofpack': {
        const pack = this.findPack(n.t, 0);
        if (pack === null) throw FAIL;
        this.add(String(pack.items.length));
        break;
      }
      case 'braced':
        if (n.t !== null) this.print(n.t);
        this.add('{');
        this.list(n.items, ', ');
        this.add('}');
        break;
      case 'new':
        // c++filt writes new[] as new too.
        this.add('new');
        if (n.placement.length > 0) {
          this.add(' (');
          this.list(n.placement, ', ');
          this.add(')');
        }
        this.add(' ');
        this.print(n.t);
        if (n.init !== null) this.print(n.init);
        break;
      case 'fold':
        this.add('(');
        if (n.a === null) this.add(`...${n.op}`);
        else {
          this.subexpr(n.a);
          this.add(`${n.op}...`);
        }
        if (n.b !== null) {
          if (n.a !== null) this.add(n.op);
          this.subexpr(n.b);
        }
        this.add(')');
        break;
      case 'sizeofargs': {
        let count = 0;
        for (const a of n.args) {
          if (a.k !== 'packexp') count++;
          else count += this.findPack(a.t, 0)?.items.length ?? 1;
        }
        this.add(String(count));
        break;
      }
      case 'designated':
        if (n.field) this.add('.');
        else this.add('[');
        this.print(n.pre[0]!);
        if (n.range) {
          this.add(' ... ');
          this.print(n.pre[1]!);
        }
        if (!n.field) this.add(']');
        this.add('=');
        this.subexpr(n.e);
        break;
      case 'decltype':
        this.add('decltype (');
        this.print(n.e);
        this.add(')');
        break;
    }
    this.depth--;
  }

  right(n: Node): void {
    this.enter();
    switch (n.k) {
      case 'qual':
      case 'vector':
        this.right(n.t);
        break;
      case 'ptr':
      case 'ref':
        this.pointerSide(n, (t) => {
          if (this.shape(t) !== '') this.add(')');
          this.right(t);
        });
        break;
      case 'memptr':
        if (this.shape(n.t) !== '') this.add(')');
        this.right(n.t);
        break;
      case 'func':
        this.add('(');
        this.params(n.params);
        this.add(')');
        for (const q of n.quals) this.print(q);
        this.add(n.ref);
        if (n.ret !== null) this.right(n.ret);
        break;
      case 'array':
        if (this.last !== ']') this.add(' ');
        this.add('[');
        if (n.dim !== null) this.print(n.dim);
        this.add(']');
        this.right(n.t);
        break;
      case 'tparam':
        if (this.lambdaArg > 0) break;
        this.withParam(n, (a) => this.right(a));
        break;
    }
    this.depth--;
  }

  /**
   * Items joined by `sep`, as c++filt joins template arguments and parameters: a separator is
   * taken back when nothing was printed after it, that is when all the items from there on print
   * nothing (empty packs); one before an item that prints nothing but is followed by one that does
   * stays (`f<, int>`, `A<B, , C>`). c++filt still counts a taken-back separator as the last
   * character written, so `A<B<C, >>` loses its comma and keeps `>>` unspaced.
   */
  list(items: readonly Node[], sep: string): void {
    const marks: number[] = [];
    for (let i = 0; i < items.length; i++) {
      if (i > 0) {
        this.add(sep);
        marks.push(this.out.length);
      }
      this.print(items[i]!);
    }
    for (let i = marks.length - 1; i >= 0 && this.out.length === marks[i]; i--) {
      this.out = this.out.slice(0, marks[i]! - sep.length);
    }
  }

  params(ps: readonly Node[]): void {
    this.list(ps, ', ');
  }

  /** An operand of an operator: in parentheses unless it is a name or a function parameter. */
  subexpr(n: Node): void {
    const simple = n.k === 'name' || n.k === 'nested' || n.k === 'qualname' || n.k === 'fparam' || n.k === 'braced';
    if (!simple) this.add('(');
    this.print(n);
    if (!simple) this.add(')');
  }

  packExpansion(t: Node): void {
    const pack = this.findPack(t, 0);
    if (pack === null) {
      this.subexpr(t);
      this.add('...');
      return;
    }
    const saved = this.packIndex;
    try {
      for (let i = 0; i < pack.items.length; i++) {
        this.packIndex = i;
        if (i > 0) this.add(', ');
        this.print(t);
      }
    } finally {
      this.packIndex = saved;
    }
  }

  /** The first template parameter pack that `n` refers to. */
  findPack(n: Node, depth: number): { items: Node[] } | null {
    if (depth > MAX_DEPTH || ++this.steps > MAX_STEPS) throw FAIL;
    switch (n.k) {
      case 'tparam': {
        if (this.lambdaArg > 0) return null;
        const args = this.templates[this.templates.length - 1];
        if (args === undefined) return null;
        const a = args[n.idx];
        return a !== undefined && a.k === 'pack' ? a : null;
      }
      case 'name':
      case 'builtin':
      case 'std':
      case 'lambda':
      case 'unnamed':
      case 'fparam':
      case 'lit':
      case 'op':
      case 'litop':
        return null;
      default:
        for (const c of children(n)) {
          const r = this.findPack(c, depth + 1);
          if (r !== null) return r;
        }
        return null;
    }
  }

  /**
   * A lambda's template parameter as c++filt writes it (`typename $T0`, `int $N1`,
   * `template<typename> class $TT2`, `typename... $T0`), named after its position `i`; unnamed
   * inside a template template parameter (i = -1). Returns the name.
   */
  templateParamDecl(d: Node, i: number): string {
    if (d.k !== 'tdecl') throw FAIL;
    const named = (kind: string): string => (i < 0 ? '' : ` $${kind}${i}`);
    switch (d.kind) {
      case 'y':
        this.add(`typename${named('T')}`);
        return `$T${i}`;
      case 'p':
        this.add(`typename...${named('T')}`);
        return `$T${i}`;
      case 'n':
        this.print(d.t!);
        this.add(named('N'));
        return `$N${i}`;
      case 't':
        this.add('template<');
        for (const [j, inner] of d.inner.entries()) {
          if (j > 0) this.add(', ');
          this.templateParamDecl(inner, -1);
        }
        this.add(`> class${named('TT')}`);
        return `$TT${i}`;
    }
  }

  literal(n: { t: Node; neg: boolean; v: string }): void {
    const t = n.t;
    if (t.k === 'builtin' && t.lit !== 'default' && t.lit !== 'float') {
      if (t.lit === 'bool') {
        if (!n.neg && (n.v === '0' || n.v === '1')) {
          this.add(n.v === '0' ? 'false' : 'true');
          return;
        }
      } else {
        if (n.neg) this.add('-');
        this.add(n.v + t.lit);
        return;
      }
    }
    this.add('(');
    this.print(t);
    this.add(')');
    if (n.neg) this.add('-');
    const float = t.k === 'builtin' && t.lit === 'float';
    this.add(float ? `[${n.v}]` : n.v);
  }

  /** A function: return type, name, parameters, qualifiers; a template function's T_ refer to its arguments. */
  encoding(e: Extract<Node, { k: 'enc' }>): void {
    let named = e.name;
    if (named.k === 'local') named = named.ent;
    const args = named.k === 'tmpl' ? named.args : null;
    if (args !== null) this.templates.push(args);
    try {
      if (e.ret !== null) {
        this.left(e.ret);
        if (!this.hasRight(e.ret)) this.add(' ');
      }
      this.print(e.name);
      this.add('(');
      this.params(e.params);
      this.add(')');
      this.add(e.cv);
      this.add(e.ref);
      if (e.ret !== null) this.right(e.ret);
    } finally {
      if (args !== null) this.templates.pop();
    }
  }
}

/** Child nodes, for the pack search. */
function children(n: Node): Node[] {
  switch (n.k) {
    case 'nested':
    case 'qualname':
      return [n.q, n.n];
    case 'tmpl':
      return [n.n, ...n.args];
    case 'abi':
    case 'ctor':
      return [n.n];
    case 'attached':
      return [n.n, n.module];
    case 'conv':
    case 'qual':
    case 'ptr':
    case 'ref':
    case 'packexp':
    case 'special':
    case 'clone':
    case 'sizeofpack':
      return [n.t];
    case 'func':
      return [...(n.ret === null ? [] : [n.ret]), ...n.params, ...n.quals];
    case 'wrap':
      return n.items;
    case 'vector':
      return [n.t, n.dim];
    case 'array':
      return n.dim === null ? [n.t] : [n.t, n.dim];
    case 'memptr':
      return [n.cls, n.t];
    case 'pack':
      return n.items;
    case 'enc':
      return n.ret === null ? [n.name, ...n.params] : [n.name, n.ret, ...n.params];
    case 'ctorvtable':
      return [n.a, n.b];
    case 'local':
      return [n.enc, n.ent];
    case 'unary':
    case 'postfix':
    case 'decltype':
      return [n.e];
    case 'binary':
      return [n.a, n.b];
    case 'trinary':
      return [n.a, n.b, n.c];
    case 'call':
      return [n.f, ...n.args];
    case 'castexpr':
      return [n.t, ...n.args];
    case 'namedcast':
      return [n.t, n.e];
    case 'sizeoftype':
      return [n.t];
    case 'tdecl':
      return n.t === null ? n.inner : [n.t, ...n.inner];
    case 'braced':
      return n.t === null ? n.items : [n.t, ...n.items];
    case 'new':
      return [...n.placement, n.t, ...(n.init === null ? [] : [n.init])];
    case 'fold':
      return [...(n.a === null ? [] : [n.a]), ...(n.b === null ? [] : [n.b])];
    case 'sizeofargs':
      return n.args;
    case 'designated':
      return [...n.pre, n.e];
    default:
      return [];
  }
}

/**
 * The clone suffixes GCC appends (`.cold`, `.isra.0`, `.constprop.0`, `.part.1`, `.lto_priv.0`):
 * each is `.` + [a-z0-9_]+ followed by any number of `.` + digits. Returns them, or null when
 * `rest` is not made of them.
 */
function cloneSuffixes(rest: string): string[] | null {
  const out: string[] = [];
  let i = 0;
  while (i < rest.length) {
    if (rest.charAt(i) !== '.') return null;
    let j = i + 1;
    const isWordChar = (c: string): boolean => isLower(c) || isDigit(c) || c === '_';
    if (!isWordChar(rest.charAt(j))) return null;
    while (j < rest.length && isWordChar(rest.charAt(j))) j++;
    while (rest.charAt(j) === '.' && isDigit(rest.charAt(j + 1))) {
      j += 2;
      while (isDigit(rest.charAt(j))) j++;
    }
    out.push(rest.slice(i, j));
    i = j;
  }
  return out;
}

function demangleMangled(name: string): string | undefined {
  const ps = new Parser(name);
  ps.p = 2;
  let node = ps.encoding();
  const suffixes = cloneSuffixes(name.slice(ps.p));
  if (suffixes === null) return undefined;
  for (const suffix of suffixes) node = { k: 'clone', t: node, suffix };
  const pr = new Printer();
  pr.print(node);
  return pr.out;
}

/**
 * The demangled form of an Itanium-mangled name (`_ZN2ns1K1mEid` -> `ns::K::m(int, double)`), as
 * GNU c++filt prints it, or undefined when `name` is not a mangled name this demangler reads
 * (c++filt then prints the name unchanged). Also GCC's `_GLOBAL__I_x`/`_GLOBAL__D_x` ("global
 * constructors keyed to x"); `_GLOBAL__sub_I_x` is not demangled, as by c++filt. Never throws;
 * bounded in time and memory for any input.
 */
export function demangle(name: string): string | undefined {
  if (name.length > MAX_INPUT) return undefined;
  try {
    if (name.startsWith('_Z')) return demangleMangled(name);
    if (name.length > 11 && name.startsWith('_GLOBAL_') && '._$'.includes(name.charAt(8)) && name.charAt(10) === '_') {
      const kind = name.charAt(9);
      if (kind !== 'I' && kind !== 'D') return undefined;
      const rest = name.slice(11);
      const inner = rest.startsWith('_Z') ? demangleMangled(rest) : undefined;
      return `global ${kind === 'I' ? 'constructors' : 'destructors'} keyed to ${inner ?? rest}`;
    }
    return undefined;
  } catch {
    // Fail, or a RangeError should a bound above not hold: either way, not demangled.
    return undefined;
  }
}
