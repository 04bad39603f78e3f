{{/* Names: every object is <release>-<component>, e.g. hearth-observability-zipkin. */}}
{{- define "obs.name" -}}
{{- printf "%s-%s" .root.Release.Name .component -}}
{{- end -}}

{{- define "obs.labels" -}}
app.kubernetes.io/name: {{ .component }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
app.kubernetes.io/part-of: hearth
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version }}
{{- end -}}

{{/* Selectors name the release and the component only: labels an overlay changes
(the scraper's) must not change an immutable selector. */}}
{{- define "obs.selector" -}}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{/* Both images come from containers/ (devstack/images.py): hearth-zipkin and
hearth-victoria-metrics, which holds vmalert too. */}}
{{- define "obs.image" -}}
{{- printf "%s/hearth-%s:%s" .root.Values.image.registry .image .tag -}}
{{- end -}}

{{- define "obs.podSecurity" -}}
runAsNonRoot: true
runAsUser: 10001
runAsGroup: 10001
fsGroup: 10001
fsGroupChangePolicy: OnRootMismatch
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{- define "obs.containerSecurity" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
runAsNonRoot: true
capabilities:
  drop: [ALL]
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/* A ServiceAccount without a token: only VictoriaMetrics reads the API. */}}
{{- define "obs.serviceAccount" -}}
apiVersion: v1
kind: ServiceAccount
metadata:
  name: {{ include "obs.name" . }}
  labels:
    {{- include "obs.labels" . | nindent 4 }}
automountServiceAccountToken: false
{{- end -}}

{{/* A spread over zones that never blocks scheduling (a cluster may have one). */}}
{{- define "obs.zoneSpread" -}}
topologySpreadConstraints:
  - maxSkew: 1
    topologyKey: {{ .root.Values.placement.zoneKey }}
    whenUnsatisfiable: ScheduleAnyway
    labelSelector:
      matchLabels:
        {{- include "obs.selector" . | nindent 8 }}
{{- end -}}

{{/* At most one pod down at a time by choice; a single replica may be taken by a
drain (what it holds is kept elsewhere, or in memory only by choice). */}}
{{- define "obs.pdb" -}}
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {{ include "obs.name" . }}
  labels:
    {{- include "obs.labels" . | nindent 4 }}
spec:
  maxUnavailable: 1
  selector:
    matchLabels:
      {{- include "obs.selector" . | nindent 6 }}
{{- end -}}

{{/* Egress to peers given as pods of this namespace and/or addresses, on one port. */}}
{{- define "obs.peerEgress" -}}
- to:
    {{- if .podLabels }}
    - podSelector:
        matchLabels:
          {{- toYaml .podLabels | nindent 10 }}
    {{- end }}
    {{- range .cidrs }}
    - ipBlock: {cidr: {{ . }}}
    {{- end }}
  ports:
    - {protocol: TCP, port: {{ .port }}}
{{- end -}}
