{{- define "toxiproxy.labels" -}}
app.kubernetes.io/name: toxiproxy
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/part-of: faultline-sandbox
app.kubernetes.io/component: network
app.kubernetes.io/managed-by: {{ .Release.Service }}
topology.kubernetes.io/region: {{ .Values.region }}
{{- end -}}
{{- define "toxiproxy.selector" -}}
app.kubernetes.io/name: toxiproxy
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}
