{{/* Resource name prefix: release-chart, at most 63 characters. */}}
{{- define "graph-olap.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* Labels on every object. */}}
{{- define "graph-olap.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
app.kubernetes.io/part-of: graph-olap
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{/* Selector of one component: include with (dict "ctx" $ "component" "control-plane"). */}}
{{- define "graph-olap.selector" -}}
app.kubernetes.io/name: graph-olap
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{/* Labels of a component's objects beyond graph-olap.labels (which already carries the
     instance label): with both, the object carries its selector's labels exactly once. */}}
{{- define "graph-olap.componentLabels" -}}
app.kubernetes.io/name: graph-olap
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "graph-olap.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}

{{- define "graph-olap.secretName" -}}
{{ .Values.secrets.existingSecret | default (printf "%s-secrets" (include "graph-olap.fullname" .)) }}
{{- end -}}

{{- define "graph-olap.instancesNamespace" -}}
{{ .Values.instances.namespace | default .Release.Namespace }}
{{- end -}}

{{- define "graph-olap.controlPlaneUrl" -}}
http://{{ include "graph-olap.fullname" . }}.{{ .Release.Namespace }}.svc.{{ .Values.instances.clusterDomain }}:{{ .Values.service.port }}
{{- end -}}

{{/* The container security context shared by every container. */}}
{{- define "graph-olap.securityContext" -}}
runAsNonRoot: {{ .Values.securityContext.runAsNonRoot }}
runAsUser: {{ .Values.securityContext.runAsUser }}
runAsGroup: {{ .Values.securityContext.runAsGroup }}
allowPrivilegeEscalation: {{ .Values.securityContext.allowPrivilegeEscalation }}
readOnlyRootFilesystem: {{ .Values.securityContext.readOnlyRootFilesystem }}
capabilities:
  {{- toYaml .Values.securityContext.capabilities | nindent 2 }}
seccompProfile:
  {{- toYaml .Values.securityContext.seccompProfile | nindent 2 }}
{{- end -}}

{{/* Environment shared by the control plane and the workers. */}}
{{- define "graph-olap.commonEnv" -}}
- name: GRAPH_OLAP_INTERNAL_API_KEY
  valueFrom:
    secretKeyRef: {name: {{ include "graph-olap.secretName" . }}, key: internal-api-key}
- name: GRAPH_OLAP_WAREHOUSE_URL
  value: {{ required "config.warehouseUrl is required" .Values.config.warehouseUrl | quote }}
- name: GRAPH_OLAP_STORAGE_ROOT
  value: {{ required "config.storageRoot is required" .Values.config.storageRoot | quote }}
{{- end -}}
