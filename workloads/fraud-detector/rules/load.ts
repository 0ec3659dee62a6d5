/** Reading a rule set from text (YAML or JSON: JSON is YAML) and compiling it. */
import { parse } from 'yaml';
import { type CompiledRuleSet, compileRuleSet, RuleSetError } from './compile.ts';

export function ruleSetFromText(text: string, source: string): CompiledRuleSet {
  let doc: unknown;
  try {
    doc = parse(text, { prettyErrors: true, maxAliasCount: 100 });
  } catch (err) {
    throw new RuleSetError([
      `${source}: not valid YAML/JSON: ${err instanceof Error ? err.message : String(err)}`,
    ]);
  }
  return compileRuleSet(doc);
}
