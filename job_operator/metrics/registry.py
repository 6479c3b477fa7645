"""The one registry the operator's metrics live in, and the operator's own series.

A registry of our own rather than prometheus_client's global one, so that importing a
library that registers metrics of its own never changes what the operator exports; the
process collector (CPU, memory, open files) is added explicitly.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, ProcessCollector

REGISTRY = CollectorRegistry(auto_describe=True)
ProcessCollector(registry=REGISTRY)

FAST_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
"""Reconciles and admission reviews: milliseconds normally, seconds when the API is slow."""
PASS_BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 25.0, 50.0, 100.0, 250.0)
"""A resync pass: about 1 ms a DynamicJob, so 5,000 jobs take a few seconds."""
RUN_BUCKETS = (1.0, 5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0, 7200.0,
               21600.0, 86400.0)
"""A run: from a heartbeat's second to a backup's hours."""

LEADER = Gauge(
    "dynamicjobs_operator_leader",
    "1 while this replica runs the controllers (holds the Lease, or runs without election).",
    registry=REGISTRY)
RECONCILE_SECONDS = Histogram(
    "dynamicjobs_reconcile_duration_seconds",
    "Time of one reconcile of a DynamicJob (validation, owned objects, status).",
    buckets=FAST_BUCKETS, registry=REGISTRY)
RECONCILE_ERRORS = Counter(
    "dynamicjobs_reconcile_errors_total",
    "Reconciles that ended in an error (an API error or a bug), to be retried.",
    registry=REGISTRY)
WEBHOOK_SECONDS = Histogram(
    "dynamicjobs_webhook_request_duration_seconds",
    "Time from a complete AdmissionReview request to its answer.",
    buckets=FAST_BUCKETS, registry=REGISTRY)
WEBHOOK_REQUESTS = Counter(
    "dynamicjobs_webhook_requests",
    "AdmissionReview requests by verdict: allowed, denied, or error (the review could not "
    "be answered, or was not a review).",
    ["verdict"], registry=REGISTRY)
RESYNC_SECONDS = Histogram(
    "dynamicjobs_resync_pass_duration_seconds",
    "Time of one resync pass over every watched DynamicJob.",
    buckets=PASS_BUCKETS, registry=REGISTRY)
RESYNC_LAST_PASS = Gauge(
    "dynamicjobs_resync_last_pass_timestamp_seconds",
    "When the last resync pass ended (Unix time); 0 before the first.",
    registry=REGISTRY)
WORK_QUEUE_DEPTH = Gauge(
    "dynamicjobs_operator_queue_depth",
    "DynamicJobs waiting for a worker: changed and not yet handled, or waiting to retry.",
    registry=REGISTRY)
API_ERRORS = Counter(
    "dynamicjobs_api_errors",
    "Failed requests to the Kubernetes API by HTTP status ('none': no answer at all). A 404 "
    "of a read is not counted: it answers 'not there'.",
    ["code"], registry=REGISTRY)
RUN_SECONDS = Histogram(
    "dynamicjobs_run_duration_seconds",
    "Duration of finished runs (start to finish, retries included), by template; each run "
    "is observed once, when this replica first sees it finished.",
    ["template"], buckets=RUN_BUCKETS, registry=REGISTRY)
