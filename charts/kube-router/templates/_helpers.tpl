{{- define "kube-router.labels" -}}
app.kubernetes.io/name: kube-router
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: network-policy
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}
