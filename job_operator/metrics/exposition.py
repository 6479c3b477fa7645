"""The per-DynamicJob series as Prometheus text, rendered once per job version.

prometheus_client renders every sample of every scrape anew, which at thousands of
DynamicJobs was most of a scrape's CPU. A job's sample lines change only when the job
does, so they are rendered when its resourceVersion changes and joined at each scrape.
The output is byte for byte what ``generate_latest`` gives for the same families (a test
compares them).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import Metric
from prometheus_client.registry import Collector
from prometheus_client.utils import floatToGoString

Row = tuple[str, list[str], float]
"""(a family's attribute name, label values, value): one sample of one DynamicJob."""


def _escaped(value: str) -> str:
    return value.replace("\\", r"\\").replace("\n", r"\n").replace('"', r"\"")


def sample_line(name: str, label_names: Iterable[str], values: Iterable[str],
                value: float) -> str:
    labels = ",".join(f'{key}="{_escaped(text)}"'
                      for key, text in sorted(zip(label_names, values, strict=True)))
    return f"{name}{{{labels}}} {floatToGoString(value)}\n"


class _Once(Collector):
    def __init__(self, family: Metric) -> None:
        self.family = family

    def collect(self) -> Iterator[Metric]:
        yield self.family


def header(family: Metric) -> str:
    """The HELP and TYPE lines of an (empty) family, as generate_latest writes them."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Once(family))
    return generate_latest(registry).decode()
