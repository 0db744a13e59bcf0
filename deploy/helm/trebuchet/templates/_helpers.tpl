{{/* Names, labels and values shared by the templates. */}}

{{- define "trebuchet.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "trebuchet.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else if contains (include "trebuchet.name" .) .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name (include "trebuchet.name" .) | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}

{{/* Labels on every object; pass (dict "root" $ "component" "scheduler"). */}}
{{- define "trebuchet.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version | replace "+" "_" }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
{{ include "trebuchet.selectorLabels" . }}
{{- end }}

{{- define "trebuchet.selectorLabels" -}}
app.kubernetes.io/name: {{ include "trebuchet.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
{{- if .component }}
app.kubernetes.io/component: {{ .component }}
{{- end }}
{{- end }}

{{- define "trebuchet.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{- define "trebuchet.authSecretName" -}}
{{- default (printf "%s-auth" (include "trebuchet.fullname" .)) .Values.auth.existingSecret }}
{{- end }}

{{/* Whether the scheduler reads a users file: any users given, or a Secret of your own. */}}
{{- define "trebuchet.usersFile" -}}
{{- if or .Values.auth.existingSecret .Values.auth.users (not .Values.auth.allowUnauthenticated) }}true{{ end }}
{{- end }}

{{/* The scheduler's port speaks TLS with either certificate (docs/security.md). */}}
{{- define "trebuchet.schedulerScheme" -}}
{{- if or .Values.tls.secretName .Values.clusterTls.secretName }}HTTPS{{ else }}HTTP{{ end }}
{{- end }}

{{- define "trebuchet.schedulerUrl" -}}
{{- printf "%s://%s-scheduler:%v" (ternary "https" "http" (not (empty .Values.clusterTls.secretName))) (include "trebuchet.fullname" .) .Values.scheduler.service.port }}
{{- end }}

{{/* The executor's requests and limits: one task slot's cpu per task, the pool plus overhead. */}}
{{- define "trebuchet.executorResources" -}}
{{- if .Values.executor.resources }}
{{- toYaml .Values.executor.resources }}
{{- else }}
{{- $cpu := printf "%dm" (mul .Values.executor.concurrentTasks .Values.executor.cpuMillisPerTask) }}
{{- $memory := printf "%dMi" (add .Values.executor.memoryPoolMiB .Values.executor.memoryOverheadMiB) }}
requests:
  cpu: {{ $cpu }}
  memory: {{ $memory }}
limits:
  cpu: {{ $cpu }}
  memory: {{ $memory }}
{{- end }}
{{- end }}

{{/* Object store variables and shared-data mounts, the same in scheduler and executors. */}}
{{- define "trebuchet.objectStoreEnv" -}}
{{- range $name, $value := .Values.objectStore.env }}
- name: {{ $name }}
  value: {{ $value | quote }}
{{- end }}
{{- end }}

{{- define "trebuchet.objectStoreEnvFrom" -}}
{{- if .Values.objectStore.credentialsSecret }}
envFrom:
  - secretRef:
      name: {{ .Values.objectStore.credentialsSecret }}
{{- end }}
{{- end }}

{{- define "trebuchet.clusterTlsArgs" -}}
{{- if .Values.clusterTls.secretName }}
- --cluster-tls-cert=/etc/trebuchet/cluster-tls/tls.crt
- --cluster-tls-key=/etc/trebuchet/cluster-tls/tls.key
- --cluster-ca=/etc/trebuchet/cluster-tls/ca.crt
{{- end }}
{{- end }}

{{/* Refuses values the processes would refuse, with the reason, before anything is applied. */}}
{{- define "trebuchet.validate" -}}
{{- $tasks := int .Values.executor.concurrentTasks }}
{{- if lt $tasks 1 }}
{{- fail "executor.concurrentTasks must be at least 1" }}
{{- end }}
{{- if lt (int .Values.executor.memoryPoolMiB) 1 }}
{{- fail "executor.memoryPoolMiB must be at least 1: executor pods need a bounded memory pool" }}
{{- end }}
{{- if not (has .Values.schedulerPolicy (list "pull-staged" "push-staged")) }}
{{- fail (printf "schedulerPolicy must be pull-staged or push-staged, not %q" .Values.schedulerPolicy) }}
{{- end }}
{{- if and .Values.tls.secretName (not .Values.clusterTls.secretName) }}
{{- fail "tls.secretName needs clusterTls.secretName: executors reach a TLS scheduler only with cluster TLS (docs/security.md)" }}
{{- end }}
{{- if and .Values.sharedData.enabled (not .Values.sharedData.claimName) }}
{{- fail "sharedData.enabled needs sharedData.claimName: a ReadWriteMany PersistentVolumeClaim" }}
{{- end }}
{{- end }}
