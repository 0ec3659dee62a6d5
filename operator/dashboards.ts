/** Grafana dashboards shipped in each pipeline's ConfigMaps (`<name>.json` → JSON), as the operator loads them. */
export async function loadDashboards(): Promise<Record<string, string>> {
  const { buildDashboards } = await import('../dashboards/index.ts');
  return Object.fromEntries(
    Object.entries(buildDashboards()).map(([n, d]) => [`${n}.json`, JSON.stringify(d)]),
  );
}
