{{/* charts/paas/templates/_helpers.tpl — names, labels, URLs and pod settings shared by the templates. */}}

{{/* The prefix of every object: the release name (or fullnameOverride), cut to leave room for suffixes. */}}
{{- define "paas.fullname" -}}
{{- default .Release.Name .Values.fullnameOverride | trunc 40 | trimSuffix "-" -}}
{{- end -}}

{{- define "paas.selectorLabels" -}}
app.kubernetes.io/name: paas
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "paas.labels" -}}
{{ include "paas.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "paas.image" -}}
{{ .Values.image.repository }}:{{ default .Chart.AppVersion .Values.image.tag }}
{{- end -}}

{{/* The platform's web host: ingress.host, or paas.<baseDomain>. */}}
{{- define "paas.webHost" -}}
{{ default (printf "paas.%s" .Values.baseDomain) .Values.ingress.host }}
{{- end -}}

{{- define "paas.databaseUrl" -}}
{{- if .Values.postgresql.enabled -}}
{{ printf "postgres://%s:%s@%s-postgresql:5432/%s" .Values.postgresql.auth.username (required "postgresql.auth.password is required when postgresql.enabled" .Values.postgresql.auth.password) .Release.Name .Values.postgresql.auth.database }}
{{- else -}}
{{ required "Set database.url (an external PostgreSQL), database.existingSecret, or postgresql.enabled=true" .Values.database.url }}
{{- end -}}
{{- end -}}

{{- define "paas.natsUrl" -}}
{{- if .Values.nats.enabled -}}
{{ printf "nats://%s-nats:4222" .Release.Name }}
{{- else -}}
{{ required "Set natsUrl (an external NATS with JetStream) or nats.enabled=true" .Values.natsUrl }}
{{- end -}}
{{- end -}}

{{/* The name of the Secret holding DATABASE_URL: the chart's, or database.existingSecret. */}}
{{- define "paas.databaseSecret" -}}
{{ default (printf "%s-database" (include "paas.fullname" .)) .Values.database.existingSecret }}
{{- end -}}

{{/* What every platform container shares: the settings ConfigMap, NATS_URL and DATABASE_URL from Secrets. */}}
{{- define "paas.containerEnv" -}}
envFrom:
  - configMapRef:
      name: {{ include "paas.fullname" . }}-settings
env:
  - name: NATS_URL
    valueFrom:
      secretKeyRef:
        name: {{ include "paas.fullname" . }}-nats
        key: NATS_URL
  - name: DATABASE_URL
    valueFrom:
      secretKeyRef:
        name: {{ include "paas.databaseSecret" . }}
        key: {{ .Values.database.existingSecretKey }}
{{- if or .Values.metrics.token .Values.metrics.existingSecret }}
  - name: PAAS_METRICS_TOKEN
    valueFrom:
      secretKeyRef:
        name: {{ include "paas.metricsSecret" . }}
        key: {{ .Values.metrics.existingSecretKey }}
{{- end }}
{{- if .Values.tracing.otlpEndpoint }}
  - name: OTEL_EXPORTER_OTLP_ENDPOINT
    value: {{ .Values.tracing.otlpEndpoint | quote }}
{{- end }}
{{- end -}}

{{/* The Secret that holds PAAS_METRICS_TOKEN: the operator's, or the chart's (metrics.yaml). */}}
{{- define "paas.metricsSecret" -}}
{{- if .Values.metrics.existingSecret }}{{ .Values.metrics.existingSecret }}{{ else }}{{ include "paas.fullname" . }}-metrics{{ end }}
{{- end -}}

{{/* Pods restart when the settings or the URLs change. */}}
{{- define "paas.podAnnotations" -}}
checksum/settings: {{ include (print $.Template.BasePath "/settings.yaml") . | sha256sum }}
checksum/secrets: {{ include (print $.Template.BasePath "/secrets.yaml") . | sha256sum }}
{{- end -}}

{{/* Pod-level settings of the platform's pods: non-root (the image's node user), the shared volume writable. */}}
{{- define "paas.podSecurity" -}}
securityContext:
  runAsNonRoot: true
  runAsUser: 1000
  runAsGroup: 1000
  fsGroup: 1000
  seccompProfile:
    type: RuntimeDefault
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}

{{- define "paas.containerSecurity" -}}
securityContext:
  allowPrivilegeEscalation: false
  capabilities:
    drop: [ALL]
{{- end -}}

{{/* The shared data volume, mounted at PAAS_DATA_DIR. */}}
{{- define "paas.dataVolume" -}}
volumes:
  - name: data
    persistentVolumeClaim:
      claimName: {{ include "paas.fullname" . }}-data
{{- end -}}

{{/* With a ReadWriteOnce volume, web and the controller run on gitd's node (the volume attaches to one node). */}}
{{- define "paas.colocate" -}}
{{- if .Values.persistence.colocate -}}
affinity:
  podAffinity:
    requiredDuringSchedulingIgnoredDuringExecution:
      - topologyKey: kubernetes.io/hostname
        labelSelector:
          matchLabels:
            {{- include "paas.selectorLabels" . | nindent 12 }}
            app.kubernetes.io/component: gitd
{{- end }}
{{- end -}}

{{/* The namespace build Jobs run in: builds.namespace, or <release namespace>-builds. */}}
{{- define "paas.buildNamespace" -}}
{{ default (printf "%s-builds" .Release.Namespace) .Values.builds.namespace }}
{{- end -}}
