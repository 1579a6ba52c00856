"""One settings object for the whole service, read from ``PARTNERMATCH_*`` environment variables.

Runtime state (database, indexes, trained models, caches) lives under ``home`` so that the
source tree stays clean and one directory can be backed up or thrown away.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Service configuration; every field can be set as ``PARTNERMATCH_<FIELD>``."""

    model_config = SettingsConfigDict(env_prefix="PARTNERMATCH_", extra="ignore")

    home: Path = Field(default=Path("var"), description="Directory for all runtime state.")
    database_url: str | None = Field(
        default=None,
        description="Any SQLAlchemy URL; default is a SQLite file under `home`.",
    )
    ingest_chunk_rows: int = Field(default=5_000, gt=0, description="Rows per ingestion chunk.")
    models_dir: Path | None = Field(
        default=None, description="The IPP model registry; default `<home>/models`."
    )
    default_models_dir: Path | None = Field(
        default=None,
        description="Registry of the committed default model, used while `models_dir` has no "
        "promoted version; default the repository's `models/` folder.",
    )
    matrix_config: Path | None = Field(
        default=None,
        description=(
            "A Partner Evaluation Matrix file; default the packaged `matcher/ipp/matrix.toml`."
        ),
    )
    widget_origins: list[str] = Field(
        default=["http://127.0.0.1:8000", "http://localhost:8000"],
        description="Origins allowed to embed the widget (JSON list in the environment).",
    )
    widget_rate_per_minute: int = Field(default=60, gt=0, description="Widget requests per key.")
    webhook_allowed_hosts: list[str] = Field(
        default=[],
        description="Host names webhooks may be delivered to (JSON list in the environment); "
        "empty allows none, so the server never calls an address nobody approved.",
    )
    webhook_retry_base_s: float = Field(
        default=2.0, gt=0, description="First webhook retry delay; doubles per attempt, jittered."
    )
    webhook_max_attempts: int = Field(
        default=8, ge=1, le=20, description="Webhook delivery attempts before it is failed."
    )
    audit_retention_days: int = Field(
        default=365,
        gt=0,
        description="Audit records older than this are deleted by `partnermatch audit purge`.",
    )
    max_request_bytes: int = Field(
        default=11 * 1024 * 1024, gt=0, description="Largest HTTP request body accepted."
    )
    max_in_flight: int = Field(
        default=8,
        gt=0,
        description="Requests one worker serves at once; more are answered 503 with "
        "Retry-After (/healthz, /readyz and /metrics always answer). A few per core: "
        "more only lengthens the queue inside the worker (bench/overload.py).",
    )
    retry_after_s: int = Field(
        default=1, gt=0, description="Retry-After (seconds) of a 503 for too many in flight."
    )
    refresh_seconds: float = Field(
        default=1.0,
        gt=0,
        description="How often each serving process polls the change log for other processes' "
        "writes (on PostgreSQL a LISTEN/NOTIFY brings them sooner; polling is the safety net).",
    )
    workers: int = Field(
        default=1,
        ge=1,
        description="Worker processes of this server (`partnermatch serve --workers N` sets "
        "it): each enforces its share of the widget rate limit.",
    )
    # -- matching engine (matcher/embedding/, matcher/engine/index.py, recommender.py) --
    embedding_backend: str = Field(
        default="use",
        description="Sentence embedding backend: `use` (default: Universal Sentence Encoder "
        "multilingual v3; German, French, Spanish and Dutch briefs find what their English "
        "versions find, and full nDCG@10 0.547 vs 0.529 for MiniLM int8 on the judged deals, "
        "see bench/results/deal_text.md), or all-MiniLM-L6-v2 through sentence-transformers: "
        "`torch`, `onnx` (fp32) or `onnx-int8` (~3x faster than torch, within 0.01 nDCG).",
    )
    index_exact_max: int = Field(
        default=50_000,
        gt=0,
        description="Up to this many partners the index is exact (flat); above, 8-bit "
        "scalar-quantised (measured at 100k: half the search time, recall@10 0.98 vs exact).",
    )
    index_shortlist_min: int = Field(
        default=200_000,
        gt=0,
        description="From this many partners, searches that most partners pass (filters "
        "allowing 30 % or more) take their candidates from 4-bit fast-scan codes and re-score "
        "them on the index's codes instead of scanning every partner (at 1M, 50 % filter: "
        "59.8 -> 4.2 ms p50; on 100k real embeddings it keeps 0.99 of the candidates, "
        "bench/results/shortlist_recall.md); above the partner count: always scan.",
    )
    exposure_tolerance: float = Field(
        default=0.05,
        ge=0.0,
        le=0.2,
        description="Results whose match scores are within this of each other are near-ties "
        "and rotate by exposure (least shown first) instead of always going to the same "
        "partner; 0 turns rotation off. 0.05 cut the hand-weighted ranking's top-5 % share "
        "of slots from 0.251 to 0.181 with nDCG@10 0.535 -> 0.539 (bench/results/ranking.md).",
    )
    recommend_candidates: int = Field(
        default=100, gt=0, le=2_000, description="Candidates fetched per retriever per deal."
    )

    @property
    def resolved_database_url(self) -> str:
        """The database URL in force: the configured one, or ``sqlite:///<home>/partnermatch.db``."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.home / 'partnermatch.db').resolve()}"

    @property
    def resolved_models_dir(self) -> Path:
        """The model registry in force: ``models_dir`` or ``<home>/models``."""
        return self.models_dir if self.models_dir is not None else self.home / "models"

    @property
    def resolved_default_models_dir(self) -> Path:
        """The committed default registry: `default_models_dir` or the repository's `models/`."""
        if self.default_models_dir is not None:
            return self.default_models_dir
        return Path(__file__).resolve().parents[1] / "models"


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment."""
    return Settings()
