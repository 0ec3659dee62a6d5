/**
 * The group/version/kind of the third-party kinds a pipeline may use: Strimzi's KafkaTopic (and the
 * Kafka cluster it names) and prometheus-operator's ServiceMonitor and PrometheusRule. The renderer
 * builds them and the operator detects whether their APIs are served.
 */

export interface Gvk {
  apiVersion: string;
  kind: string;
}

export const STRIMZI_GROUP = 'kafka.strimzi.io';
export const STRIMZI_VERSION = 'v1beta2';
export const STRIMZI_API_VERSION = `${STRIMZI_GROUP}/${STRIMZI_VERSION}`;
/** Label of a KafkaTopic naming its Strimzi `Kafka` cluster. */
export const STRIMZI_CLUSTER_LABEL = 'strimzi.io/cluster';

export const KAFKA_TOPIC = { apiVersion: STRIMZI_API_VERSION, kind: 'KafkaTopic' } as const satisfies Gvk;

export const MONITORING_GROUP = 'monitoring.coreos.com';
export const MONITORING_API_VERSION = `${MONITORING_GROUP}/v1`;
export const SERVICE_MONITOR = {
  apiVersion: MONITORING_API_VERSION,
  kind: 'ServiceMonitor',
} as const satisfies Gvk;
export const PROMETHEUS_RULE = {
  apiVersion: MONITORING_API_VERSION,
  kind: 'PrometheusRule',
} as const satisfies Gvk;
