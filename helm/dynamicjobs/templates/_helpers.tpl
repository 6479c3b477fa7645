{{/*
The chart's name, or nameOverride.
*/}}
{{- define "dynamicjobs.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
The full name of the release's objects: fullnameOverride, or "<release>-<name>" unless
the release name already contains the name. Cut to 63 characters (a DNS label).
*/}}
{{- define "dynamicjobs.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/*
"<chart>-<version>" for the helm.sh/chart label.
*/}}
{{- define "dynamicjobs.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Labels that select the operator's pods; they never change across upgrades.
*/}}
{{- define "dynamicjobs.selectorLabels" -}}
app.kubernetes.io/name: {{ include "dynamicjobs.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/*
The standard labels of every object the chart creates.
*/}}
{{- define "dynamicjobs.labels" -}}
helm.sh/chart: {{ include "dynamicjobs.chart" . }}
{{ include "dynamicjobs.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: dynamicjobs
{{- end }}

{{/*
The operator's ServiceAccount.
*/}}
{{- define "dynamicjobs.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "dynamicjobs.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
The operator's image reference: repository, then @digest or :tag (appVersion by default).
*/}}
{{- define "dynamicjobs.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/*
The runner's image: runner.image when set, else the operator's image.
*/}}
{{- define "dynamicjobs.runnerImage" -}}
{{- if .Values.runner.image.repository }}
{{- printf "%s:%s" .Values.runner.image.repository (default .Chart.AppVersion .Values.runner.image.tag) }}
{{- else }}
{{- include "dynamicjobs.image" . }}
{{- end }}
{{- end }}

{{/*
Names of the webhook's Service, TLS Secret and cert-manager objects.
*/}}
{{- define "dynamicjobs.webhookServiceName" -}}
{{- printf "%s-webhook" (include "dynamicjobs.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "dynamicjobs.webhookSecretName" -}}
{{- printf "%s-webhook-tls" (include "dynamicjobs.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
The rules the operator needs in each namespace where it handles DynamicJobs. Rendered in
a ClusterRole (cluster-wide watch) or in one Role per watched namespace.
*/}}
{{- define "dynamicjobs.namespacedRules" -}}
# Application: Events about DynamicJobs (repaired, refused, a run finished or started); the
# runners may not post Events themselves: RBAC cannot limit that to their own DynamicJob.
- apiGroups: [""]
  resources: [events]
  verbs: [create]
# Application: watching DynamicJobs. No write: users own them; the operator writes only
# their status.
- apiGroups: [dynamicjobs.io]
  resources: [dynamicjobs]
  verbs: [get, list, watch]
# Application: conditions, schedule and run history in the status. The operator is the
# only writer: runner pods hold no credentials and report in their termination message.
- apiGroups: [dynamicjobs.io]
  resources: [dynamicjobs/status]
  verbs: [get, patch]
# Application: the one CronJob per DynamicJob, created, replaced when its spec changes or
# it drifted, and deleted when it is no longer wanted.
- apiGroups: [batch]
  resources: [cronjobs]
  verbs: [get, list, watch, create, update, delete]
# Application: recording runs from their Jobs (Running when one starts) and pods (the
# runner's record in its termination message, or why a pod died without one: OOM,
# eviction, deadline); creating the Job of a manual run (dynamicjobs.io/run-requested-at).
# Never update or delete: the CronJob controller and the garbage collector own a Job's life.
- apiGroups: [batch]
  resources: [jobs]
  verbs: [get, list, watch, create]
- apiGroups: [""]
  resources: [pods]
  verbs: [list]
{{- end }}

{{/*
The names of a list of {name: ...} references, comma-separated.
*/}}
{{- define "dynamicjobs.names" -}}
{{- $names := list }}
{{- range . }}{{ $names = append $names .name }}{{ end }}
{{- join "," $names }}
{{- end }}
