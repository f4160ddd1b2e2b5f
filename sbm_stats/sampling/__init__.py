"""Re-run the 2014 sample design of Socialstyrelsen's interview study (issue 7).

The publication ("Den sekundära bostadsmarknaden", Socialstyrelsen 2015, Metod /
Urval av kommuner and footnote 2) chose 30 municipalities in four stages: four fixed
ones; for each of four Kronofogden 2013 variables the municipality with the highest
count and the one with the highest count per inhabitant; random draws from two BME
2014 lists; and a supplement of one municipality reporting no children under 18 in
its second-hand contracts and two that did not answer that question.

The design lives in a declarative file, ``data/design/2014.yaml``, that
:func:`load_design` reads; a later wave is another such file. The frame (one row per
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
design file, commented there, with these defaults):

A1 Size of each stage-3 draw (``size``): only the total of 26 besides the four is
   given. 30 - 4 - 8 - 3 leaves 15 random draws in stage 3, split 8 (children list,
   named first) and 7 (takeover list).
A2 A "highest" municipality already selected (``already_selected``): ``next``, take
   the next-ranked not yet selected. Stockholm almost surely has the highest count of
   every variable and is already fixed; with ``skip`` stage 2 would add 0 to 8
   municipalities depending on the data and the published total of 30 could only
   come out by chance, with ``next`` it adds exactly 8. (The published list also holds
   large municipalities outside the four, such as Norrköping, Örebro and Södertälje,
   which next-ranked counts would pick; consistent with, not proof of, this reading.)
A3 Ties in a ranking (``ties``): ``lowest_code`` (the lower municipality code first),
   which keeps stage 2 deterministic given the frame; ``error`` stops instead.
A4 "Per inhabitant" (``per``, ``population``): per 10 000 inhabitants of 31 December
   2013. The scale changes only the words in the protocol, not the ranking.
A5 Overlap of the two stage-3 lists and repeated selection (``eligible``,
   ``exclude_selected``): the lists are taken as described, so they overlap; every
   random stage first removes municipalities already selected, so the 30 are distinct.
A6 Independence of the random draws (``random_numbers``): ``per_stage``, one permanent
   random number per municipality and random stage, so each stage is a simple random
   sample of what its list has left ("ur var och en av grupperna ... slumpmässigt");
   ``shared`` (one number per municipality, Statistics Sweden's coordination) is an
   option.

Selection uses permanent random numbers (:mod:`sbm_stats.sampling._prn`): BLAKE2b
of seed, stage and code mapped to (0, 1); a random stage takes the smallest numbers
in its list. No pseudo-random stream is consumed, so the sample is the same
everywhere.
"""

from ._design import (
    CertaintyStage,
    Design,
    ExtremesStage,
    ExtremeVariable,
    OpenAssumption,
    RandomStage,
    default_design_path,
    load_design,
)
from ._frame import check_frame, demo_frame, demo_frame_path, load_frame, load_frame_schema
from ._prn import PRN_FORMULA, permanent_random_number
from ._probabilities import InclusionProbabilities, inclusion_probabilities
from ._published import PublishedSampleCheck, PublishedUnitCheck, published_sample_check
from ._select import SYNTHETIC_BANNER, Sample, SelectedUnit, StageRecord, select_sample
from ._sensitivity import (
    DesignSensitivity,
    SensitivityVariant,
    compare_designs,
    design_sensitivity,
    design_variant,
)
from ._views import probability_table
from ._synthetic import make_demo_frame, write_demo_frame

__all__ = [
    "probability_table",
    "design_variant",
    "compare_designs",
    "design_sensitivity",
    "DesignSensitivity",
    "SensitivityVariant",
    "OpenAssumption",
    "load_design",
    "default_design_path",
    "Design",
    "CertaintyStage",
    "ExtremesStage",
    "ExtremeVariable",
    "RandomStage",
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
