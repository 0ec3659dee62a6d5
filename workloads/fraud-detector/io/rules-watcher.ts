/**
 * Hot reload of the rules file. A ConfigMap volume is updated by swapping a symlink (`..data`), which
 * fs.watch on the file may miss, so the file is also polled (mtime, size and content). A new rule set
 * that fails validation is refused: the old one stays in force, the error is logged and counted.
 */
import { type FSWatcher, watch } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Logger } from '../../../lib/log.ts';
import { type CompiledRuleSet, RuleSetError } from '../rules/compile.ts';
import { ruleSetFromText } from '../rules/load.ts';

export interface RulesWatcher {
  close(): void;
  /** Re-reads the file now (also what the watch and the poll call). */
  check(): Promise<void>;
}

export interface RulesWatcherOptions {
  path: string;
  pollMs: number;
  log: Logger;
  onApplied: (rules: CompiledRuleSet) => void;
  onRejected: (problems: string[]) => void;
}

export async function loadRulesFile(path: string): Promise<{ rules: CompiledRuleSet; text: string }> {
  const text = await readFile(path, 'utf8');
  return { rules: ruleSetFromText(text, path), text };
}

export function watchRules(initialText: string, options: RulesWatcherOptions): RulesWatcher {
  let lastText = initialText;
  let lastStamp = '';
  let running: Promise<void> | undefined;
  let closed = false;

  const check = async (): Promise<void> => {
    if (closed) return;
    let stamp: string;
    try {
      const s = await stat(options.path);
      stamp = `${s.mtimeMs}:${s.size}:${s.ino}`;
    } catch (err) {
      options.log.warn(
        { err: (err as Error).message, path: options.path },
        'rules file unreadable; keeping the rules in force',
      );
      return;
    }
    if (stamp === lastStamp) return;
    let text: string;
    try {
      text = await readFile(options.path, 'utf8');
    } catch {
      return;
    }
    lastStamp = stamp;
    if (text === lastText) return;
    lastText = text;
    try {
      const rules = ruleSetFromText(text, options.path);
      options.onApplied(rules);
    } catch (err) {
      const problems = err instanceof RuleSetError ? err.problems : [String(err)];
      options.onRejected(problems);
    }
  };
  const trigger = () => {
    if (running !== undefined) return;
    running = check().finally(() => {
      running = undefined;
    });
  };

  const watchers: FSWatcher[] = [];
  for (const target of [options.path, dirname(options.path)]) {
    try {
      const w = watch(target, { persistent: false }, trigger);
      w.on('error', () => undefined);
      watchers.push(w);
    } catch {
      // Polling covers it.
    }
  }
  const timer = setInterval(trigger, options.pollMs);
  timer.unref();
  void stat(options.path)
    .then((s) => {
      if (lastStamp === '') lastStamp = `${s.mtimeMs}:${s.size}:${s.ino}`;
    })
    .catch(() => undefined);
  return {
    close() {
      closed = true;
      clearInterval(timer);
      for (const w of watchers) w.close();
    },
    async check() {
      await check();
    },
  };
}
