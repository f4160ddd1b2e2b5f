"""Re-run the 2014 sample design of Socialstyrelsen's interview study (issue 7).

The publication ("Den sekundära bostadsmarknaden", Socialstyrelsen 2015, Metod /
Urval av kommuner and footnote 2) chose 30 municipalities in four stages: four fixed
ones; for each of four Kronofogden 2013 variables the municipality with the highest
count and the one with the highest count per inhabitant; random draws from two BME
2014 lists; and a supplement of one municipality reporting no children under 18 in
its second-hand contracts and two that did not answer that question.

The design lives in a declarative file, ``data/design/2014.yaml``, that
:func:`load_design` reads; a later wave is another such file. Each kind of stage
(``certainty``, ``extremes``, ``random``) is one module of :mod:`sbm_stats.sampling.stages`
behind the :class:`Stage` protocol, named in the registry :data:`STAGE_KINDS`; the
Swedish selection protocol is rendered from ``sampling/templates/protocol.md.j2``. The frame (one row per
municipality with the selection variables) is validated by :func:`load_frame`
against ``data/schemas/frame.schema.json``; the real per-municipality figures are not
public, so the package ships a clearly labelled **synthetic** stand-in,
:func:`demo_frame` (see :mod:`sbm_stats.sampling._synthetic`).

Workflow::

    design = load_design()                         # data/design/2014.yaml
    frame = load_frame("my_frame.xlsx")            # or demo_frame() (synthetic)
    sample = select_sample(frame, design, seed=20140501)
    sample.to_frame(); sample.protocol()           # CSV rows; Swedish protocol
    probs = inclusion_probabilities(frame, design, replicates=100_000, seed=1)
    check = published_sample_check(frame, design)  # the published 30 vs the frame

or on the command line: ``sbm-stats sample --seed N --out DIR``.

Open assumptions (the publication leaves these open; each is an explicit key of the
design file, commented there with an ``OPEN ASSUMPTION`` mark, with these defaults):

A1+A2 One joint assumption: the size of each BME draw (``size``; only the total of 26
   besides the four is given) together with what happens when a "highest"
   municipality is already selected (``already_selected``). Default ``next`` (the
   next-ranked one not yet selected; the Kronofogden stage adds exactly 8) with
   8 + 7 BME draws; the alternative ``skip`` with the draws enlarged to 10 + 9
   (``data/design/2014_skip.yaml``) also gives 30 on the demo frame. Neither is forced
   by the total, and the large municipalities of the published list (Norrköping,
   Örebro, Södertälje) are no evidence either way.
A3 Ties in a ranking (``ties``): ``lowest_code`` (the lower municipality code first),
   which keeps the Kronofogden stage deterministic given the frame; ``error`` stops.
A4 "Per inhabitant" (``per``, ``population``): per 10 000 inhabitants of 31 December
   2013. The scale changes only the words in the protocol, not the ranking.
A5 The two BME lists (``eligible``, ``exclude_selected``): taken as described, so they
   overlap; every random stage first removes municipalities already selected, so the
   30 are distinct. Alternatives: disjoint lists, or the takeover list nested in the
   children list (BME 2014 asked its follow-up only of municipalities letting to
   households with children; alternative ``nested``).
A6 Random numbers (``random_numbers``): ``per_stage``, one permanent random number per
   municipality and random stage, so the random numbers of different stages are
   independent and each draw is a simple random sample of what its list has left;
   ``shared`` (one number per municipality, Statistics Sweden's coordination) is an
   option. Over the whole design the municipalities of one list still have unequal
   inclusion probabilities (0.041 to 0.086 within the takeover list on the demo frame).
A7 The year of Kronofogden's statistics: 2013.
A8 The two municipalities that did not answer the children question are drawn at
   random (the text says "slumpmässigt" only of the one without children).
A9 The order of the eight Kronofogden picks (``variable_order``, ``pick_order``): the
   variables as footnote 2 lists them, each count before its value per inhabitant.
A10 The order of the random stages (``random_order``): as the publication names them.

``open_assumptions`` in the design file lists the runnable alternatives;
:func:`design_variant` applies a choice, :func:`compare_designs` shows what changes
between designs (inclusion probabilities and the sample for a seed), and
:func:`design_sensitivity` (``sbm-stats sample --sensitivity``) runs every
combination.

Selection uses permanent random numbers (:mod:`sbm_stats.sampling._prn`): BLAKE2b
of seed, stage and code mapped to (0, 1); a random stage takes the smallest numbers
in its list. No pseudo-random stream is consumed, so the sample is the same
everywhere.
"""

from ._design import Design, OpenAssumption, default_design_path, load_design
from ._frame import check_frame, demo_frame, demo_frame_path, load_frame, load_frame_schema
from ._prn import PRN_FORMULA, permanent_random_number
from ._probabilities import InclusionProbabilities, inclusion_probabilities
from ._protocol import SYNTHETIC_BANNER
from ._published import PublishedSampleCheck, PublishedUnitCheck, published_sample_check
from ._record import StageRecord
from ._select import Sample, SelectedUnit, select_sample
from ._sensitivity import (
    DesignSensitivity,
    InfeasibleVariant,
    SensitivityVariant,
    compare_designs,
    design_sensitivity,
    design_variant,
)
from ._synthetic import make_demo_frame, write_demo_frame
from ._views import probability_table
from .stages import STAGE_KINDS, CertaintyStage, ExtremesStage, ExtremeVariable, RandomStage, Stage

__all__ = [
    "probability_table",
    "design_variant",
    "compare_designs",
    "design_sensitivity",
    "DesignSensitivity",
    "SensitivityVariant",
    "InfeasibleVariant",
    "OpenAssumption",
    "load_design",
    "default_design_path",
    "Design",
    "CertaintyStage",
    "ExtremesStage",
    "ExtremeVariable",
    "RandomStage",
    "Stage",
    "STAGE_KINDS",
    "load_frame",
    "load_frame_schema",
    "check_frame",
    "demo_frame",
    "demo_frame_path",
    "make_demo_frame",
    "write_demo_frame",
    "permanent_random_number",
    "PRN_FORMULA",
    "select_sample",
    "Sample",
    "SelectedUnit",
    "StageRecord",
    "SYNTHETIC_BANNER",
    "inclusion_probabilities",
    "InclusionProbabilities",
    "published_sample_check",
    "PublishedSampleCheck",
    "PublishedUnitCheck",
]
