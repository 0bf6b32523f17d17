{{/* Chart name, truncated to the 63 characters DNS labels allow. */}}
{{- define "urssaf-gateway.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Full name: <release>-<chart>, or the release name when it already contains the chart name. */}}
{{- define "urssaf-gateway.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "urssaf-gateway.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "urssaf-gateway.selectorLabels" -}}
app.kubernetes.io/name: {{ include "urssaf-gateway.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "urssaf-gateway.labels" -}}
helm.sh/chart: {{ include "urssaf-gateway.chart" . }}
{{ include "urssaf-gateway.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/component: gateway
app.kubernetes.io/part-of: urssaf-gateway
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "urssaf-gateway.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "urssaf-gateway.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "urssaf-gateway.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/* Upper-case tenant id as used in GATEWAY__TENANTS__<ID>__* env var names. */}}
{{- define "urssaf-gateway.tenantEnv" -}}
{{- printf "GATEWAY__TENANTS__%s" (upper .) }}
{{- end }}

{{/* DNS-safe form of a tenant id (volume names, secret keys). */}}
{{- define "urssaf-gateway.tenantDns" -}}
{{- . | replace "_" "-" }}
{{- end }}

{{/* Directory where a tenant's Secret is mounted. */}}
{{- define "urssaf-gateway.tenantSecretDir" -}}
{{- printf "/var/run/secrets/urssaf/%s" . }}
{{- end }}

{{/* Name of the Secret the chart creates (inline tenant credentials, Redis URL). */}}
{{- define "urssaf-gateway.secretName" -}}
{{- include "urssaf-gateway.fullname" . }}
{{- end }}

{{/* "true" when the chart must create its own Secret. */}}
{{- define "urssaf-gateway.needsSecret" -}}
{{- $needs := false }}
{{- if and .Values.redis.url (not .Values.redis.existingSecret) }}{{ $needs = true }}{{ end }}
{{- range $id, $t := .Values.tenants }}
{{- if not $t.existingSecret }}{{ $needs = true }}{{ end }}
{{- end }}
{{- if $needs }}true{{ end }}
{{- end }}

{{/* "true" when more than one pod is guaranteed (PDB is safe). */}}
{{- define "urssaf-gateway.multiPod" -}}
{{- if .Values.autoscaling.enabled }}
{{- if gt (int .Values.autoscaling.minReplicas) 1 }}true{{ end }}
{{- else if gt (int .Values.replicaCount) 1 }}true{{ end }}
{{- end }}

{{/* Cross-field checks that a JSON schema cannot express. */}}
{{- define "urssaf-gateway.validate" -}}
{{- $budget := add (int .Values.lifecycle.preStopSleepSeconds) (int .Values.server.drainSeconds) (int .Values.server.shutdownTimeoutSeconds) }}
{{- if le (int .Values.terminationGracePeriodSeconds) (int $budget) }}
{{- fail (printf "terminationGracePeriodSeconds (%d) must be greater than lifecycle.preStopSleepSeconds + server.drainSeconds + server.shutdownTimeoutSeconds (%d), or Kubernetes kills in-flight requests" (int .Values.terminationGracePeriodSeconds) (int $budget)) }}
{{- end }}
{{- if and (ne .Values.upstream.environment "embedded") (not .Values.tenants) }}
{{- fail (printf "upstream.environment is %q: declare at least one tenant under `tenants` (or use environment embedded)" .Values.upstream.environment) }}
{{- end }}
{{- if and .Values.metrics.port (eq (int .Values.metrics.port) (int .Values.server.port)) }}
{{- fail "metrics.port must differ from server.port (set metrics.port to null to serve /metrics on the HTTP port)" }}
{{- end }}
{{- if and .Values.autoscaling.enabled (gt (int .Values.autoscaling.minReplicas) (int .Values.autoscaling.maxReplicas)) }}
{{- fail "autoscaling.minReplicas must not exceed autoscaling.maxReplicas" }}
{{- end }}
{{- end }}

{{/* Container env entries (secrets by reference only); empty when none. */}}
{{- define "urssaf-gateway.env" -}}
{{- $secretName := include "urssaf-gateway.secretName" . }}
{{- if .Values.redis.existingSecret }}
- name: GATEWAY__REDIS__URL
  valueFrom:
    secretKeyRef:
      name: {{ .Values.redis.existingSecret }}
      key: {{ .Values.redis.existingSecretKey }}
{{- else if .Values.redis.url }}
- name: GATEWAY__REDIS__URL
  valueFrom:
    secretKeyRef:
      name: {{ $secretName }}
      key: redis-url
{{- end }}
{{- if .Values.tokenEncryption.existingSecret }}
- name: GATEWAY__TOKEN__ENCRYPTION_KEY
  valueFrom:
    secretKeyRef:
      name: {{ .Values.tokenEncryption.existingSecret }}
      key: {{ .Values.tokenEncryption.existingSecretKey }}
{{- end }}
{{- range $id, $t := .Values.tenants }}
{{- if not $t.existingSecret }}
- name: {{ include "urssaf-gateway.tenantEnv" $id }}__CLIENT_ID
  valueFrom:
    secretKeyRef:
      name: {{ $secretName }}
      key: {{ include "urssaf-gateway.tenantDns" $id }}-client-id
{{- else if not $t.clientId }}
- name: {{ include "urssaf-gateway.tenantEnv" $id }}__CLIENT_ID
  valueFrom:
    secretKeyRef:
      name: {{ $t.existingSecret }}
      key: client_id
{{- end }}
{{- end }}
{{- with .Values.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end }}
