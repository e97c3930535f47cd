/**
 * Which parameter group a parameter belongs to (LR_SCHEDULER.PARAMETER_GROUPS): glob patterns
 * over parameter names, first matching group wins, unmatched parameters form `default`.
 * The native trainer calls this once per parameter when it builds the optimizer.
 */
import type { ParameterGroupConfig } from '../../config/types';

export const DEFAULT_GROUP = 'default';

const cache = new Map<string, RegExp>();

/**
 * `*` matches any run of characters, dots included (`encoder.*` matches `encoder.layers.0.w`),
 * `?` one character; the pattern must match the whole name. Everything else is literal.
 */
export function globToRegExp(pattern: string): RegExp {
  let re = cache.get(pattern);
  if (re === undefined) {
    let src = '';
    for (const ch of pattern) {
      if (ch === '*') src += '.*';
      else if (ch === '?') src += '.';
      else src += ch.replace(/[\\^$.|+()[\]{}]/g, '\\$&');
    }
    re = new RegExp(`^${src.replace(/(\.\*)+/g, '.*')}$`);
    cache.set(pattern, re);
  }
  return re;
}

export function groupForParameter(name: string, groups: ReadonlyArray<Pick<ParameterGroupConfig, 'NAME' | 'PATTERNS'>>): string {
  for (const g of groups) {
    for (const p of g.PATTERNS) {
      if (globToRegExp(p).test(name)) return g.NAME;
    }
  }
  return DEFAULT_GROUP;
}

/** Group names in the order the schedule reports them: `default` first, then as configured. */
export function groupNames(groups: ReadonlyArray<Pick<ParameterGroupConfig, 'NAME'>>): string[] {
  const names = [DEFAULT_GROUP];
  for (const g of groups) if (g.NAME !== DEFAULT_GROUP) names.push(g.NAME);
  return names;
}
