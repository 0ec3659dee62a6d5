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

/**
 * The parts of a pipeline that have a condition of their own (TopicsReady, StorageReady,
 * DetectorReady, ScoringReady, MonitoringReady; `workloads` counts towards Ready only).
 */
export const PARTS = ['topics', 'storage', 'detector', 'scoring', 'monitoring', 'workloads'] as const;
export type Part = (typeof PARTS)[number];

/** The render output: every child, and, per part, the children whose readiness is that part's. */
export interface RenderedPipeline {
  /** Every child object, in a stable order (what the operator applies). */
  objects: KubeObject[];
  /** The children each part waits for (Secrets, Services, ConfigMaps and policies belong to none). */
  parts: Readonly<Record<Part, readonly KubeObject[]>>;
}
