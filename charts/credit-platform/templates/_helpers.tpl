{{/* Chart name, truncated to a DNS label. */}}
{{- define "credit-platform.name" -}}
{{- .Chart.Name | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Fully qualified name of the operator's objects. */}}
{{- define "credit-platform.fullname" -}}
{{- if contains .Chart.Name .Release.Name }}
{{- printf "%s-operator" .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s-operator" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}

{{/* Selector labels: stable across upgrades. */}}
{{- define "credit-platform.selectorLabels" -}}
app.kubernetes.io/name: {{ include "credit-platform.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: operator
{{- end }}

{{/* Selector labels of the `helm test` pod (not the operator's: no operator policy or Service selects it). */}}
{{- define "credit-platform.testSelectorLabels" -}}
app.kubernetes.io/name: {{ include "credit-platform.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: test
{{- end }}

{{/* The standard app.kubernetes.io/* labels of every object of the chart (the one helper). */}}
{{- define "credit-platform.labels" -}}
{{ include "credit-platform.selectorLabels" . }}
{{ include "credit-platform.commonLabels" . }}
{{- end }}

{{/* The labels of every object besides its selector labels. */}}
{{- define "credit-platform.commonLabels" -}}
app.kubernetes.io/version: {{ (.Values.imageTag | default .Chart.AppVersion) | quote }}
app.kubernetes.io/part-of: credit-platform
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The platform image reference. */}}
{{- define "credit-platform.image" -}}
{{- printf "%s:%s" .Values.image (.Values.imageTag | default .Chart.AppVersion) }}
{{- end }}

{{/* Restricted-profile container securityContext. */}}
{{- define "credit-platform.containerSecurityContext" -}}
allowPrivilegeEscalation: false
privileged: false
readOnlyRootFilesystem: true
runAsNonRoot: true
capabilities:
  drop: ["ALL"]
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{/* Restricted-profile pod securityContext (the image's numeric non-root user). */}}
{{- define "credit-platform.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: 10001
runAsGroup: 10001
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{/* Rules the operator needs on CreditPipelines and their children (no wildcards). */}}
{{- define "credit-platform.pipelineRules" -}}
- apiGroups: ["creditplatform.dev"]
  resources: ["creditpipelines"]
  verbs: ["get", "list", "watch", "patch", "update"]
- apiGroups: ["creditplatform.dev"]
  resources: ["creditpipelines/status"]
  verbs: ["get", "patch", "update"]
- apiGroups: ["creditplatform.dev"]
  resources: ["creditpipelines/finalizers"]
  verbs: ["update"]
- apiGroups: [""]
  resources: ["configmaps", "secrets", "services", "serviceaccounts"]
  verbs: ["get", "list", "watch", "create", "patch", "delete"]
- apiGroups: ["apps"]
  resources: ["deployments", "statefulsets"]
  verbs: ["get", "list", "watch", "create", "patch", "delete"]
- apiGroups: ["batch"]
  resources: ["cronjobs", "jobs"]
  verbs: ["get", "list", "watch", "create", "patch", "delete"]
- apiGroups: ["networking.k8s.io"]
  resources: ["networkpolicies"]
  verbs: ["get", "list", "watch", "create", "patch", "delete"]
- apiGroups: ["policy"]
  resources: ["poddisruptionbudgets"]
  verbs: ["get", "list", "watch", "create", "patch", "delete"]
- apiGroups: ["kafka.strimzi.io"]
  resources: ["kafkatopics"]
  verbs: ["get", "list", "watch", "create", "patch", "delete"]
- apiGroups: ["monitoring.coreos.com"]
  resources: ["servicemonitors", "prometheusrules"]
  verbs: ["get", "list", "watch", "create", "patch", "delete"]
- apiGroups: ["events.k8s.io"]
  resources: ["events"]
  verbs: ["create", "patch"]
{{- end }}

{{/* NetworkPolicy egress rule to the cluster DNS pods. */}}
{{- define "credit-platform.dnsEgress" -}}
- to:
    - namespaceSelector:
        matchLabels:
          kubernetes.io/metadata.name: {{ .Values.networkPolicy.dnsNamespace }}
  ports:
    - { protocol: UDP, port: 53 }
    - { protocol: TCP, port: 53 }
{{- end }}
{{/* `to:` ipBlock peers of a non-empty list of CIDRs. */}}
{{- define "credit-platform.cidrPeers" -}}
to:
  {{- range . }}
  - ipBlock:
      cidr: {{ . }}
  {{- end }}
{{- end }}
