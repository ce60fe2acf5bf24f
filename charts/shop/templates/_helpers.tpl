{{- define "shop.labels" -}}
app: shop
app.kubernetes.io/name: shop
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
topology.kubernetes.io/region: {{ .Values.region }}
{{- end -}}
