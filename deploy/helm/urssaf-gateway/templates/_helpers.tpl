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
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{- define "urssaf-gateway.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "urssaf-gateway.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* Image reference: [registry/]repository[:tag][@digest]; global.imageRegistry (set by
a parent chart or for a mirror) wins over image.registry. */}}
{{- define "urssaf-gateway.image" -}}
{{- $img := .Values.image }}
{{- $repo := $img.repository }}
{{- $registry := (.Values.global).imageRegistry | default $img.registry }}
{{- if $registry }}{{ $repo = printf "%s/%s" (trimSuffix "/" $registry) $repo }}{{ end }}
{{- if $img.digest }}
{{- if $img.tag }}{{ printf "%s:%s@%s" $repo $img.tag $img.digest }}{{ else }}{{ printf "%s@%s" $repo $img.digest }}{{ end }}
{{- else }}
{{- printf "%s:%s" $repo (default .Chart.AppVersion $img.tag) }}
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

{{/* Name of the Secret holding the demo tenant's generated credentials and key. */}}
{{- define "urssaf-gateway.demoSecretName" -}}
{{- printf "%s-demo" (include "urssaf-gateway.fullname" . | trunc 58 | trimSuffix "-") }}
{{- end }}

{{/* Name of the ConfigMap holding the `config` file. */}}
{{- define "urssaf-gateway.configFileName" -}}
{{- printf "%s-config" (include "urssaf-gateway.fullname" . | trunc 56 | trimSuffix "-") }}
{{- end }}

{{/* "true" when tenants come from `config` (config.tenants or config.tenants_dir). */}}
{{- define "urssaf-gateway.configTenants" -}}
{{- if or .Values.config.tenants .Values.config.tenants_dir .Values.tenantsDirectory.secrets }}true{{ end }}
{{- end }}

{{/* "true" when the chart makes the demo tenant: embedded, and no tenant anywhere. */}}
{{- define "urssaf-gateway.demoActive" -}}
{{- if and .Values.demo.enabled (eq .Values.upstream.environment "embedded") (not .Values.tenants) (not (include "urssaf-gateway.configTenants" .)) }}true{{ end }}
{{- end }}

{{/* "true" when some tenant talks to the in-process simulator (state lives in each pod). */}}
{{- define "urssaf-gateway.usesEmbedded" -}}
{{- $external := or .Values.upstream.baseUrl (and (kindIs "map" .Values.config.upstream) (get .Values.config.upstream "base_url")) }}
{{- $embedded := and (eq .Values.upstream.environment "embedded") (not $external) }}
{{- range $id, $t := .Values.tenants }}
{{- if eq ($t.environment | default "") "embedded" }}{{ $embedded = true }}{{ end }}
{{- end }}
{{- if $embedded }}true{{ end }}
{{- end }}

{{/*
Effective tenants, as YAML (read back with fromYaml): the values' tenants, or
the demo tenant. Each entry says where its secrets live:
  secretName, keys.{clientId,clientSecret,apiKeyHashes} (key names in it),
  clientId (literal, wins over the Secret), apiKeyHashes (from values).
*/}}
{{- define "urssaf-gateway.tenants" -}}
{{- $out := dict }}
{{- $chartSecret := include "urssaf-gateway.secretName" . }}
{{- range $id, $t := .Values.tenants }}
{{- $e := dict "billingId" ($t.billingId | default "") "workerId" ($t.workerId | default "") "environment" ($t.environment | default "") "apiKeyHashes" ($t.apiKeyHashes | default (list)) "clientId" "" "webhookUrl" ($t.webhookUrl | default "") }}
{{- if $t.existingSecret }}
{{- $keys := merge (dict) (deepCopy ($t.secretKeys | default (dict))) (deepCopy $.Values.tenantSecretKeys) }}
{{- $_ := set $e "secretName" $t.existingSecret }}
{{- $_ := set $e "keys" $keys }}
{{- $_ := set $e "clientId" ($t.clientId | default "") }}
{{- else }}
{{- $dns := include "urssaf-gateway.tenantDns" $id }}
{{- $_ := set $e "secretName" $chartSecret }}
{{- $_ := set $e "keys" (dict "clientId" (printf "%s-client-id" $dns) "clientSecret" (printf "%s-client-secret" $dns) "apiKeyHashes" "" "webhookSecret" (printf "%s-webhook-secret" $dns)) }}
{{- end }}
{{- $_ := set $out $id $e }}
{{- end }}
{{- if include "urssaf-gateway.demoActive" . }}
{{- $_ := set $out "demo" (dict "billingId" "demo" "workerId" "SAP123456789" "environment" "" "apiKeyHashes" (list) "clientId" "" "secretName" (include "urssaf-gateway.demoSecretName" .) "keys" (dict "clientId" "client_id" "clientSecret" "client_secret" "apiKeyHashes" "api_key_hashes")) }}
{{- end }}
{{- toYaml $out }}
{{- end }}

{{/*
Gateway settings set by named values, as YAML {section: {key: value}} in the
gateway's own names; null values are left to the gateway's defaults. Each
becomes GATEWAY__SECTION__KEY in the ConfigMap.
*/}}
{{- define "urssaf-gateway.namedSettings" -}}
{{- $v := .Values }}
{{- $s := dict }}
{{- $server := dict "port" $v.server.port "drain_seconds" $v.server.drainSeconds "shutdown_timeout_seconds" $v.server.shutdownTimeoutSeconds }}
{{- if $v.metrics.port }}{{ $_ := set $server "metrics_port" $v.metrics.port }}{{ end }}
{{- if not (kindIs "invalid" $v.server.workers) }}{{ $_ := set $server "workers" $v.server.workers }}{{ end }}
{{- if not (kindIs "invalid" $v.server.maxBodyBytes) }}{{ $_ := set $server "max_body_bytes" $v.server.maxBodyBytes }}{{ end }}
{{- $_ := set $s "server" $server }}
{{- $_ := set $s "log" (dict "format" $v.log.format "level" $v.log.level) }}
{{- $up := dict "environment" $v.upstream.environment }}
{{- if $v.upstream.baseUrl }}{{ $_ := set $up "base_url" $v.upstream.baseUrl }}{{ end }}
{{- if $v.upstream.tokenUrl }}{{ $_ := set $up "token_url" $v.upstream.tokenUrl }}{{ end }}
{{- range $name, $key := dict "tokenAuth" "token_auth" "connectTimeoutMs" "connect_timeout_ms" "timeoutMs" "timeout_ms" "tokenTimeoutMs" "token_timeout_ms" "maxRetries" "max_retries" }}
{{- $val := index $v.upstream $name }}
{{- if not (kindIs "invalid" $val) }}{{ $_ := set $up $key $val }}{{ end }}
{{- end }}
{{- $_ := set $s "upstream" $up }}
{{- $redis := dict }}
{{- range $name, $key := dict "mode" "mode" "sentinelMaster" "sentinel_master" "username" "username" "sentinelUsername" "sentinel_username" }}
{{- $val := index $v.redis $name }}
{{- if not (kindIs "invalid" $val) }}{{ $_ := set $redis $key $val }}{{ end }}
{{- end }}
{{- if and $v.redis.urls (not $v.redis.existingSecretUrlsKey) }}{{ $_ := set $redis "urls" (join "," $v.redis.urls) }}{{ end }}
{{- if not (kindIs "invalid" $v.redis.keyPrefix) }}{{ $_ := set $redis "key_prefix" $v.redis.keyPrefix }}{{ end }}
{{- if not (kindIs "invalid" $v.redis.timeoutMs) }}{{ $_ := set $redis "timeout_ms" $v.redis.timeoutMs }}{{ end }}
{{- if $redis }}{{ $_ := set $s "redis" $redis }}{{ end }}
{{- $idem := dict }}
{{- if not (kindIs "invalid" $v.idempotency.ttlSeconds) }}{{ $_ := set $idem "ttl_seconds" $v.idempotency.ttlSeconds }}{{ end }}
{{- if not (kindIs "invalid" $v.idempotency.inFlightTtlSeconds) }}{{ $_ := set $idem "in_flight_ttl_seconds" $v.idempotency.inFlightTtlSeconds }}{{ end }}
{{- if $idem }}{{ $_ := set $s "idempotency" $idem }}{{ end }}
{{- $limits := dict }}
{{- range $name, $key := dict "tenantConcurrency" "tenant_concurrency" "tenantRatePerSecond" "tenant_rate_per_second" "tenantBurst" "tenant_burst" "maxInvoicesPerSubmission" "max_invoices_per_submission" "maxSearchValues" "max_search_values" }}
{{- $val := index $v.limits $name }}
{{- if not (kindIs "invalid" $val) }}{{ $_ := set $limits $key $val }}{{ end }}
{{- end }}
{{- if $limits }}{{ $_ := set $s "limits" $limits }}{{ end }}
{{- $check := dict }}
{{- if not (kindIs "invalid" $v.check.intervalSeconds) }}{{ $_ := set $check "interval_seconds" $v.check.intervalSeconds }}{{ end }}
{{- if not (kindIs "invalid" $v.check.concurrency) }}{{ $_ := set $check "concurrency" $v.check.concurrency }}{{ end }}
{{- if $check }}{{ $_ := set $s "check" $check }}{{ end }}
{{- if not (kindIs "invalid" $v.metrics.perTenantLabels) }}{{ $_ := set $s "metrics" (dict "per_tenant_labels" $v.metrics.perTenantLabels) }}{{ end }}
{{- $events := dict }}
{{- range $name, $key := dict "enabled" "enabled" "pollIntervalSeconds" "poll_interval_seconds" "sweepIntervalSeconds" "sweep_interval_seconds" "lookbackDays" "lookback_days" "retentionDays" "retention_days" "allowPrivateTargets" "allow_private_targets" "webhookTimeoutSeconds" "webhook_timeout_seconds" "webhookMaxConcurrent" "webhook_max_concurrent" "maxWaitingPerTenant" "max_waiting_per_tenant" "memoryMaxEvents" "memory_max_events" "webhookMemoryMaxDeliveries" "webhook_memory_max_deliveries" }}
{{- $val := index $v.events $name }}
{{- if not (kindIs "invalid" $val) }}{{ $_ := set $events $key $val }}{{ end }}
{{- end }}
{{- if $events }}{{ $_ := set $s "events" $events }}{{ end }}
{{- if $v.admin.tokenHashes }}{{ $_ := set $s "admin" (dict "token_hashes" (join "," $v.admin.tokenHashes)) }}{{ end }}
{{- toYaml $s }}
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

{{/* "true" when more than one pod is guaranteed. */}}
{{- define "urssaf-gateway.multiPod" -}}
{{- if .Values.autoscaling.enabled }}
{{- if gt (int .Values.autoscaling.minReplicas) 1 }}true{{ end }}
{{- else if gt (int .Values.replicaCount) 1 }}true{{ end }}
{{- end }}

{{/* "true" when Redis is configured (by named values or `config`). */}}
{{- define "urssaf-gateway.hasRedis" -}}
{{- $cfg := .Values.config.redis | default (dict) }}
{{- if or .Values.redis.url .Values.redis.existingSecret .Values.redis.urls (and (kindIs "map" $cfg) (or (get $cfg "urls") (get $cfg "mode"))) }}true{{ end }}
{{- end }}

{{/*
Walks `config` and fails on keys that hold secrets: they would sit in a
ConfigMap. Called with (dict "v" value "path" "config").
*/}}
{{- define "urssaf-gateway.checkConfigSecrets" -}}
{{- $path := .path }}
{{- if kindIs "map" .v }}
{{- range $k, $val := .v }}
{{- $p := printf "%s.%s" $path $k }}
{{- $secretish := and (regexMatch "(?i)(secret|password|passwd|encryption_key)" $k) (not (regexMatch "(?i)(_file|_dir|_hashes)$" $k)) }}
{{- if or $secretish (regexMatch "^config\\.redis\\.urls?$" $p) }}
{{- fail (printf "%s: secrets do not belong in `config` (it is a ConfigMap); use the chart's Secret-backed values (tenants.*.existingSecret, redis.existingSecret, tokenEncryption.existingSecret) or extraEnv with secretKeyRef" $p) }}
{{- end }}
{{- include "urssaf-gateway.checkConfigSecrets" (dict "v" $val "path" $p) }}
{{- end }}
{{- else if kindIs "slice" .v }}
{{- range $i, $val := .v }}
{{- include "urssaf-gateway.checkConfigSecrets" (dict "v" $val "path" (printf "%s[%d]" $path $i)) }}
{{- end }}
{{- end }}
{{- end }}

{{/* Cross-field checks that a JSON schema cannot express. */}}
{{- define "urssaf-gateway.validate" -}}
{{- $v := .Values }}
{{- $budget := add (int $v.lifecycle.preStopSleepSeconds) (int $v.server.drainSeconds) (int $v.server.shutdownTimeoutSeconds) }}
{{- if le (int $v.terminationGracePeriodSeconds) (int $budget) }}
{{- fail (printf "terminationGracePeriodSeconds (%d) must be greater than lifecycle.preStopSleepSeconds + server.drainSeconds + server.shutdownTimeoutSeconds (%d), or Kubernetes kills in-flight requests" (int $v.terminationGracePeriodSeconds) (int $budget)) }}
{{- end }}
{{- if and (ne $v.upstream.environment "embedded") (not $v.tenants) (not (include "urssaf-gateway.configTenants" .)) }}
{{- fail (printf "upstream.environment is %q: declare at least one tenant under `tenants` (or config.tenants_dir), or use environment embedded" $v.upstream.environment) }}
{{- end }}
{{- if and (include "urssaf-gateway.usesEmbedded" .) (or $v.autoscaling.enabled (gt (int $v.replicaCount) 1)) }}
{{- fail "upstream.environment embedded runs the Urssaf simulator inside each pod (its clients, payment requests and tokens are per pod): set replicaCount 1 and autoscaling.enabled false, or use sandbox/production with Redis for several replicas" }}
{{- end }}
{{- if and $v.admin.tokenHashes (not $v.metrics.port) }}
{{- fail "admin.tokenHashes: the admin view is served on the metrics port only: set metrics.port" }}
{{- end }}
{{- if and $v.tenantsDirectory.secrets (kindIs "map" $v.config) (hasKey $v.config "tenants_dir") }}
{{- fail "config.tenants_dir and tenantsDirectory.secrets: the gateway reads one tenants directory; keep tenantsDirectory" }}
{{- end }}
{{- if and $v.metrics.port (eq (int $v.metrics.port) (int $v.server.port)) }}
{{- fail "metrics.port must differ from server.port (set metrics.port to null to serve /metrics on the HTTP port)" }}
{{- end }}
{{- if and $v.autoscaling.enabled (gt (int $v.autoscaling.minReplicas) (int $v.autoscaling.maxReplicas)) }}
{{- fail "autoscaling.minReplicas must not exceed autoscaling.maxReplicas" }}
{{- end }}
{{- $r := $v.redis }}
{{- $mode := $r.mode | default "standalone" }}
{{- $oneUrl := or $r.url (and $r.existingSecret (not $r.existingSecretUrlsKey)) }}
{{- $manyUrls := or $r.urls $r.existingSecretUrlsKey }}
{{- if and $oneUrl $r.urls }}
{{- fail "redis.urls and redis.url (or redis.existingSecret with existingSecretKey): set one (the gateway takes either GATEWAY__REDIS__URL or GATEWAY__REDIS__URLS)" }}
{{- end }}
{{- if and $r.existingSecretUrlsKey (not $r.existingSecret) }}
{{- fail "redis.existingSecretUrlsKey names a key of redis.existingSecret: set redis.existingSecret too" }}
{{- end }}
{{- if and (ne $mode "standalone") (not (or $oneUrl $manyUrls)) }}
{{- fail (printf "redis.mode is %s: list the nodes in redis.urls (or a Secret key with redis.existingSecretUrlsKey)" $mode) }}
{{- end }}
{{- if and (eq $mode "sentinel") (not $r.sentinelMaster) }}
{{- fail "redis.mode is sentinel: set redis.sentinelMaster, the name the sentinels monitor the master under" }}
{{- end }}
{{- if and (ne $mode "sentinel") (or $r.sentinelMaster $r.sentinelUsername $r.sentinelPasswordSecret.name) }}
{{- fail "redis.sentinelMaster, sentinelUsername and sentinelPasswordSecret are for redis.mode sentinel only" }}
{{- end }}
{{- range $id, $t := (include "urssaf-gateway.tenants" . | fromYaml) }}
{{- if and (not $t.apiKeyHashes) (not $t.keys.apiKeyHashes) }}
{{- fail (printf "tenants.%s: no API key can act for it: set apiKeyHashes, or secretKeys.apiKeyHashes (a key of existingSecret holding comma-separated hashes)" $id) }}
{{- end }}
{{- end }}
{{- range $section, $keys := (include "urssaf-gateway.namedSettings" . | fromYaml) }}
{{- $cfg := get $v.config $section }}
{{- if kindIs "map" $cfg }}
{{- range $key, $_ := $keys }}
{{- if hasKey $cfg $key }}
{{- fail (printf "config.%s.%s is also set by a named value (environment variables win over the config file): set it in one place only, preferably the named value (see values.yaml)" $section $key) }}
{{- end }}
{{- end }}
{{- end }}
{{- end }}
{{- if kindIs "map" $v.config.tenants }}
{{- range $id, $_ := $v.config.tenants }}
{{- if hasKey $v.tenants $id }}
{{- fail (printf "tenant %s is declared both in `tenants` and in `config.tenants`: keep one" $id) }}
{{- end }}
{{- end }}
{{- end }}
{{- include "urssaf-gateway.checkConfigSecrets" (dict "v" $v.config "path" "config") }}
{{- end }}

{{/* Container env entries (secrets by reference only); empty when none. */}}
{{- define "urssaf-gateway.env" -}}
{{- $secretName := include "urssaf-gateway.secretName" . }}
{{- if .Values.config }}
- name: GATEWAY_CONFIG
  value: /etc/urssaf-gateway/config.yaml
{{- end }}
{{- if and .Values.redis.existingSecret .Values.redis.existingSecretUrlsKey }}
- name: GATEWAY__REDIS__URLS
  valueFrom:
    secretKeyRef:
      name: {{ .Values.redis.existingSecret }}
      key: {{ .Values.redis.existingSecretUrlsKey }}
{{- else if .Values.redis.existingSecret }}
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
{{- with .Values.redis.passwordSecret }}{{ if .name }}
- name: GATEWAY__REDIS__PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ .name }}
      key: {{ .key }}
{{- end }}{{ end }}
{{- with .Values.redis.sentinelPasswordSecret }}{{ if .name }}
- name: GATEWAY__REDIS__SENTINEL_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ .name }}
      key: {{ .key }}
{{- end }}{{ end }}
{{- if .Values.tokenEncryption.existingSecret }}
- name: GATEWAY__TOKEN__ENCRYPTION_KEY
  valueFrom:
    secretKeyRef:
      name: {{ .Values.tokenEncryption.existingSecret }}
      key: {{ .Values.tokenEncryption.existingSecretKey }}
{{- end }}
{{- range $id, $t := (include "urssaf-gateway.tenants" . | fromYaml) }}
{{- if not $t.clientId }}
- name: {{ include "urssaf-gateway.tenantEnv" $id }}__CLIENT_ID
  valueFrom:
    secretKeyRef:
      name: {{ $t.secretName }}
      key: {{ $t.keys.clientId }}
{{- end }}
{{- if $t.keys.apiKeyHashes }}
- name: {{ include "urssaf-gateway.tenantEnv" $id }}__API_KEY_HASHES
  valueFrom:
    secretKeyRef:
      name: {{ $t.secretName }}
      key: {{ $t.keys.apiKeyHashes }}
{{- end }}
{{- end }}
{{- with .Values.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end }}
