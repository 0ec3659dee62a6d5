/** What the renderer takes besides the CreditPipeline, and the shape of what it returns. */

/** A Kubernetes object as plain JSON. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    [key: string]: unknown;
  };
  [key: string]: unknown;
}

/** What the renderer needs to know about the cluster and the current state, and nothing else. */
export interface RenderOptions {
  /** The Strimzi CRDs (kafka.strimzi.io KafkaTopic) are installed. */
  strimzi: boolean;
  /** The prometheus-operator CRDs (monitoring.coreos.com ServiceMonitor, PrometheusRule) are installed. */
  monitoring: boolean;
  /**
   * The operator's own image (`repository:tag`); workloads run it unless spec.images.platform is set,
   * so a pipeline follows the operator's version by default.
   */
  operatorImage: string;
  /**
   * Decoded data of the generated Secrets that already exist, by Secret name. Present keys are
   * reused so credentials stay stable across reconciles; only missing keys are generated.
   */
  existingSecrets?: Record<string, Record<string, string>>;
  /** Grafana dashboards by file name (e.g. `fraud.json`) → dashboard JSON. */
  dashboards?: Record<string, string>;
  /** Random secret value generator (tests inject a deterministic one). */
  randomSecret?: () => string;
}
