/**
 * Names of the children of a CreditPipeline, as functions of the pipeline's name (CloudNativePG's
 * `cluster_funcs.go`): the renderer names the objects with them, and the operator, the demo and the
 * tests find the objects by them.
 */

/** Child object name: `<pipeline>-<suffix>`. The CRD keeps pipeline names short enough for every suffix. */
export function childName(pipeline: string, suffix: string): string {
  return `${pipeline}-${suffix}`;
}

/** Names of the children; the operator reads some of them (detector Deployment, scoring CronJob). */
export function childNames(pipeline: string) {
  return {
    ingestionApi: childName(pipeline, 'ingestion-api'),
    fraudDetector: childName(pipeline, 'fraud-detector'),
    warehouseLoader: childName(pipeline, 'warehouse-loader'),
    decisionService: childName(pipeline, 'decision-service'),
    riskScorer: childName(pipeline, 'risk-scorer'),
    /** Prefix: the migration Job's name ends with a hash of its image, since a Job's template is immutable. */
    warehouseMigrate: childName(pipeline, 'warehouse-migrate'),
    postgres: childName(pipeline, 'postgres'),
    mongo: childName(pipeline, 'mongo'),
    postgresSecret: childName(pipeline, 'postgres-credentials'),
    pseudonymizationSecret: childName(pipeline, 'pseudonymization'),
    rulesConfigMap: childName(pipeline, 'fraud-rules'),
    monitoring: childName(pipeline, 'platform'),
    cases: childName(pipeline, 'cases'),
    alertDelivery: childName(pipeline, 'alert-delivery'),
    grafanaDatasource: childName(pipeline, 'grafana-datasource'),
  };
}
export type ChildNames = ReturnType<typeof childNames>;

/** The Secrets the renderer generates (the operator reads them back to pass as existingSecrets). */
export function generatedSecretNames(pipeline: string): string[] {
  const n = childNames(pipeline);
  return [n.postgresSecret, n.pseudonymizationSecret];
}

/** `<namespace>.<pipeline>`: prefixes the pipeline's consumer groups and internal topics. */
export function consumerGroupPrefix(namespace: string | undefined, pipeline: string): string {
  return `${namespace ?? 'default'}.${pipeline}`;
}
