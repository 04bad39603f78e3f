{{/* Names, labels and the pieces every workload shares. */}}

{{- define "hearth.fullname" -}}
hearth-{{ . }}
{{- end -}}

{{- define "hearth.labels" -}}
app.kubernetes.io/instance: {{ .Release.Name }}
{{ include "hearth.commonLabels" . }}
{{- end -}}

{{/* Beside hearth.selectorLabels, which names the instance itself. */}}
{{- define "hearth.commonLabels" -}}
app.kubernetes.io/name: hearth
app.kubernetes.io/part-of: hearth
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ .Chart.Name }}-{{ .Chart.Version | replace "+" "_" }}
app.kubernetes.io/version: {{ include "hearth.tag" . | quote }}
{{- end -}}

{{/* Selects one process of one deployable: (dict "root" $ "name" "accounts" "process" "web"). */}}
{{- define "hearth.selectorLabels" -}}
app.kubernetes.io/instance: {{ .root.Release.Name }}
hearth.io/deployable: {{ .name }}
app.kubernetes.io/component: {{ .process }}
{{- end -}}

{{/* What the data tier's network policies admit: one label per store the deployable uses. */}}
{{- define "hearth.storeClientLabels" -}}
{{- range $index, $store := .stores }}
{{- if $index }}{{ "\n" }}{{ end -}}
hearth.io/{{ $store }}-client: "true"
{{- end }}
{{- end -}}

{{- define "hearth.tag" -}}
{{- .Values.image.tag | default .Chart.AppVersion -}}
{{- end -}}

{{- define "hearth.image" -}}
{{ .root.Values.image.registry }}/hearth-{{ .name }}:{{ include "hearth.tag" .root }}
{{- end -}}

{{/* A process's replicas and resources: its kind's defaults, then the deployable's overrides. */}}
{{- define "hearth.processSettings" -}}
{{- $defaults := index .root.Values.processes .process -}}
{{- $overrides := dig .name .process (dict) .root.Values.processOverrides -}}
{{- mergeOverwrite (deepCopy $defaults) $overrides | toYaml -}}
{{- end -}}

{{/* Non-secret settings of a deployable (config/settings/base.py reads each name). */}}
{{- define "hearth.configEnv" -}}
{{- $root := .root -}}
{{- $d := index $root.Values.deployables .name -}}
{{- $data := $root.Values.dataTier -}}
{{- $hosts := $root.Values.ingress.hosts -}}
HEARTH_ENV: production
HEARTH_PUBLIC_URL: {{ $root.Values.publicUrl | quote }}
DJANGO_ALLOWED_HOSTS: {{ join "," $hosts | quote }}
DJANGO_CSRF_TRUSTED_ORIGINS: {{ $origins := list }}{{ range $hosts }}{{ $origins = append $origins (printf "https://%s" .) }}{{ end }}{{ join "," $origins | quote }}
HEARTH_MAX_BODY_BYTES: {{ int $root.Values.ingress.bodyLimitBytes | quote }}
# Its token keys: its own private key and everyone's public keys (Secret hearth-<name>-jwt).
HEARTH_JWT_KEY_DIR: /var/run/secrets/hearth/jwt
GUNICORN_WORKERS: {{ $root.Values.processes.web.gunicornWorkers | quote }}
GUNICORN_THREADS: {{ $root.Values.processes.web.gunicornThreads | quote }}
{{- if eq $data.mode "inCluster" }}
DATABASE_HOST: {{ $data.inCluster.release }}-postgres
DATABASE_PORT: "5432"
DATABASE_NAME: hearth
{{- else }}
DATABASE_HOST: {{ required "dataTier.external.postgres.host is required in external mode" $data.external.postgres.host | quote }}
DATABASE_PORT: {{ $data.external.postgres.port | quote }}
DATABASE_NAME: {{ $data.external.postgres.database | quote }}
{{- end }}
{{- if has "kafka" $d.stores }}
{{- if eq $data.mode "inCluster" }}
KAFKA_BOOTSTRAP_SERVERS: {{ $data.inCluster.release }}-kafka:9092
KAFKA_SECURITY_PROTOCOL: {{ $data.inCluster.kafkaSecurityProtocol }}
{{- else }}
KAFKA_BOOTSTRAP_SERVERS: {{ required "dataTier.external.kafka.bootstrapServers is required in external mode" $data.external.kafka.bootstrapServers | quote }}
KAFKA_SECURITY_PROTOCOL: {{ $data.external.kafka.securityProtocol }}
{{- end }}
KAFKA_SASL_MECHANISM: {{ $root.Values.kafka.saslMechanism }}
KAFKA_TOPIC_PARTITIONS: {{ $root.Values.kafka.topicPartitions | quote }}
KAFKA_REPLICATION_FACTOR: {{ $root.Values.kafka.replicationFactor | quote }}
KAFKA_MIN_INSYNC_REPLICAS: {{ $root.Values.kafka.minInsyncReplicas | quote }}
{{- end }}
{{- if and (eq $data.mode "inCluster") $data.inCluster.redisSentinel }}
REDIS_SENTINELS: {{ $data.inCluster.release }}-redis-sentinel:26379
REDIS_SENTINEL_MASTER: hearth
{{- end }}
{{- if has "smtp" $d.stores }}
{{- /* Mail may leave through an external provider even beside an in-cluster data tier. */}}
{{- if and (eq $data.mode "inCluster") (not $data.external.smtp.host) }}
EMAIL_HOST: {{ $data.inCluster.release }}-smtp
EMAIL_PORT: "1025"
{{- else }}
EMAIL_HOST: {{ required "dataTier.external.smtp.host is required in external mode" $data.external.smtp.host | quote }}
EMAIL_PORT: {{ $data.external.smtp.port | quote }}
{{- end }}
DEFAULT_FROM_EMAIL: {{ $root.Values.email.from | quote }}
{{- end }}
{{- if has "objectstorage" $d.stores }}
{{- $os := $root.Values.objectStorage }}
OBJECT_STORAGE_BUCKET: {{ $os.bucket | quote }}
{{- if eq $os.mode "inCluster" }}
OBJECT_STORAGE_ENDPOINT_URL: http://{{ $os.inCluster.release }}-seaweedfs-s3:8333
OBJECT_STORAGE_ADDRESSING_STYLE: path
# The Ingress's /media/ route (ingress.yaml) serves the bucket's media/ prefix.
PHOTOS_PUBLIC_URL: {{ printf "%s/media" (trimSuffix "/" $root.Values.publicUrl) | quote }}
{{- else }}
{{- /* No endpoint: AWS's own, by region; bucket names as host names. */}}
OBJECT_STORAGE_REGION: {{ required "objectStorage.external.region is required in external mode" $os.external.region | quote }}
OBJECT_STORAGE_ADDRESSING_STYLE: virtual
PHOTOS_PUBLIC_URL: {{ required "objectStorage.external.publicUrl is required in external mode (the CDN in front of the bucket's media/)" $os.external.publicUrl | trimSuffix "/" | quote }}
{{- end }}
{{- end }}
{{- /* Only payments' settings read the provider's (config/settings/payments.py). */}}
{{- if eq .name "payments" }}
{{- with $root.Values.paymentProvider }}
STRIPE_API_BASE: {{ .apiBase | default "https://api.stripe.com" | quote }}
STRIPE_MOCK: {{ ternary "true" "false" .mock | quote }}
{{- if .proxy }}
STRIPE_PROXY: {{ .proxy | quote }}
{{- end }}
{{- end }}
{{- end }}
{{- with $root.Values.observability.tracing }}
{{- if .zipkinEndpoint }}
OTEL_EXPORTER_ZIPKIN_ENDPOINT: {{ .zipkinEndpoint | quote }}
OTEL_TRACES_SAMPLER_ARG: {{ .samplerRatio | quote }}
HEARTH_TRACE_KEEP_SLOW_MS: {{ int .keepSlowMs | quote }}
{{- end }}
{{- end }}
# Its own Service (which also admits that name in ALLOWED_HOSTS) and its callees'.
{{- $urls := uniq (prepend $d.calls .name) }}
{{- range $urls }}
{{ upper . }}_URL: http://hearth-{{ . }}:8000
{{- end }}
{{- range $key, $value := $d.env }}
{{ $key }}: {{ $value | quote }}
{{- end }}
{{- end -}}

{{- define "hearth.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: {{ .Values.podSecurity.uid }}
runAsGroup: {{ .Values.podSecurity.gid }}
fsGroup: {{ .Values.podSecurity.gid }}
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{- define "hearth.containerSecurityContext" -}}
runAsNonRoot: true
runAsUser: {{ .Values.podSecurity.uid }}
runAsGroup: {{ .Values.podSecurity.gid }}
readOnlyRootFilesystem: true
allowPrivilegeEscalation: false
privileged: false
capabilities:
  drop: [ALL]
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/* Zone first, then node: a zone lost takes at most its share of replicas. */}}
{{- define "hearth.topologySpread" -}}
{{- $p := .root.Values.placement -}}
- topologyKey: topology.kubernetes.io/zone
  maxSkew: {{ $p.zoneSkew }}
  whenUnsatisfiable: {{ $p.zoneWhenUnsatisfiable }}
  labelSelector:
    matchLabels:
      {{- include "hearth.selectorLabels" . | nindent 6 }}
  matchLabelKeys: [pod-template-hash]
- topologyKey: kubernetes.io/hostname
  maxSkew: {{ $p.hostSkew }}
  whenUnsatisfiable: {{ $p.hostWhenUnsatisfiable }}
  labelSelector:
    matchLabels:
      {{- include "hearth.selectorLabels" . | nindent 6 }}
  matchLabelKeys: [pod-template-hash]
{{- end -}}

{{/* The environment of a deployable's containers: its ConfigMap and its Secret. */}}
{{- define "hearth.envFrom" -}}
- configMapRef:
    name: hearth-{{ . }}-config
- secretRef:
    name: hearth-{{ . }}-env
{{- end -}}

{{- define "hearth.jwtVolume" -}}
- name: jwt
  secret:
    secretName: hearth-{{ . }}-jwt
    defaultMode: 0440
- name: tmp
  emptyDir:
    sizeLimit: 64Mi
{{- end -}}

{{- define "hearth.jwtMounts" -}}
- name: jwt
  mountPath: /var/run/secrets/hearth/jwt
  readOnly: true
- name: tmp
  mountPath: /tmp
{{- end -}}

{{/* The metrics scraper as a NetworkPolicy peer: its pods, in its namespace if named. */}}
{{- define "hearth.scraperPeer" -}}
- podSelector:
    matchLabels:
      {{- toYaml .podLabels | nindent 6 }}
  {{- if .namespace }}
  namespaceSelector:
    matchLabels:
      kubernetes.io/metadata.name: {{ .namespace }}
  {{- end }}
{{- end -}}

{{/* Egress to the trace collector: its pods (in its namespace if named) or its addresses. */}}
{{- define "hearth.collectorEgress" -}}
{{- if not (or .podLabels .cidrs) }}
{{- fail "observability.tracing.collector: give its podLabels or its cidrs, so the egress policies let spans out" }}
{{- end }}
- to:
    {{- if .podLabels }}
    - podSelector:
        matchLabels:
          {{- toYaml .podLabels | nindent 10 }}
      {{- if .namespace }}
      namespaceSelector:
        matchLabels:
          kubernetes.io/metadata.name: {{ .namespace }}
      {{- end }}
    {{- end }}
    {{- range .cidrs }}
    - ipBlock: {cidr: {{ . }}}
    {{- end }}
  ports:
    - {protocol: TCP, port: {{ .port }}}
{{- end -}}
