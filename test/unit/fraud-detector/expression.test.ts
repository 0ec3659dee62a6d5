import { describe, expect, it } from 'vitest';
import {
  compileExpression,
  ExpressionError,
  parse,
  tokenize,
} from '../../../workloads/fraud-detector/rules/expression.ts';

const event = {
  submittedAt: '2026-03-10T12:00:00Z',
  applicant: {
    dateOfBirth: '2008-03-11',
    email: 'Some.One@Example.TEST',
    address: { country: 'GB' },
  },
  employment: { annualIncome: 20_000 },
  loan: { amount: 150_000 },
  credit: { monthlyDebtPayments: 1_500 },
  channel: { geo: { country: 'FR' }, ipAddress: '10.0.0.1' },
};

const run = (src: string, e: unknown = event) => compileExpression(src)(e);

describe('expression tokenizer and parser', () => {
  it('tokenizes numbers, strings with escapes, paths and two-character operators', () => {
    const toks = tokenize("a.b >= 1.5e2 && 'it\\'s' != \"x\"");
    expect(toks.map((t) => t.text)).toEqual(['a.b', '>=', '1.5e2', '&&', "it's", '!=', 'x', '']);
  });

  it('gives precedence: not > comparison > and > or; arithmetic binds tighter than comparison', () => {
    expect(run('1 + 2 * 3 == 7')).toBe(true);
    expect(run('(1 + 2) * 3 == 9')).toBe(true);
    expect(run('true or false and false')).toBe(true);
    expect(run('not 1 > 2')).toBe(true);
    expect(run('-2 * -3')).toBe(6);
    expect(run('7 % 4')).toBe(3);
  });

  it('rejects syntax errors with the position', () => {
    expect(() => parse('1 +')).toThrow(ExpressionError);
    expect(() => parse('1 +')).toThrow(/position 3/);
    expect(() => parse('(1 + 2')).toThrow(/expected "\)"/);
    expect(() => parse('1 2')).toThrow(/unexpected "2"/);
    expect(() => parse("'open")).toThrow(/unterminated string/);
    expect(() => parse('a $ b')).toThrow(/unexpected character "\$"/);
    expect(() => parse('and')).toThrow(/unexpected "and"/);
  });

  it('rejects unknown functions, wrong arity and unknown or object fields at compile time', () => {
    expect(() => compileExpression('eval("1")')).toThrow(/unknown function "eval"/);
    expect(() => compileExpression('ageYears(dateOfBirth)')).toThrow(/takes 2 argument/);
    expect(() => compileExpression('applicant.shoeSize > 3')).toThrow(/unknown field "applicant.shoeSize"/);
    expect(() => compileExpression('applicant.address == 1')).toThrow(/is an object/);
    expect(() => compileExpression('constructor.prototype == 1')).toThrow(/unknown field/);
  });
});

describe('expression evaluation', () => {
  it('computes loan-to-income and debt-to-income ratios from field paths', () => {
    expect(run('loan.amount / employment.annualIncome')).toBe(7.5);
    expect(run('loan.amount / employment.annualIncome > 5')).toBe(true);
    expect(run('credit.monthlyDebtPayments * 12 / employment.annualIncome > 0.6')).toBe(true);
  });

  it('computes ageYears in whole years, the day before the birthday still one year less', () => {
    expect(run('ageYears(dateOfBirth, submittedAt)')).toBe(17);
    expect(run('ageYears(dateOfBirth, submittedAt) < 18')).toBe(true);
    expect(run("ageYears('2008-03-10', submittedAt)")).toBe(18);
    expect(run("ageYears('nonsense', submittedAt)")).toBe(null);
  });

  it('compares countries of IP geolocation and address (aliases allowed)', () => {
    expect(run('channel.geo.country != applicant.address.country')).toBe(true);
    expect(run('ipCountry == addressCountry')).toBe(false);
  });

  it('treats missing fields as null: arithmetic gives null, ordering is false, exists() is false', () => {
    const noGeo = { ...event, channel: { ipAddress: '10.0.0.1' } };
    expect(run('channel.geo.country', noGeo)).toBe(null);
    expect(run('exists(channel.geo.country)', noGeo)).toBe(false);
    expect(run('exists(channel.geo.country) and channel.geo.country != addressCountry', noGeo)).toBe(false);
    expect(run('channel.geo.lat > 3', noGeo)).toBe(false);
    expect(run('channel.geo.lat + 1', noGeo)).toBe(null);
  });

  it('gives null on division by zero rather than Infinity, so ratio rules do not fire', () => {
    const zero = { ...event, employment: { annualIncome: 0 } };
    expect(run('loan.amount / employment.annualIncome', zero)).toBe(null);
    expect(run('loan.amount / employment.annualIncome > 5', zero)).toBe(false);
  });

  it('supports in over list literals and substrings, and string functions', () => {
    expect(run("addressCountry in ['GB', 'IE']")).toBe(true);
    expect(run("addressCountry in ['FR']")).toBe(false);
    expect(run("'exam' in lower(email)")).toBe(true);
    expect(run("emailDomain(applicant.email) == 'example.test'")).toBe(true);
    expect(run('len(addressCountry) == 2')).toBe(true);
    expect(run('max(1, 5, 3) - min(4, 2)')).toBe(3);
    expect(run('coalesce(channel.geo.lat, 9)')).toBe(9);
  });

  it('does not treat non-boolean truthiness as true in and/or', () => {
    expect(run('1 and true')).toBe(false);
    expect(run("'x' or false")).toBe(false);
    expect(run('not 0')).toBe(true);
  });

  it('mixed-type ordering is false, equality is by value', () => {
    expect(run("1 < 'a'")).toBe(false);
    expect(run("'a' < 'b'")).toBe(true);
    expect(run('[1, 2] == [1, 2]')).toBe(true);
    expect(run('null == null')).toBe(true);
  });
});
