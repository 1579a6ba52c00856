"""The 4 Cs of the Ideal Partner Profile: Capacity, Capability, Commitment, Customer fit.

Each C is a weighted mean of *criteria* (the rows of the Partner Evaluation Matrix), each turned
into a value in 0–1 with one evidence line a person can check ("12 certified staff of 40",
"training 85 % complete", "last active 9 days ago"). Three rules keep the scores honest:

* a missing field is **unknown**, not zero: the criterion takes the population prior, the
  evidence says "employees unknown", and ``confidence`` (share of the weight that was known) drops;
* a criterion that does not apply (the deal names no segment, a prospect has no deal history) is
  left out of the C altogether;
* win rates are shrunk toward the population mean with a beta prior and shown with their sample
  size ("win rate 45 % (shrunk from 8 of 10 deals)"), so three lucky deals do not make a star.

Customer fit is measured against a target: the deal for recommendations, or the vendor's ideal
customer profile (``[icp]`` in ``matrix.toml``) when the target is ``None`` (prospects). The same
criteria feed the trained model (:func:`model_features`), so training and serving share one code
path. Assessment is pure computation (no I/O): the recommender calls it for every candidate.
"""

from __future__ import annotations

import hashlib
import json
import math
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import NamedTuple

from matcher import taxonomy
from matcher.ipp.base import FOUR_CS, FourCs
from matcher.ipp.config import CRITERIA, MatrixConfig
from matcher.ipp.history import PerformanceHistory, Priors
from matcher.schemas import Deal, Partner, PartnerProfile

FEATURE_VERSION = 1

CRITERION_KEYS: tuple[str, ...] = tuple(f"{c}.{name}" for c in FOUR_CS for name in CRITERIA[c])
# (C, criterion name) -> its position among the model's criterion features
_CRITERION_SLOT: dict[tuple[str, str], int] = {
    (c, name): slot
    for slot, (c, name) in enumerate((c, name) for c in FOUR_CS for name in CRITERIA[c])
}


class Criterion(NamedTuple):
    """One matrix cell: a criterion's value (0–1, ``None`` = unknown), weight and evidence."""

    c: str
    name: str
    value: float | None
    weight: float
    evidence: str

    @property
    def key(self) -> str:
        """``"capacity.employees"``: the criterion's name across priors and model features."""
        return f"{self.c}.{self.name}"


@dataclass(frozen=True)
class Assessment:
    """The 4 C sub-scores with every criterion behind them (gaps and features read these)."""

    four_cs: FourCs
    criteria: tuple[Criterion, ...]
    history: PerformanceHistory | None


def _log_scale(count: float, full: float) -> float:
    return min(1.0, math.log1p(count) / math.log1p(full))


def _share(part: int, whole: int) -> str:
    return f"{part} of {whole}"


def _plural(count: int, word: str, plural: str | None = None) -> str:
    return f"{count} {word if count == 1 else (plural or word + 's')}"


def _industry_name(industry_id: str) -> str:
    return taxonomy.INDUSTRIES.get(industry_id, industry_id)


def _readable(value: str) -> str:
    return value.replace("_", " ")


@dataclass(frozen=True)
class _OwnCapability:
    """Capability as if the deal asked for no certification, specialism or industry, and what
    a deal's asks are matched against."""

    certifications: Criterion
    held: frozenset[str]  # keys of the certifications valid that day
    specialisms: Criterion
    specialisms_folded: tuple[str, ...]
    industry_depth: Criterion
    record: tuple[Criterion, ...]  # track record and CSAT (with a history), assets


@dataclass(frozen=True)
class _OwnCriteria:
    """The criteria of one partner that owe nothing to a deal (most of its 4 Cs), and what
    they were computed from: the profile, the history given (``None``: the partner's own
    12-month fields, as ``history``), the day (recency and expiry depend on it)."""

    partner: PartnerProfile
    given_history: PerformanceHistory | None
    today: date
    history: PerformanceHistory | None
    capacity: tuple[Criterion, ...]
    capability: _OwnCapability
    commitment: tuple[Criterion, ...]

    def is_for(
        self, partner: PartnerProfile, history: PerformanceHistory | None, today: date
    ) -> bool:
        """Whether these were computed from this very profile object, history and day."""
        return self.partner is partner and self.given_history is history and self.today == today


# partners whose own criteria are kept (an entry is ~2 KB; the re-ranked candidates recur)
OWN_CRITERIA_CACHE = 4_096


class FourCsAssessor:
    """Computes the 4 Cs of a partner against a deal or the ICP; pure, fast, no I/O.

    Example:
        >>> from matcher.schemas import Prospect
        >>> assessor = FourCsAssessor(reference_date=date(2026, 1, 31))
        >>> prospect = Prospect(partner_id="X-1", name="X", partner_type="consultancy",
        ...                     employees=40, certified_staff=12)
        >>> assessor.assess(prospect).evidence["capacity"][1]
        '12 certified staff of 40'
    """

    def __init__(
        self,
        config: MatrixConfig | None = None,
        priors: Priors | None = None,
        reference_date: date | None = None,
    ) -> None:
        self.config = config or MatrixConfig.load()
        self.priors = priors or Priors()
        self.reference_date = reference_date
        self._icp_regions = self.config.icp.region_codes()
        # per partner id, what its 4 Cs owe to the partner alone (see _own_cached)
        self._own_criteria: OrderedDict[str, _OwnCriteria] = OrderedDict()
        self._own_lock = threading.Lock()

    @property
    def population_win_rate(self) -> float:
        """The win rate that small samples are shrunk toward."""
        if self.priors.win_rate is not None:
            return self.priors.win_rate
        return self.config.population_win_rate

    def assess(
        self,
        partner: PartnerProfile,
        target: Deal | None = None,
        history: PerformanceHistory | None = None,
    ) -> FourCs:
        """The 4 C sub-scores (0–100) with evidence and confidence."""
        return self.assess_detailed(partner, target, history).four_cs

    def assess_detailed(
        self,
        partner: PartnerProfile,
        target: Deal | None = None,
        history: PerformanceHistory | None = None,
        reference_date: date | None = None,
    ) -> Assessment:
        """Like :meth:`assess`, keeping the criteria (for gaps, features and explanations).

        ``history`` defaults to the partner's own 12-month fields; a prospect has none, and its
        performance criteria are left out rather than counted as unknown.
        """
        today = reference_date or self.reference_date or date.today()
        own = (
            self._own_cached(partner, history, today)
            if reference_date is None and isinstance(partner, Partner)
            else self._own(partner, history, today)
        )
        criteria = (
            *own.capacity,
            *self._capability(partner, target, own),
            *own.commitment,
            *self._customer_fit(partner, target),
        )
        return Assessment(self._combine(criteria), criteria, own.history)

    def _own(
        self, partner: PartnerProfile, history: PerformanceHistory | None, today: date
    ) -> _OwnCriteria:
        """The criteria of ``partner`` that owe nothing to a deal, as of ``today``."""
        given = history
        if history is None and isinstance(partner, Partner):
            history = PerformanceHistory.from_partner(partner)
        has_history = history is not None or isinstance(partner, Partner)
        return _OwnCriteria(
            partner=partner,
            given_history=given,
            today=today,
            history=history,
            capacity=tuple(self._capacity(partner)),
            capability=self._own_capability(partner, history, has_history, today),
            commitment=tuple(self._commitment(partner, today)),
        )

    def _own_cached(
        self, partner: PartnerProfile, history: PerformanceHistory | None, today: date
    ) -> _OwnCriteria:
        """:meth:`_own`, computed once per partner version: the profile object is the version
        (the engine hands out the same object until a write replaces it, so an upserted
        partner is a new object and a miss), with the history given and the day."""
        with self._own_lock:
            own = self._own_criteria.get(partner.partner_id)
            if own is not None and own.is_for(partner, history, today):
                self._own_criteria.move_to_end(partner.partner_id)
                return own
        own = self._own(partner, history, today)
        with self._own_lock:
            self._own_criteria[partner.partner_id] = own
            self._own_criteria.move_to_end(partner.partner_id)
            while len(self._own_criteria) > OWN_CRITERIA_CACHE:
                self._own_criteria.popitem(last=False)
        return own

    # -- combining -----------------------------------------------------------------------

    def _combine(self, criteria: tuple[Criterion, ...]) -> FourCs:
        sums = dict.fromkeys(FOUR_CS, 0.0)
        weights = dict.fromkeys(FOUR_CS, 0.0)
        evidence: dict[str, list[str]] = {c: [] for c in FOUR_CS}
        known_weight = total_weight = 0.0
        prior_values = self.priors.values
        default = self.config.default_prior
        for criterion in criteria:
            evidence[criterion.c].append(criterion.evidence)
            if criterion.weight <= 0:
                continue
            value = criterion.value
            if value is None:
                value = prior_values.get(criterion.key, default)
            else:
                known_weight += criterion.weight
            total_weight += criterion.weight
            sums[criterion.c] += criterion.weight * value
            weights[criterion.c] += criterion.weight
        scores = {c: 100.0 * sums[c] / weights[c] if weights[c] else 50.0 for c in FOUR_CS}
        confidence = known_weight / total_weight if total_weight else 0.0
        return FourCs(**scores, evidence=evidence, confidence=round(confidence, 3))

    # -- the four Cs ---------------------------------------------------------------------

    def _capacity(self, partner: PartnerProfile) -> list[Criterion]:
        weight = self.config.criteria["capacity"]
        scales = self.config.scales
        employees = partner.employees
        out = [
            Criterion(
                "capacity",
                "employees",
                None if employees is None else _log_scale(employees, scales["employees"]),
                weight["employees"],
                "employees unknown" if employees is None else f"{employees} employees",
            )
        ]
        certified = partner.certified_staff
        if certified is None:
            out.append(
                Criterion(
                    "capacity",
                    "certified_staff",
                    None,
                    weight["certified_staff"],
                    "certified staff unknown",
                )
            )
        else:
            text = f"{certified} certified staff" + (
                f" of {employees}" if employees is not None else ""
            )
            out.append(
                Criterion(
                    "capacity",
                    "certified_staff",
                    _log_scale(certified, scales["certified_staff"]),
                    weight["certified_staff"],
                    text,
                )
            )
        customers = partner.customers
        out.append(
            Criterion(
                "capacity",
                "customers",
                None if customers is None else _log_scale(customers, scales["customers"]),
                weight["customers"],
                "customer count unknown" if customers is None else f"{customers} customers",
            )
        )
        countries = len(partner.countries)
        out.append(
            Criterion(
                "capacity",
                "reach",
                min(1.0, countries / scales["countries"]) if countries else None,
                weight["reach"],
                f"serves {countries} countr{'y' if countries == 1 else 'ies'}"
                if countries
                else "countries served unknown",
            )
        )
        active, maximum = partner.active_projects, partner.max_projects
        if active is None or maximum is None:
            out.append(
                Criterion(
                    "capacity", "headroom", None, weight["headroom"], "project headroom unknown"
                )
            )
        elif maximum == 0:
            out.append(
                Criterion("capacity", "headroom", 0.0, weight["headroom"], "no project capacity")
            )
        else:
            headroom = max(0.0, 1.0 - active / maximum)
            out.append(
                Criterion(
                    "capacity",
                    "headroom",
                    headroom,
                    weight["headroom"],
                    f"{active} of {maximum} project slots in use ({headroom * 100:.0f} % headroom)",
                )
            )
        return out

    def _capability(
        self, partner: PartnerProfile, target: Deal | None, own: _OwnCriteria
    ) -> list[Criterion]:
        """Capability against ``target``: a criterion the deal asks nothing of is the
        partner's own (``own``); certifications, specialisms, industry depth and partner type
        are measured against what the deal asks for."""
        weight = self.config.criteria["capability"]
        out: list[Criterion] = []
        required = target.certification_keys if target is not None else []
        if required:
            matched = sum(1 for key in required if key in own.capability.held)
            out.append(
                Criterion(
                    "capability",
                    "certifications",
                    matched / len(required),
                    weight["certifications"],
                    f"holds {_share(matched, len(required))} required certifications",
                )
            )
        else:
            out.append(own.capability.certifications)

        wanted = target.specialisms if target is not None else []
        if wanted:
            listed = own.capability.specialisms_folded
            matched = sum(
                1 for w in wanted if any(w.casefold() in s or s in w.casefold() for s in listed)
            )
            out.append(
                Criterion(
                    "capability",
                    "specialisms",
                    matched / len(wanted) if listed else None,
                    weight["specialisms"],
                    f"matches {_share(matched, len(wanted))} requested specialisms"
                    if listed
                    else "specialisms unknown",
                )
            )
        else:
            out.append(own.capability.specialisms)

        industry = target.industry if target is not None else None
        history = own.history
        if industry is not None and history is not None and history.industry_deals:
            done = history.industry_deals.get(industry, 0)
            out.append(
                Criterion(
                    "capability",
                    "industry_depth",
                    _log_scale(done, 10),
                    weight["industry_depth"],
                    f"{done} past deal{'s' if done != 1 else ''} in {_industry_name(industry)}",
                )
            )
        else:
            out.append(own.capability.industry_depth)

        out += own.capability.record
        if target is not None and target.partner_types:
            matches = partner.partner_type in target.partner_types
            kind = _readable(partner.partner_type)
            out.append(
                Criterion(
                    "capability",
                    "partner_type",
                    1.0 if matches else 0.0,
                    weight["partner_type"],
                    f"{kind}, as requested" if matches else f"{kind}, not a requested type",
                )
            )
        return out

    def _own_capability(
        self,
        partner: PartnerProfile,
        history: PerformanceHistory | None,
        has_history: bool,
        today: date,
    ) -> _OwnCapability:
        """The capability criteria that owe nothing to a deal: certifications, specialisms and
        industry focus as if the deal asked for none, the track record, CSAT and assets."""
        weight = self.config.criteria["capability"]
        scales = self.config.scales
        # an expired certification is no capability any more
        held = [c for c in partner.certifications if c.valid_on(today)]
        if held:
            names = ", ".join(certification.name for certification in held[:3])
            more = f" and {len(held) - 3} more" if len(held) > 3 else ""
            certifications = Criterion(
                "capability",
                "certifications",
                min(1.0, len(held) / scales["certifications"]),
                weight["certifications"],
                f"{len(held)} certification{'s' if len(held) != 1 else ''}: {names}{more}",
            )
        elif partner.certified_staff == 0:
            certifications = Criterion(
                "capability", "certifications", 0.0, weight["certifications"], "no certifications"
            )
        else:
            certifications = Criterion(
                "capability",
                "certifications",
                None,
                weight["certifications"],
                "certifications unknown",
            )

        specialisms = partner.specialisms
        listed = Criterion(
            "capability",
            "specialisms",
            min(1.0, len(specialisms) / scales["specialisms"]) if specialisms else None,
            weight["specialisms"],
            f"{len(specialisms)} specialism{'s' if len(specialisms) != 1 else ''}"
            if specialisms
            else "specialisms unknown",
        )

        count = len(partner.industries)
        if count:
            focus = 1.0 if count <= scales["industries"] else scales["industries"] / count
            text = f"focused on {count} industr{'y' if count == 1 else 'ies'}"
            if count > scales["industries"]:
                text = f"spread over {count} industries"
            industry_depth = Criterion(
                "capability", "industry_depth", focus, weight["industry_depth"], text
            )
        else:
            industry_depth = Criterion(
                "capability",
                "industry_depth",
                None,
                weight["industry_depth"],
                "industry focus unknown",
            )

        record: list[Criterion] = []
        if has_history:
            record.append(self._track_record(history, weight["track_record"]))
            csat = history.csat if history is not None else None
            record.append(
                Criterion(
                    "capability",
                    "csat",
                    None if csat is None else csat / 100.0,
                    weight["csat"],
                    "CSAT unknown" if csat is None else f"CSAT {csat:.0f}",
                )
            )
        assets = partner.assets
        record.append(
            Criterion(
                "capability",
                "assets",
                min(1.0, len(assets) / scales["assets"]) if assets else None,
                weight["assets"],
                _plural(len(assets), "template or integration", "templates or integrations")
                if assets
                else "templates and integrations unknown",
            )
        )
        return _OwnCapability(
            certifications=certifications,
            held=frozenset(certification.key for certification in held),
            specialisms=listed,
            specialisms_folded=tuple(s.casefold() for s in specialisms),
            industry_depth=industry_depth,
            record=tuple(record),
        )

    def _track_record(self, history: PerformanceHistory | None, weight: float) -> Criterion:
        """Win rate shrunk toward the population mean: (wins + k·m) / (deals + k)."""
        if history is None or history.deals == 0:
            return Criterion(
                "capability", "track_record", None, weight, "win rate unknown (no closed deals)"
            )
        mean = self.population_win_rate
        strength = self.config.prior_strength
        shrunk = (history.wins + strength * mean) / (history.deals + strength)
        return Criterion(
            "capability",
            "track_record",
            min(1.0, max(0.0, 0.5 + shrunk - mean)),
            weight,
            f"win rate {shrunk * 100:.0f} % (shrunk from {history.wins} of {history.deals} deals)",
        )

    def _commitment(self, partner: PartnerProfile, today: date) -> list[Criterion]:
        weight = self.config.criteria["commitment"]
        scales = self.config.scales
        manager = partner.dedicated_manager
        out = [
            Criterion(
                "commitment",
                "dedicated_manager",
                None if manager is None else float(manager),
                weight["dedicated_manager"],
                "partner manager unknown"
                if manager is None
                else ("dedicated partner manager" if manager else "no dedicated partner manager"),
            )
        ]
        training = partner.training_completion
        out.append(
            Criterion(
                "commitment",
                "training",
                training,
                weight["training"],
                "training unknown"
                if training is None
                else f"training {training * 100:.0f} % complete",
            )
        )
        registrations = partner.deal_registrations_12m
        out.append(
            Criterion(
                "commitment",
                "deal_registrations",
                None
                if registrations is None
                else _log_scale(registrations, scales["deal_registrations"]),
                weight["deal_registrations"],
                "deal registrations unknown"
                if registrations is None
                else f"{_plural(registrations, 'deal registration')} in 12 months",
            )
        )
        if partner.last_active is None:
            out.append(
                Criterion("commitment", "recency", None, weight["recency"], "last activity unknown")
            )
        else:
            days = (today - partner.last_active).days
            full, zero = scales["recency_full_days"], scales["recency_zero_days"]
            value = 1.0 if days <= full else max(0.0, (zero - days) / (zero - full))
            text = (
                "active today"
                if days <= 0
                else f"last active {days} day{'s' if days != 1 else ''} ago"
            )
            out.append(Criterion("commitment", "recency", value, weight["recency"], text))
        employees, certified = partner.employees, partner.certified_staff
        if employees and certified is not None:
            share = min(1.0, certified / employees)
            out.append(
                Criterion(
                    "commitment",
                    "certified_share",
                    min(1.0, share / 0.5),
                    weight["certified_share"],
                    f"{share * 100:.0f} % of staff certified",
                )
            )
        else:
            out.append(
                Criterion(
                    "commitment",
                    "certified_share",
                    None,
                    weight["certified_share"],
                    "certified share unknown",
                )
            )
        return out

    def _customer_fit(self, partner: PartnerProfile, target: Deal | None) -> list[Criterion]:
        weight = self.config.criteria["customer_fit"]
        icp = self.config.icp
        out: list[Criterion] = []

        deal_industry = target.industry if target is not None else None
        industry = _industry_name(deal_industry) if deal_industry is not None else ""

        def icp_industries() -> tuple[float, str]:
            overlap = sum(1 for industry in icp.industries if industry in partner.industries)
            needed = min(len(icp.industries), self.config.scales["industries"])
            return min(1.0, overlap / needed), (
                f"serves {_share(overlap, len(icp.industries))} target industries"
            )

        out += _served(
            "industries",
            partner.industries,
            deal_industry,
            (f"serves the deal's industry ({industry})", f"does not serve {industry}"),
            icp_industries if icp.industries else None,
            "industries unknown",
            weight,
        )

        deal_country = target.country if target is not None else None

        def icp_regions() -> tuple[float, str]:
            own = set(partner.countries)
            missing = [region for region, codes in self._icp_regions if not own & codes]
            covered = len(self._icp_regions) - len(missing)
            text = f"covers {_share(covered, len(self._icp_regions))} target regions"
            return covered / len(self._icp_regions), text + (
                f" (not {', '.join(missing)})" if missing else ""
            )

        out += _served(
            "regions",
            partner.countries,
            deal_country,
            (f"serves {deal_country}", f"does not serve {deal_country}"),
            icp_regions if self._icp_regions else None,
            "countries served unknown",
            weight,
        )

        deal_segment = target.segment if target is not None else None
        label = _readable(deal_segment) if deal_segment is not None else ""

        def icp_segments() -> tuple[float, str]:
            overlap = sum(1 for segment in icp.segments if segment in partner.segments)
            return overlap / len(icp.segments), (
                f"serves {_share(overlap, len(icp.segments))} target segments"
            )

        out += _served(
            "segments",
            partner.segments,
            deal_segment,
            (f"serves {label} customers", f"does not serve {label} customers"),
            icp_segments if icp.segments else None,
            "segments unknown",
            weight,
        )

        wanted = (
            target.languages if target is not None and target.languages else list(icp.languages)
        )
        if wanted:
            spoken = partner.languages
            if not spoken:
                value, text = None, "languages unknown"
            else:
                matched = sum(1 for language in wanted if language in spoken)
                value = matched / len(wanted)
                text = f"speaks {_share(matched, len(wanted))} required languages"
            out.append(Criterion("customer_fit", "languages", value, weight["languages"], text))
        return out


def _served(
    name: str,
    own: Sequence[str],
    deal_value: str | None,
    deal_texts: tuple[str, str],
    against_icp: Callable[[], tuple[float, str]] | None,
    unknown: str,
    weight: Mapping[str, float],
) -> list[Criterion]:
    """One Customer-fit criterion (industries, regions, segments): does the partner serve the
    deal's value (``deal_texts`` say served / not served), or, for a prospect with no deal, how
    much of the ICP's targets (``against_icp``); nothing when neither applies. An empty
    ``own`` is unknown, not zero."""
    if deal_value is None and against_icp is None:
        return []
    value: float | None
    if not own:
        value, text = None, unknown
    elif deal_value is not None:
        serves = deal_value in own
        value, text = (1.0 if serves else 0.0), deal_texts[0 if serves else 1]
    else:
        assert against_icp is not None
        value, text = against_icp()
    return [Criterion("customer_fit", name, value, weight[name], text)]


# -- model features ---------------------------------------------------------------------------

FEATURE_NAMES: tuple[str, ...] = (
    *FOUR_CS,
    "confidence",
    *CRITERION_KEYS,
    "history_deals_log",
    "deal_size_log",
)


def feature_schema_hash(config: MatrixConfig) -> str:
    """Identifies the feature definition a trained model expects; a mismatch means "retrain"."""
    canonical = json.dumps(
        {"version": FEATURE_VERSION, "names": FEATURE_NAMES, "config": config.fingerprint()}
    )
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def model_features(assessment: Assessment, target: Deal | None) -> list[float]:
    """The trained model's input row, in :data:`FEATURE_NAMES` order; unknown is ``nan``.

    The same function builds training rows (with history as of each deal's close date) and
    serving rows, so the model sees identical definitions in both.
    """
    four_cs = assessment.four_cs
    known = [math.nan] * len(CRITERION_KEYS)
    for criterion in assessment.criteria:
        if criterion.value is not None:
            slot = _CRITERION_SLOT.get((criterion.c, criterion.name))
            if slot is not None:
                known[slot] = criterion.value
    history = assessment.history
    deal_size = target.deal_size if target is not None else None
    return [
        four_cs.capacity,
        four_cs.capability,
        four_cs.commitment,
        four_cs.customer_fit,
        four_cs.confidence,
        *known,
        math.log1p(history.deals) if history is not None else math.nan,
        math.log1p(deal_size) if deal_size is not None else math.nan,
    ]


def fit_priors(
    partners: Iterable[PartnerProfile],
    config: MatrixConfig | None = None,
    histories: Mapping[str, PerformanceHistory] | None = None,
    reference_date: date | None = None,
) -> Priors:
    """Population means of every criterion (against the ICP) and the pooled win rate.

    An unknown field then counts as "like the average partner", not as zero.
    """
    assessor = FourCsAssessor(config, reference_date=reference_date)
    sums: dict[str, float] = {}
    counts: dict[str, int] = {}
    wins = deals = 0
    for partner in partners:
        history = (histories or {}).get(partner.partner_id)
        assessment = assessor.assess_detailed(partner, None, history)
        for criterion in assessment.criteria:
            if criterion.value is not None:
                sums[criterion.key] = sums.get(criterion.key, 0.0) + criterion.value
                counts[criterion.key] = counts.get(criterion.key, 0) + 1
        if assessment.history is not None:
            wins += assessment.history.wins
            deals += assessment.history.deals
    values = {key: round(sums[key] / counts[key], 4) for key in sums}
    return Priors(values=values, win_rate=round(wins / deals, 4) if deals else None)
