"""The operator's Prometheus metrics, served at ``/metrics`` by every replica.

Cardinality is bounded by the API, never by runs: per DynamicJob a fixed set of series
labelled ``namespace``, ``name`` and ``template`` (object names, so bounded by what the
API server stores), plus ``dynamicjobs_job_runs_total`` with at most one series per
(result, trigger) pair that occurred (5 x 3 at most); per template one run-duration
histogram; the operator's own series carry no object labels at all. No label ever holds a
run id, a message or a parameter. See docs/observability.md for every series.

Only the replica that runs the controllers (the leader) exports the per-DynamicJob
series: a standby has no watch, and two replicas exporting the same totals would double
every sum. Every replica exports ``dynamicjobs_operator_leader`` (1 or 0), the webhook's
series (every replica answers admission) and its process series.
"""

from job_operator.metrics.jobs import JOBS, TALLY
from job_operator.metrics.registry import REGISTRY

__all__ = ["JOBS", "REGISTRY", "TALLY"]
