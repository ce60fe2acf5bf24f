{{- define "region-app.labels" -}}
app.kubernetes.io/name: region-app
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/part-of: faultline-sandbox
app.kubernetes.io/component: region
app.kubernetes.io/managed-by: {{ .Release.Service }}
topology.kubernetes.io/region: {{ .Values.region }}
{{- end -}}
{{- define "region-app.selector" -}}
app.kubernetes.io/name: region-app
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}
