import { describe, expect, it } from 'vitest';
import { buildDashboards } from '../../../dashboards/index.ts';
import {
  expandPromMacros,
  expandSqlMacros,
  promQueries,
  sqlQueries,
  unexpandedMacros,
} from '../../../dashboards/inspect.ts';

describe('macro expansion', () => {
  it('replaces $namespace with the given regular expression, All by default', () => {
    expect(expandPromMacros('up{namespace=~"$namespace"}', '1m')).toBe('up{namespace=~".*"}');
    expect(expandPromMacros('up{namespace=~"$namespace"}', '1m', 'credit-(eu|us)')).toBe(
      'up{namespace=~"credit-(eu|us)"}',
    );
    expect(expandPromMacros('up{namespace=~"$namespace"}', '1m', 'a"b')).toBe('up{namespace=~"a\\"b"}');
  });

  it('replaces the PromQL interval macros with a fixed window', () => {
    expect(expandPromMacros('sum(rate(x[$__rate_interval])) / sum(rate(y[$__interval]))', '2m')).toBe(
      'sum(rate(x[2m])) / sum(rate(y[2m]))',
    );
  });

  it('turns $__timeFilter(col) into the range Grafana sends, quoting the lookback', () => {
    expect(
      expandSqlMacros('SELECT 1 FROM t WHERE $__timeFilter(day) AND $__timeFilter( s.at )', '7 days'),
    ).toBe(
      "SELECT 1 FROM t WHERE day BETWEEN (now() - interval '7 days') AND now() AND s.at BETWEEN (now() - interval '7 days') AND now()",
    );
    expect(expandSqlMacros('$__timeFilter(x)', "1 day'; drop")).toContain("interval '1 day''; drop'");
  });

  it('leaves no macro or variable in any dashboard query once expanded', () => {
    const dashboards = buildDashboards();
    for (const q of promQueries(dashboards)) {
      expect(unexpandedMacros(expandPromMacros(q.query, '1m')), `${q.panel}`).toEqual([]);
    }
    for (const q of sqlQueries(dashboards)) {
      expect(unexpandedMacros(expandSqlMacros(q.query, '30 days')), `${q.panel}`).toEqual([]);
    }
  });

  it('finds a macro left behind', () => {
    expect(unexpandedMacros('rate(x[$__range_ms]) + $' + '{var}')).toEqual(['$__range_ms', '${var']);
  });
});
