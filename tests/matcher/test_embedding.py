from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from matcher.embedding.base import Embedder, FakeEmbedder, content_hash, deal_text, partner_text
from matcher.embedding.cache import embed_partners
from matcher.embedding.factory import get_embedder
from matcher.schemas import Deal, Partner
from matcher.settings import Settings
from matcher.store import Store


def _partner(partner_id: str = "P-1", **fields: object) -> Partner:
    return Partner(partner_id=partner_id, name="Acme", partner_type="consultancy", **fields)


class CountingEmbedder(FakeEmbedder):
    """The fake, counting the texts it was asked to embed (to prove the cache works)."""

    def __init__(self) -> None:
        super().__init__()
        self.embedded: list[str] = []

    def embed(self, texts, progress=None):  # type: ignore[no-untyped-def]
        self.embedded.extend(texts)
        return super().embed(texts, progress)


def test_fake_embedder_is_deterministic_and_normalised() -> None:
    embedder = FakeEmbedder()
    first = embedder.embed(["data migration for banks", ""])
    second = FakeEmbedder().embed(["data migration for banks", ""])
    np.testing.assert_array_equal(first, second)
    assert first.dtype == np.float32 and first.shape == (2, embedder.dim)
    np.testing.assert_allclose(np.linalg.norm(first, axis=1), 1.0, rtol=1e-6)
    assert isinstance(embedder, Embedder)


def test_fake_embedder_puts_shared_words_closer() -> None:
    vectors = FakeEmbedder().embed(["portfolio management", "project portfolio management", "crm"])
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2]


def test_partner_text_holds_description_specialisms_industry_names_and_assets() -> None:
    text = partner_text(
        _partner(
            description="We roll out PPM.",
            specialisms=["portfolio management"],
            industries=["pharma"],
            assets=["template:Resource plan"],
            csat=99,
        )
    )
    assert "We roll out PPM." in text
    assert "portfolio management" in text
    assert "Life Sciences" in text
    assert "Resource plan" in text
    assert "99" not in text  # internal fields stay out of the embedded text


def test_partner_text_of_an_empty_profile_falls_back_to_the_name() -> None:
    assert partner_text(_partner()) == "Acme"


def test_deal_text_names_the_industry() -> None:
    text = deal_text(Deal(industry="telco", specialisms=["5g"]))
    assert "Telecommunications" in text and "5g" in text


def test_content_hash_depends_on_text_and_model() -> None:
    assert content_hash("a", "m1") != content_hash("a", "m2")
    assert content_hash("a", "m1") == content_hash("a", "m1")


def test_unchanged_profile_is_never_embedded_twice(store: Store) -> None:
    embedder = CountingEmbedder()
    rows = [(1, _partner("P-1", description="one")), (2, _partner("P-2", description="two"))]
    first_ids, first = embed_partners(store, embedder, rows)
    assert len(embedder.embedded) == 2
    changed = [rows[0], (2, _partner("P-2", description="two, now changed"))]
    second_ids, second = embed_partners(store, embedder, changed)
    assert embedder.embedded[2:] == [partner_text(changed[1][1])]
    assert first_ids.tolist() == second_ids.tolist() == [1, 2]
    np.testing.assert_array_equal(first[0], second[0])


def test_embed_partners_reports_progress_up_to_the_total(store: Store) -> None:
    seen: list[int] = []
    rows = [(i, _partner(f"P-{i}", description=f"text {i}")) for i in range(1, 6)]
    embed_partners(store, FakeEmbedder(), rows, progress=seen.append)
    assert seen[-1] == 5


@pytest.mark.slow
def test_real_model_gives_normalised_384_dimensional_vectors(real_embedder: Embedder) -> None:
    vectors = real_embedder.embed(["ERP data migration", "Migrating ERP data"])
    assert vectors.shape == (2, 384) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-5)
    assert float(vectors[0] @ vectors[1]) > 0.7
    assert real_embedder.model_id.startswith("all-MiniLM-L6-v2")


@pytest.fixture(scope="module")
def onnx_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return Path(tmp_path_factory.mktemp("onnx-home"))


@pytest.mark.slow
def test_onnx_backends_are_exported_under_home_and_agree_with_torch(
    real_embedder: Embedder, onnx_home: Path
) -> None:
    texts = ["Roll out portfolio management for a German car-parts maker", "ERP data migration"]
    reference = real_embedder.embed(texts)
    fp32 = get_embedder(Settings(home=onnx_home, embedding_backend="onnx"))
    int8 = get_embedder(Settings(home=onnx_home, embedding_backend="onnx-int8"))
    assert not (onnx_home / "models").exists()  # exported on first use, not at start-up
    assert fp32.model_id != int8.model_id != real_embedder.model_id
    np.testing.assert_allclose((fp32.embed(texts) * reference).sum(axis=1), 1.0, atol=1e-4)
    assert ((int8.embed(texts) * reference).sum(axis=1) > 0.97).all()
    assert (onnx_home / "models" / "onnx" / "model.onnx").exists()
    assert (onnx_home / "models" / "onnx" / "model-int8.onnx").exists()


@pytest.mark.slow
def test_the_multilingual_backend_puts_a_translation_next_to_its_original(
    tmp_path: Path,
) -> None:
    use = get_embedder(Settings(home=tmp_path, embedding_backend="use"))
    texts = [
        "ERP rollout for a manufacturing company in Germany",
        "ERP-Einführung für ein Fertigungsunternehmen in Deutschland",
        "Déploiement d'un ERP chez un industriel en Allemagne",
        "Patient billing moved to the cloud for a hospital group",
    ]
    progress: list[int] = []
    vectors = use.embed(texts, progress.append)
    assert vectors.shape == (4, 512) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-5)
    similarity = vectors @ vectors.T
    # each translation is nearer its English original than the unrelated English brief is
    assert similarity[0, 1] > similarity[0, 3] + 0.3 and similarity[0, 2] > similarity[0, 3] + 0.3
    assert progress[-1] == 4 and use.model_id == "use-multilingual-v3/numpy"
    assert use.embed([]).shape == (0, 512)


def test_unknown_backend_is_refused_with_the_allowed_values(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="torch, onnx, onnx-int8, use"):
        get_embedder(Settings(home=tmp_path, embedding_backend="tensorflow"))


def test_an_interrupted_embedding_keeps_the_chunks_it_finished(
    store, monkeypatch: pytest.MonkeyPatch
) -> None:
    from matcher.embedding import cache

    class FailingEmbedder(FakeEmbedder):
        calls = 0

        def embed(self, texts, progress=None):  # type: ignore[no-untyped-def]
            FailingEmbedder.calls += 1
            if FailingEmbedder.calls == 3:
                raise RuntimeError("power cut")
            return super().embed(texts, progress)

    monkeypatch.setattr(cache, "CACHE_CHUNK", 2)
    embedder = FailingEmbedder()
    texts = [f"profile number {i}" for i in range(5)]
    with pytest.raises(RuntimeError, match="power cut"):
        cache.embed_texts_cached(store, embedder, texts)
    hashes = [content_hash(text, embedder.model_id) for text in texts]
    assert set(store.cached_vectors(embedder.model_id, hashes)) == set(hashes[:4])
