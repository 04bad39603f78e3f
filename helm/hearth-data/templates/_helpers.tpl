{{/* Names: every object is <release>-<store>, e.g. hearth-data-kafka (contracts). */}}
{{- define "data.name" -}}
{{- printf "%s-%s" .root.Release.Name .store -}}
{{- end -}}

{{- define "data.labels" -}}
app.kubernetes.io/name: {{ .store }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/part-of: hearth
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version }}
{{- end -}}

{{- define "data.selector" -}}
app.kubernetes.io/name: {{ .store }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
{{- end -}}

{{- define "data.image" -}}
{{- printf "%s/hearth-%s:%s" .root.Values.image.registry .store .tag -}}
{{- end -}}

{{/* The pod: non-root, no privilege, the runtime's default seccomp profile. */}}
{{- define "data.podSecurity" -}}
runAsNonRoot: true
runAsUser: 10001
runAsGroup: 10001
fsGroup: 10001
fsGroupChangePolicy: OnRootMismatch
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{- define "data.containerSecurity" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
runAsNonRoot: true
capabilities:
  drop: [ALL]
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/*
Placement of a store's pods: never two on one node (a node's loss takes one member,
which every store here survives), and across zones (a zone's loss takes at most one
member while there are three zones).
*/}}
{{- define "data.placement" -}}
affinity:
  podAntiAffinity:
    requiredDuringSchedulingIgnoredDuringExecution:
      - topologyKey: kubernetes.io/hostname
        labelSelector:
          matchLabels:
            {{- include "data.selector" . | nindent 12 }}
    preferredDuringSchedulingIgnoredDuringExecution:
      - weight: 100
        podAffinityTerm:
          topologyKey: {{ .root.Values.placement.zoneKey }}
          labelSelector:
            matchLabels:
              {{- include "data.selector" . | nindent 14 }}
topologySpreadConstraints:
  - maxSkew: 1
    topologyKey: {{ .root.Values.placement.zoneKey }}
    whenUnsatisfiable: {{ .root.Values.placement.zoneSpread }}
    labelSelector:
      matchLabels:
        {{- include "data.selector" . | nindent 8 }}
  - maxSkew: 1
    topologyKey: kubernetes.io/hostname
    whenUnsatisfiable: DoNotSchedule
    labelSelector:
      matchLabels:
        {{- include "data.selector" . | nindent 8 }}
{{- end -}}

{{- define "data.volumeClaim" -}}
- metadata:
    name: data
    labels:
      {{- include "data.selector" . | nindent 6 }}
  spec:
    accessModes: [ReadWriteOnce]
    {{- with .root.Values.storageClass }}
    storageClassName: {{ . }}
    {{- end }}
    resources:
      requests:
        storage: {{ .size }}
{{- end -}}

{{/* At most one member down at a time by choice (drain, upgrade): a quorum of three
keeps two. */}}
{{- define "data.pdb" -}}
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {{ include "data.name" . }}
  labels:
    {{- include "data.labels" . | nindent 4 }}
spec:
  maxUnavailable: 1
  selector:
    matchLabels:
      {{- include "data.selector" . | nindent 6 }}
{{- end -}}

{{/*
Who may connect: namespace pods labelled as the store's clients on the client ports,
and the store's own pods on the peer ports (replication, quorum, transport). Where
a store's pods may connect: each other, the cluster's DNS and, for those that read
the API (Patroni, the zone lookup), the API server.
*/}}
{{- define "data.networkPolicy" -}}
{{- if .root.Values.networkPolicy.enabled }}
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: {{ include "data.name" . }}
  labels:
    {{- include "data.labels" . | nindent 4 }}
spec:
  podSelector:
    matchLabels:
      {{- include "data.selector" . | nindent 6 }}
  policyTypes: [Ingress, Egress]
  ingress:
    - from:
        - podSelector:
            matchLabels:
              hearth.io/{{ .client }}-client: "true"
      ports:
        {{- range .clientPorts }}
        - protocol: TCP
          port: {{ . }}
        {{- end }}
    - from:
        - podSelector:
            matchLabels:
              {{- include "data.selector" . | nindent 14 }}
      ports:
        {{- range .peerPorts }}
        - protocol: TCP
          port: {{ . }}
        {{- end }}
  egress:
    - to:
        - podSelector:
            matchLabels:
              {{- include "data.selector" . | nindent 14 }}
      ports:
        {{- range .peerPorts }}
        - protocol: TCP
          port: {{ . }}
        {{- end }}
    - to:
        - namespaceSelector:
            matchLabels:
              kubernetes.io/metadata.name: {{ .root.Values.networkPolicy.dns.namespace }}
          podSelector:
            matchLabels:
              {{- toYaml .root.Values.networkPolicy.dns.podLabels | nindent 14 }}
      ports:
        - {protocol: UDP, port: 53}
        - {protocol: TCP, port: 53}
    {{- if .apiServer }}
    - to:
        {{- range .root.Values.networkPolicy.apiServer.cidrs }}
        - ipBlock: {cidr: {{ . }}}
        {{- end }}
      ports:
        {{- range .root.Values.networkPolicy.apiServer.ports }}
        - protocol: TCP
          port: {{ . }}
        {{- end }}
    {{- end }}
{{- end }}
{{- end -}}

{{/*
The zone lookup of a pod that needs it (Kafka's broker.rack, Elasticsearch's
node.attr.zone): an init container reads its Node's zone label from the API into
/zone/zone. The script ships in the PostgreSQL image, the data tier's one image
with Python.
*/}}
{{- define "data.zoneInit" -}}
- name: zone
  image: {{ include "data.image" (dict "root" .root "store" "postgres" "tag" .root.Values.postgres.tag) }}
  imagePullPolicy: {{ .root.Values.image.pullPolicy }}
  command: [/usr/local/bin/hearth-node-zone, /zone/zone]
  env:
    - name: NODE_NAME
      valueFrom:
        fieldRef:
          fieldPath: spec.nodeName
  securityContext:
    {{- include "data.containerSecurity" . | nindent 4 }}
  resources:
    requests: {cpu: 10m, memory: 32Mi}
    limits: {cpu: 100m, memory: 64Mi}
  volumeMounts:
    - name: zone
      mountPath: /zone
    - name: api-token
      mountPath: /var/run/secrets/kubernetes.io/serviceaccount
      readOnly: true
{{- end -}}

{{/* Read-only access to Nodes, for the zone lookup. Cluster-scoped: Nodes are. */}}
{{- define "data.nodeReader" -}}
apiVersion: v1
kind: ServiceAccount
metadata:
  name: {{ include "data.name" . }}
  labels:
    {{- include "data.labels" . | nindent 4 }}
# The token is mounted into the zone init container only (a projected volume).
automountServiceAccountToken: false
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: {{ printf "%s-%s-node-reader" .root.Release.Namespace (include "data.name" .) }}
  labels:
    {{- include "data.labels" . | nindent 4 }}
rules:
  - apiGroups: [""]
    resources: [nodes]
    verbs: [get]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: {{ printf "%s-%s-node-reader" .root.Release.Namespace (include "data.name" .) }}
  labels:
    {{- include "data.labels" . | nindent 4 }}
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: {{ printf "%s-%s-node-reader" .root.Release.Namespace (include "data.name" .) }}
subjects:
  - kind: ServiceAccount
    name: {{ include "data.name" . }}
    namespace: {{ .root.Release.Namespace }}
{{- end -}}

{{/* The ServiceAccount token, CA and namespace, for a container that needs the API. */}}
{{- define "data.apiToken" -}}
- name: api-token
  projected:
    sources:
      - serviceAccountToken:
          path: token
          expirationSeconds: 3600
      - configMap:
          name: kube-root-ca.crt
          items:
            - key: ca.crt
              path: ca.crt
      - downwardAPI:
          items:
            - path: namespace
              fieldRef:
                fieldPath: metadata.namespace
{{- end -}}
