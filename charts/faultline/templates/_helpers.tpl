{{- define "faultline.fullname" -}}
{{- printf "%s-faultline" .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "faultline.serviceAccount" -}}
{{- default (include "faultline.fullname" .) .Values.serviceAccount.name -}}
{{- end -}}

{{- define "faultline.labels" -}}
app.kubernetes.io/name: faultline
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{/* The pod both the Job and the CronJob run: faultline, as non-root, exit code = verdict. */}}
{{- define "faultline.podSpec" -}}
serviceAccountName: {{ include "faultline.serviceAccount" . }}
automountServiceAccountToken: true
restartPolicy: Never
securityContext:
  runAsNonRoot: true
  runAsUser: 1000
  runAsGroup: 1000
  fsGroup: 1000
  seccompProfile: { type: RuntimeDefault }
containers:
  - name: faultline
    image: {{ .Values.image | quote }}
    imagePullPolicy: {{ .Values.pullPolicy | default "IfNotPresent" }}
    args:
      - {{ .Values.command | quote }}
      - {{ printf "/experiments/%s" .Values.file | quote }}
      {{- if eq .Values.command "run" }}
      - --out
      - /out
      - --quiet
      {{- end }}
      {{- range .Values.allowContexts }}
      - --allow-context
      - {{ . | quote }}
      {{- end }}
      {{- range .Values.extraArgs }}
      - {{ . | quote }}
      {{- end }}
    {{- with .Values.env }}
    env:
      {{- toYaml . | nindent 6 }}
    {{- end }}
    securityContext:
      allowPrivilegeEscalation: false
      readOnlyRootFilesystem: true
      capabilities: { drop: [ALL] }
    resources:
      {{- toYaml .Values.resources | nindent 6 }}
    volumeMounts:
      - { name: experiments, mountPath: /experiments, readOnly: true }
      - { name: out, mountPath: /out }
      - { name: tmp, mountPath: /tmp }
volumes:
  - name: experiments
    configMap: { name: {{ include "faultline.fullname" . }} }
  - name: out
    {{- if .Values.output.persistentVolumeClaim }}
    persistentVolumeClaim: { claimName: {{ .Values.output.persistentVolumeClaim | quote }} }
    {{- else }}
    emptyDir: {}
    {{- end }}
  - name: tmp
    emptyDir: {}
{{- end -}}
