/**
 * A small, safe expression language for rules on one application (no `eval`, no property access
 * beyond the event's own fields, no loops): tokenizer → recursive-descent parser → closure compiler.
 *
 *   expr     := or
 *   or       := and (('or' | '||') and)*
 *   and      := not (('and' | '&&') not)*
 *   not      := ('not' | '!') not | compare
 *   compare  := sum (('==' | '!=' | '<' | '<=' | '>' | '>=' | 'in') sum)?
 *   sum      := product (('+' | '-') product)*
 *   product  := unary (('*' | '/' | '%') unary)*
 *   unary    := '-' unary | primary
 *   primary  := number | string | 'true' | 'false' | 'null' | path | call | '[' list ']' | '(' expr ')'
 *   call     := name '(' (expr (',' expr)*)? ')'
 *
 * Values are numbers, strings, booleans, null and lists. Semantics are total (nothing throws at run
 * time): a missing field reads as null; arithmetic with null or a non-number, and division by zero,
 * give null; an ordering comparison with null or mixed types is false; `==` compares by value.
 * A rule fires only when its expression evaluates to exactly `true`.
 */

import { parseTime } from '../core/event-time.ts';
import { fieldReader, fieldType } from './fields.ts';

export type Value = number | string | boolean | null | Value[];

export class ExpressionError extends Error {
  constructor(
    message: string,
    readonly position: number,
  ) {
    super(`${message} at position ${position}`);
    this.name = 'ExpressionError';
  }
}

// ---------------------------------------------------------------- tokens

type TokenType = 'number' | 'string' | 'ident' | 'op' | 'eof';
interface Token {
  type: TokenType;
  text: string;
  pos: number;
}

const OPERATORS = [
  '==',
  '!=',
  '<=',
  '>=',
  '&&',
  '||',
  '<',
  '>',
  '+',
  '-',
  '*',
  '/',
  '%',
  '!',
  '(',
  ')',
  ',',
  '[',
  ']',
];

export function tokenize(src: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i] as string;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(src[i + 1] ?? ''))) {
      const m = /^[0-9]*\.?[0-9]+([eE][+-]?[0-9]+)?|^[0-9]+/.exec(src.slice(i));
      const text = (m as RegExpExecArray)[0];
      tokens.push({ type: 'number', text, pos: i });
      i += text.length;
      continue;
    }
    if (c === "'" || c === '"') {
      let j = i + 1;
      let out = '';
      while (j < src.length && src[j] !== c) {
        if (src[j] === '\\' && j + 1 < src.length) {
          out += src[j + 1];
          j += 2;
        } else {
          out += src[j];
          j++;
        }
      }
      if (j >= src.length) throw new ExpressionError('unterminated string', i);
      tokens.push({ type: 'string', text: out, pos: i });
      i = j + 1;
      continue;
    }
    if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*/.exec(src.slice(i));
      const text = (m as RegExpExecArray)[0];
      tokens.push({ type: 'ident', text, pos: i });
      i += text.length;
      continue;
    }
    const op = OPERATORS.find((o) => src.startsWith(o, i));
    if (op === undefined) throw new ExpressionError(`unexpected character "${c}"`, i);
    tokens.push({ type: 'op', text: op, pos: i });
    i += op.length;
  }
  tokens.push({ type: 'eof', text: '', pos: src.length });
  return tokens;
}

// ---------------------------------------------------------------- syntax tree

export type Node =
  | { t: 'lit'; value: Value; pos: number }
  | { t: 'path'; path: string; pos: number }
  | { t: 'list'; items: Node[]; pos: number }
  | { t: 'unary'; op: '-' | 'not'; arg: Node; pos: number }
  | { t: 'binary'; op: string; left: Node; right: Node; pos: number }
  | { t: 'call'; name: string; args: Node[]; pos: number };

const KEYWORDS = new Set(['and', 'or', 'not', 'in', 'true', 'false', 'null']);

export function parse(src: string): Node {
  const tokens = tokenize(src);
  let k = 0;
  const peek = (): Token => tokens[k] as Token;
  const next = (): Token => tokens[k++] as Token;
  const isOp = (...ops: string[]) => peek().type === 'op' && ops.includes(peek().text);
  const isWord = (...words: string[]) => peek().type === 'ident' && words.includes(peek().text);
  const expect = (op: string) => {
    if (!isOp(op))
      throw new ExpressionError(`expected "${op}" but found "${peek().text || 'end'}"`, peek().pos);
    next();
  };

  const or = (): Node => {
    let left = and();
    while (isOp('||') || isWord('or')) {
      const pos = next().pos;
      left = { t: 'binary', op: 'or', left, right: and(), pos };
    }
    return left;
  };
  const and = (): Node => {
    let left = not();
    while (isOp('&&') || isWord('and')) {
      const pos = next().pos;
      left = { t: 'binary', op: 'and', left, right: not(), pos };
    }
    return left;
  };
  const not = (): Node => {
    if (isOp('!') || isWord('not')) {
      const pos = next().pos;
      return { t: 'unary', op: 'not', arg: not(), pos };
    }
    return compare();
  };
  const compare = (): Node => {
    const left = sum();
    if (isOp('==', '!=', '<', '<=', '>', '>=') || isWord('in')) {
      const tok = next();
      return { t: 'binary', op: tok.text, left, right: sum(), pos: tok.pos };
    }
    return left;
  };
  const sum = (): Node => {
    let left = product();
    while (isOp('+', '-')) {
      const tok = next();
      left = { t: 'binary', op: tok.text, left, right: product(), pos: tok.pos };
    }
    return left;
  };
  const product = (): Node => {
    let left = unary();
    while (isOp('*', '/', '%')) {
      const tok = next();
      left = { t: 'binary', op: tok.text, left, right: unary(), pos: tok.pos };
    }
    return left;
  };
  const unary = (): Node => {
    if (isOp('-')) {
      const pos = next().pos;
      return { t: 'unary', op: '-', arg: unary(), pos };
    }
    return primary();
  };
  const primary = (): Node => {
    const tok = peek();
    if (tok.type === 'number') {
      next();
      return { t: 'lit', value: Number(tok.text), pos: tok.pos };
    }
    if (tok.type === 'string') {
      next();
      return { t: 'lit', value: tok.text, pos: tok.pos };
    }
    if (isOp('(')) {
      next();
      const inner = or();
      expect(')');
      return inner;
    }
    if (isOp('[')) {
      next();
      const items: Node[] = [];
      if (!isOp(']')) {
        items.push(or());
        while (isOp(',')) {
          next();
          items.push(or());
        }
      }
      expect(']');
      return { t: 'list', items, pos: tok.pos };
    }
    if (tok.type === 'ident') {
      next();
      if (tok.text === 'true' || tok.text === 'false')
        return { t: 'lit', value: tok.text === 'true', pos: tok.pos };
      if (tok.text === 'null') return { t: 'lit', value: null, pos: tok.pos };
      if (KEYWORDS.has(tok.text)) throw new ExpressionError(`unexpected "${tok.text}"`, tok.pos);
      if (isOp('(')) {
        next();
        const args: Node[] = [];
        if (!isOp(')')) {
          args.push(or());
          while (isOp(',')) {
            next();
            args.push(or());
          }
        }
        expect(')');
        return { t: 'call', name: tok.text, args, pos: tok.pos };
      }
      return { t: 'path', path: tok.text, pos: tok.pos };
    }
    throw new ExpressionError(`unexpected "${tok.text || 'end of expression'}"`, tok.pos);
  };

  const root = or();
  if (peek().type !== 'eof') throw new ExpressionError(`unexpected "${peek().text}"`, peek().pos);
  return root;
}

// ---------------------------------------------------------------- functions

const MS_PER_DAY = 86_400_000;

function toTime(v: Value): number | null {
  if (typeof v !== 'string') return null;
  const t = parseTime(v.length === 10 ? `${v}T00:00:00Z` : v);
  return Number.isNaN(t) ? null : t;
}

const num = (v: Value): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

interface FunctionDef {
  arity: [number, number];
  fn: (args: Value[]) => Value;
}

/** The functions expressions may call. */
export const FUNCTIONS: Readonly<Record<string, FunctionDef>> = {
  /** Whole years between a date of birth and a moment (e.g. `ageYears(dateOfBirth, submittedAt)`). */
  ageYears: {
    arity: [2, 2],
    fn: ([dob, at]) => {
      if (typeof dob !== 'string' || typeof at !== 'string') return null;
      const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(dob);
      const t = toTime(at);
      if (m === null || t === null) return null;
      const d = new Date(t);
      let age = d.getUTCFullYear() - Number(m[1]);
      const monthDay = (d.getUTCMonth() + 1) * 100 + d.getUTCDate();
      if (monthDay < Number(m[2]) * 100 + Number(m[3])) age--;
      return age;
    },
  },
  /** Days from a to b (fractional). */
  daysBetween: {
    arity: [2, 2],
    fn: ([a, b]) => {
      const ta = toTime(a as Value);
      const tb = toTime(b as Value);
      return ta === null || tb === null ? null : (tb - ta) / MS_PER_DAY;
    },
  },
  lower: { arity: [1, 1], fn: ([s]) => (typeof s === 'string' ? s.toLowerCase() : null) },
  upper: { arity: [1, 1], fn: ([s]) => (typeof s === 'string' ? s.toUpperCase() : null) },
  len: {
    arity: [1, 1],
    fn: ([s]) => (typeof s === 'string' || Array.isArray(s) ? s.length : null),
  },
  /** The domain of an e-mail address, lower-cased. */
  emailDomain: {
    arity: [1, 1],
    fn: ([s]) => {
      if (typeof s !== 'string') return null;
      const at = s.lastIndexOf('@');
      return at < 0 ? null : s.slice(at + 1).toLowerCase();
    },
  },
  abs: { arity: [1, 1], fn: ([x]) => (num(x as Value) === null ? null : Math.abs(x as number)) },
  min: {
    arity: [1, 10],
    fn: (xs) => (xs.every((x) => num(x) !== null) ? Math.min(...(xs as number[])) : null),
  },
  max: {
    arity: [1, 10],
    fn: (xs) => (xs.every((x) => num(x) !== null) ? Math.max(...(xs as number[])) : null),
  },
  /** The first argument that is not null. */
  coalesce: { arity: [1, 10], fn: (xs) => xs.find((x) => x !== null) ?? null },
  /** True when the value is present (not null). */
  exists: { arity: [1, 1], fn: ([x]) => x !== null },
  startsWith: {
    arity: [2, 2],
    fn: ([s, p]) => (typeof s === 'string' && typeof p === 'string' ? s.startsWith(p) : false),
  },
  endsWith: {
    arity: [2, 2],
    fn: ([s, p]) => (typeof s === 'string' && typeof p === 'string' ? s.endsWith(p) : false),
  },
};

// ---------------------------------------------------------------- evaluation

export type Compiled = (event: unknown) => Value;

function equal(a: Value, b: Value): boolean {
  if (Array.isArray(a) || Array.isArray(b)) {
    return (
      Array.isArray(a) &&
      Array.isArray(b) &&
      a.length === b.length &&
      a.every((x, i) => equal(x, b[i] as Value))
    );
  }
  return a === b;
}

function order(op: string, a: Value, b: Value): boolean {
  const bothNum = typeof a === 'number' && typeof b === 'number';
  const bothStr = typeof a === 'string' && typeof b === 'string';
  if (!bothNum && !bothStr) return false;
  const x = a as number | string;
  const y = b as number | string;
  switch (op) {
    case '<':
      return x < y;
    case '<=':
      return x <= y;
    case '>':
      return x > y;
    default:
      return x >= y;
  }
}

function arithmetic(op: string, a: Value, b: Value): Value {
  const x = num(a);
  const y = num(b);
  if (x === null || y === null) return null;
  switch (op) {
    case '+':
      return x + y;
    case '-':
      return x - y;
    case '*':
      return x * y;
    case '/':
      return y === 0 ? null : x / y;
    default:
      return y === 0 ? null : x % y;
  }
}

function toValue(v: unknown): Value {
  if (v === undefined || v === null) return null;
  if (typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean') return v;
  if (Array.isArray(v)) return v.map(toValue);
  return null;
}

function compileNode(node: Node): Compiled {
  switch (node.t) {
    case 'lit': {
      const v = node.value;
      return () => v;
    }
    case 'path': {
      const type = fieldType(node.path);
      if ('error' in type) throw new ExpressionError(type.error, node.pos);
      if (type.type === 'object')
        throw new ExpressionError(`"${node.path}" is an object, not a value`, node.pos);
      const read = fieldReader(node.path);
      return (e) => toValue(read(e));
    }
    case 'list': {
      const items = node.items.map(compileNode);
      return (e) => items.map((f) => f(e));
    }
    case 'unary': {
      const arg = compileNode(node.arg);
      if (node.op === 'not') return (e) => arg(e) !== true;
      return (e) => {
        const v = arg(e);
        return typeof v === 'number' ? -v : null;
      };
    }
    case 'call': {
      const def = FUNCTIONS[node.name];
      if (def === undefined) {
        throw new ExpressionError(
          `unknown function "${node.name}" (known: ${Object.keys(FUNCTIONS).join(', ')})`,
          node.pos,
        );
      }
      const [lo, hi] = def.arity;
      if (node.args.length < lo || node.args.length > hi) {
        throw new ExpressionError(
          `${node.name} takes ${lo === hi ? lo : `${lo} to ${hi}`} argument(s), got ${node.args.length}`,
          node.pos,
        );
      }
      const args = node.args.map(compileNode);
      return (e) => def.fn(args.map((a) => a(e)));
    }
    case 'binary': {
      const l = compileNode(node.left);
      const r = compileNode(node.right);
      switch (node.op) {
        case 'and':
          return (e) => l(e) === true && r(e) === true;
        case 'or':
          return (e) => l(e) === true || r(e) === true;
        case '==':
          return (e) => equal(l(e), r(e));
        case '!=':
          return (e) => !equal(l(e), r(e));
        case '<':
        case '<=':
        case '>':
        case '>=': {
          const op = node.op;
          return (e) => order(op, l(e), r(e));
        }
        case 'in':
          return (e) => {
            const hay = r(e);
            const needle = l(e);
            if (Array.isArray(hay)) return hay.some((x) => equal(x, needle));
            if (typeof hay === 'string' && typeof needle === 'string') return hay.includes(needle);
            return false;
          };
        default: {
          const op = node.op;
          return (e) => arithmetic(op, l(e), r(e));
        }
      }
    }
  }
}

/** Parses and compiles an expression; throws ExpressionError naming the position of the problem. */
export function compileExpression(src: string): Compiled {
  return compileNode(parse(src));
}
