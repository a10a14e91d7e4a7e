{{- define "bookrelay.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "bookrelay.fullname" -}}
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

{{- define "bookrelay.selectorLabels" -}}
app.kubernetes.io/name: {{ include "bookrelay.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "bookrelay.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "bookrelay.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{- define "bookrelay.secretName" -}}
{{- default (include "bookrelay.fullname" .) .Values.secret.name -}}
{{- end -}}

{{- define "bookrelay.claimName" -}}
{{- default (printf "%s-data" (include "bookrelay.fullname" .)) .Values.persistence.existingClaim -}}
{{- end -}}

{{/* The container both workloads run; call with (dict "root" $ "args" LIST). */}}
{{- define "bookrelay.container" -}}
- name: bookrelay
  image: "{{ .root.Values.image.repository }}:{{ .root.Values.image.tag | default .root.Chart.AppVersion }}"
  imagePullPolicy: {{ .root.Values.image.pullPolicy }}
  args: {{ toJson .args }}
  env:
    - name: BOOKRELAY_CONFIG
      value: /config/bookrelay.yaml
  envFrom:
    - secretRef:
        name: {{ include "bookrelay.secretName" .root }}
  {{- with .extra }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
  securityContext:
    {{- toYaml .root.Values.securityContext | nindent 4 }}
  resources:
    {{- toYaml .root.Values.resources | nindent 4 }}
  volumeMounts:
    - name: data
      mountPath: /data
    - name: config
      mountPath: /config
      readOnly: true
{{- end -}}

{{- define "bookrelay.volumes" -}}
- name: data
  persistentVolumeClaim:
    claimName: {{ include "bookrelay.claimName" . }}
- name: config
  configMap:
    name: {{ include "bookrelay.fullname" . }}
{{- end -}}

{{/* Egress rules shared by both network policies. */}}
{{- define "bookrelay.egress" -}}
- to:
    - namespaceSelector: {}
      podSelector:
        matchLabels:
          {{- toYaml .Values.networkPolicy.dnsPodLabels | nindent 10 }}
  ports:
    - {protocol: UDP, port: 53}
    - {protocol: TCP, port: 53}
{{- range .Values.networkPolicy.services }}
- to:
    - podSelector:
        matchLabels:
          app.kubernetes.io/name: {{ .name }}
  ports:
    - {protocol: TCP, port: {{ .port }}}
{{- end }}
- to:
    - ipBlock:
        cidr: {{ .Values.networkPolicy.httpsCidr }}
  ports:
    - {protocol: TCP, port: 443}
{{- end -}}

{{/* Labels of the hardcover-sync objects: named as that CronJob's were, released by this chart. */}}
{{- define "bookrelay.hardcoverSyncLabels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/name: {{ .Values.hardcoverSync.name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}
