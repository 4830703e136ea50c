"""Classification and keyword suggestions at intake, from two signals:

- the labels of the tenant's thesaurus and plan found in the text (``LabelIndex.match_text``: any accent,
  singular or plural), which works from the first letter on;
- what the commune's clerks filed before: TF-IDF over our analysed tokens with logistic regressions, one
  multi-class model for the classification (trained on the tenant's classified records) and one
  one-vs-rest multi-label model for the keywords (trained on its records that carry keywords, over the
  keywords used at least twice). Each is cached per tenant under the count and latest change of its training
  records, so it retrains when a record is registered, classified or corrected.

Label scores are relative within one text, so they are scaled to the best one before being mixed with the
models' probabilities (``blend``). Suggestions are advice: nothing is stored until a clerk confirms or
corrects them.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import String, cast, func
from sqlmodel import Session, select

from dms import jobs, record_metadata, records, vocabulary
from dms.audit import record_event
from dms.models import File, Record
from dms.models.base import utcnow
from thesaurus.analysis import analyze_joined

MIN_SAMPLES = 6  # below this (or with a single class) only the labels speak
MAX_SAMPLES = 5000  # the most recent classified records of a tenant are enough to learn from
LEARNED_WEIGHT = 0.6  # share of the model in a score once it exists (classification and keywords alike)
MIN_KEYWORD_USES = 2  # a keyword is learned once the tenant's clerks put it on this many records
HISTORY_SOURCE = 0.05  # a model probability from which "history" is named among the sources
MAX_TEXT = 100_000
CACHE_SIZE = 16


@dataclass(frozen=True)
class Model:
    classes: list[str]
    samples: int
    pipeline: Any  # sklearn Pipeline(TfidfVectorizer, LogisticRegression)

    def probabilities(self, tokens: str) -> dict[str, float]:
        probs = self.pipeline.predict_proba([tokens])[0]
        return {uri: float(p) for uri, p in zip(self.pipeline.classes_, probs, strict=True)}


def train(token_texts: list[str], labels: list[str]) -> Model | None:
    """A classifier over analysed token strings; None when there is too little to learn from."""
    if len(token_texts) < MIN_SAMPLES or len(set(labels)) < 2:
        return None
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    pipeline = make_pipeline(
        TfidfVectorizer(analyzer=str.split, sublinear_tf=True, min_df=1),
        LogisticRegression(max_iter=1000, C=10.0),
    )
    pipeline.fit(token_texts, labels)
    return Model(sorted(set(labels)), len(labels), pipeline)


@dataclass(frozen=True)
class KeywordModel:
    """One-vs-rest over the keywords the tenant used at least ``MIN_KEYWORD_USES`` times: an independent
    probability per keyword (they do not sum to one, a record carries several)."""

    keywords: list[str]
    samples: int
    vectorizer: Any  # sklearn TfidfVectorizer
    classifier: Any  # OneVsRestClassifier(LogisticRegression), or None when one keyword only
    prior: float = 1.0  # the single keyword's share of the keyworded records, when ``classifier`` is None

    def probabilities(self, tokens: str) -> dict[str, float]:
        if self.classifier is None:
            return {self.keywords[0]: self.prior}
        probs = self.classifier.predict_proba(self.vectorizer.transform([tokens]))[0]
        return {uri: float(p) for uri, p in zip(self.keywords, probs, strict=True)}


def train_keywords(token_texts: list[str], keyword_lists: list[list[str]]) -> KeywordModel | None:
    """A multi-label keyword model; None below ``MIN_SAMPLES`` keyworded records or when no keyword was used
    twice. One learnable keyword gives a constant prior (sklearn refuses a single-class fit); a keyword on
    every record is predicted constant by ``OneVsRestClassifier``."""
    pairs = [(text, kws) for text, kws in zip(token_texts, keyword_lists, strict=True) if kws]
    if len(pairs) < MIN_SAMPLES:
        return None
    uses: dict[str, int] = {}
    for _, kws in pairs:
        for uri in set(kws):
            uses[uri] = uses.get(uri, 0) + 1
    learned = sorted(uri for uri, n in uses.items() if n >= MIN_KEYWORD_USES)
    if not learned:
        return None
    if len(learned) == 1:
        return KeywordModel(learned, len(pairs), None, None, prior=uses[learned[0]] / len(pairs))
    import warnings

    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.multiclass import OneVsRestClassifier
    from sklearn.preprocessing import MultiLabelBinarizer

    binarizer = MultiLabelBinarizer(classes=learned)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "unknown class(es)" (rare keywords), "present in all"
        y = binarizer.fit_transform([[uri for uri in kws if uri in uses and uses[uri] >= MIN_KEYWORD_USES]
                                     for _, kws in pairs])
        vectorizer = TfidfVectorizer(analyzer=str.split, sublinear_tf=True, min_df=1)
        x = vectorizer.fit_transform([text for text, _ in pairs])
        classifier = OneVsRestClassifier(LogisticRegression(max_iter=1000, C=10.0)).fit(x, y)
    return KeywordModel(list(binarizer.classes_), len(pairs), vectorizer, classifier)


def record_text(record: Record, files: list[File]) -> str:
    return "\n".join([record.subject, record.description, *(f.text for f in files)])[:MAX_TEXT]


_models: OrderedDict[tuple, Any] = OrderedDict()
_models_lock = threading.Lock()


def _cached(session: Session, tenant_id: str, kind: str, where: tuple, build) -> Any:
    """The tenant's model of ``kind``, rebuilt when the records it learns from changed (count or latest
    ``updated_at``: a record registered, classified or corrected) since the cached one."""
    count, latest = session.exec(select(func.count(), func.max(Record.updated_at)).where(*where)).one()
    key = (tenant_id, kind, count, str(latest))
    with _models_lock:
        if key in _models:
            _models.move_to_end(key)
            return _models[key]
    rows = list(session.exec(select(Record).where(*where).order_by(Record.updated_at.desc()).limit(MAX_SAMPLES)).all())
    texts: dict[str, list[str]] = {}
    if rows:
        for record_id, text in session.exec(
            select(File.record_id, File.text).where(File.tenant_id == tenant_id,
                                                    File.record_id.in_([r.id for r in rows]))
        ):
            texts.setdefault(record_id, []).append(text)
    samples = [analyze_joined("\n".join([r.subject, r.description, *texts.get(r.id, [])])[:MAX_TEXT], r.language)
               for r in rows]
    model = build(rows, samples)
    with _models_lock:
        _models[key] = model
        while len(_models) > CACHE_SIZE:
            _models.popitem(last=False)
    return model


def model_for(session: Session, tenant_id: str) -> Model | None:
    """The tenant's classifier, retrained when its classified records changed since the cached one."""
    classified = (Record.tenant_id == tenant_id, Record.classification.is_not(None), Record.cancelled == False)  # noqa: E712
    return _cached(session, tenant_id, "classification", classified,
                   lambda rows, samples: train(samples, [r.classification for r in rows]))


def keyword_model_for(session: Session, tenant_id: str) -> KeywordModel | None:
    """The tenant's keyword model, retrained when its keyworded records changed since the cached one."""
    keyworded = (Record.tenant_id == tenant_id, Record.cancelled == False,  # noqa: E712
                 func.length(cast(Record.keywords, String)) > 2)  # not "[]" (JSON text on SQLite and PostgreSQL)
    return _cached(session, tenant_id, "keywords", keyworded,
                   lambda rows, samples: train_keywords(samples, [list(r.keywords or []) for r in rows]))


def blend(labels: dict[str, float], learned: dict[str, float]) -> tuple[dict[str, float], dict[str, list[str]]]:
    """Scores in 0–1 and their sources: label scores scaled to the text's best match, weighted
    ``1 - LEARNED_WEIGHT`` once a model answers (alone before), plus ``LEARNED_WEIGHT`` × the model's probability."""
    top = max(labels.values(), default=0.0) or 1.0
    scores: dict[str, float] = {}
    sources: dict[str, list[str]] = {}
    for uri, score in labels.items():
        scores[uri] = (score / top) * (1 - LEARNED_WEIGHT if learned else 1.0)
        sources.setdefault(uri, []).append("labels")
    for uri, p in learned.items():
        scores[uri] = scores.get(uri, 0.0) + p * LEARNED_WEIGHT
        if p >= HISTORY_SOURCE:
            sources.setdefault(uri, []).append("history")
    return scores, sources


def suggest(session: Session, tenant_id: str, text: str, *, language: str = "fr", limit: int = 5) -> dict[str, Any]:
    """Ranked classes of the plan and keywords for a text, each with a score in 0–1 and its sources."""
    text = text[:MAX_TEXT]
    vocab = vocabulary.view(session, tenant_id)
    matches = vocab.index.match_text(text, language, limit=50) if vocab.thesaurus.concepts else []
    plan_labels = {m.uri: m.score for m in matches if vocab.is_plan_concept(m.uri)}
    keyword_labels = {m.uri: m.score for m in matches if not vocab.is_plan_concept(m.uri)}
    model = model_for(session, tenant_id)
    keyword_model = keyword_model_for(session, tenant_id)
    tokens = analyze_joined(text, language) if model or keyword_model else ""

    def current(probs: dict[str, float]) -> dict[str, float]:  # concepts since removed or deprecated
        return {uri: p for uri, p in probs.items() if uri in vocab.thesaurus and not vocab.thesaurus[uri].deprecated}

    learned = current(model.probabilities(tokens)) if model else {}
    learned_keywords = current(keyword_model.probabilities(tokens)) if keyword_model else {}
    scores, sources = blend(plan_labels, learned)
    keyword_scores, keyword_sources = blend(keyword_labels, learned_keywords)

    def best(ranked: dict[str, float]) -> list[tuple[str, float]]:
        return [(uri, s) for uri, s in sorted(ranked.items(), key=lambda item: (-item[1], item[0]))[:limit] if s > 0]

    def entry(uri: str, score: float, why: list[str]) -> dict[str, Any]:
        concept = vocab.thesaurus[uri]
        return {"uri": uri, "label": concept.pref_label(language), "notation": concept.notation,
                "score": round(score, 4), "sources": why}

    return {
        "classification": [entry(uri, s, sources.get(uri, [])) for uri, s in best(scores)],
        "keywords": [entry(uri, s, keyword_sources.get(uri, [])) for uri, s in best(keyword_scores)],
        "model": {"trained_on": model.samples if model else 0,
                  "keywords_trained_on": keyword_model.samples if keyword_model else 0,
                  "keywords_learned": len(keyword_model.keywords) if keyword_model else 0},
    }


def suggest_for_record(session: Session, tenant_id: str, record_id: str, *, limit: int = 5) -> dict[str, Any]:
    record = records.get(session, tenant_id, record_id)
    files = records.files_of(session, record)
    return suggest(session, tenant_id, record_text(record, files), language=record.language, limit=limit)


def classify(session: Session, tenant_id: str, actor_id: str | None, record_id: str,
             classification: str | None, keywords: list[str]) -> tuple[Record, int]:
    """A clerk confirms or corrects a record's classification and keywords: stored, audited, re-indexed,
    and the next suggestion retrains on it."""
    record = records.get(session, tenant_id, record_id)
    classification, keywords = vocabulary.check_record_concepts(session, tenant_id, classification, keywords)
    before = {"classification": record.classification, "keywords": list(record.keywords or [])}
    record.classification, record.keywords, record.updated_at = classification, keywords, utcnow()
    session.add(record)
    job = jobs.enqueue(session, records.INDEX_JOB, {"record_id": record.id}, tenant_id=tenant_id)
    record_metadata.write_version(session, record, actor_id=actor_id, reason="record.classified")
    record_event(session, tenant_id=tenant_id, actor_id=actor_id, action="record.classified",
                 object_type="record", object_id=record.id,
                 data={"before": before, "classification": classification, "keywords": keywords})
    if before["classification"] != classification:
        from dms import retention  # a new class means a new schedule and due date

        retention.on_reclassified(session, tenant_id, actor_id, record.id)
    session.flush()
    return record, job.id
