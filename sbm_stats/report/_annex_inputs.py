"""What the design annex reads and computes once: the design, its variants, the SYNTHETIC frame.

:class:`DesignInputs` opens the data package's design file and demonstration frame and
computes, on first use, the sample, the exact inclusion probabilities, the sensitivity
to the open assumptions and the comparison with the variant files. Every part of the
annex (:mod:`._design_annex`) reads them from here; none computes them again.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..data._package import DataPackage
from .formatting import fmt_int, join_sv

__all__ = ["DesignInputs", "short", "quoted", "id_part", "year_of"]


def short(label: str) -> str:
    """A stage's short name: its label up to the colon ('BME, barn')."""
    return label.split(":", 1)[0]


def quoted(names) -> str:
    """Names in Swedish quotes, joined with 'och'."""
    return join_sv(f"”{n}”" for n in names)


def id_part(name: str) -> str:
    """A name as a part of a value's id: 'A1+A2 alternativet' -> 'A1_A2_alternativet'."""
    return re.sub(r"[^A-Za-z0-9_.:-]+", "_", name)


def year_of(column: str) -> str:
    """The year a frame column's name ends with: '2013' for ``population_2013``."""
    m = re.search(r"_([0-9]{4})\Z", column)
    if not m:
        raise ValueError(f"column ({column!r}) must end in _<year>, as the frame schema's names do")
    return m.group(1)


@dataclass(frozen=True)
class DesignInputs:
    """The design of the data package ``package`` and what is computed from it on its SYNTHETIC frame."""

    package: DataPackage
    seed: int

    @property
    def data_dir(self) -> Path:
        """The folder of the data package."""
        return self.package.path

    @functools.cached_property
    def design(self):
        """The wave's :class:`~sbm_stats.sampling.Design` (the descriptor's design without ``variant_of``)."""
        from ..sampling import load_design

        return load_design(package=self.package)

    @property
    def variant_paths(self) -> tuple[Path, ...]:
        """The variant files of the wave's design, as the descriptor lists them."""
        return tuple(p for p in self.package.design_paths.values() if p != self.package.design_path)

    @property
    def has_variant_files(self) -> bool:
        """Whether the package has variant files of the design."""
        return bool(self.variant_paths)

    @functools.cached_property
    def frame(self) -> pd.DataFrame:
        """The SYNTHETIC demonstration frame of the data package."""
        from ..sampling import demo_frame

        return demo_frame(self.package)

    @functools.cached_property
    def sample(self):
        """The design drawn from the SYNTHETIC frame with the seed."""
        from ..sampling import select_sample

        return select_sample(self.frame, self.design, seed=self.seed)

    @functools.cached_property
    def probabilities(self) -> pd.DataFrame:
        """Exact inclusion probabilities of every municipality on the SYNTHETIC frame."""
        from ..sampling import inclusion_probabilities, probability_table

        return probability_table(inclusion_probabilities(self.frame, self.design), package=self.package)

    @functools.cached_property
    def sensitivity(self):
        """Every combination of the open assumptions (:func:`~sbm_stats.sampling.design_sensitivity`)."""
        from ..sampling import design_sensitivity

        return design_sensitivity(self.frame, self.design, seed=self.seed)

    @functools.cached_property
    def variant_comparison(self) -> pd.DataFrame:
        """The design against its variant files (:func:`~sbm_stats.sampling.compare_designs`); a variant
        file that cannot be carried out on the frame is left out (``attrs["infeasible"]``)."""
        from ..sampling import compare_designs, load_design

        designs = {self.design_name(self.design): self.design}
        for path in self.variant_paths:
            variant = load_design(path, package=self.package)
            designs[self.design_name(variant)] = variant
        return compare_designs(self.frame, designs, sample_seed=self.seed, on_infeasible="omit")

    @property
    def variant_files_refused(self) -> tuple[str, ...]:
        """The names of the variant files that cannot be carried out on the frame (left out of the comparison)."""
        return tuple(self.variant_comparison.attrs["infeasible"]) if self.has_variant_files else ()

    @functools.cached_property
    def published_check(self):
        """The published sample against the SYNTHETIC frame (:func:`~sbm_stats.sampling.published_sample_check`)."""
        from ..sampling import published_sample_check

        return published_sample_check(self.frame, self.design)

    @functools.cached_property
    def names(self) -> dict[str, str]:
        """Municipality code to name."""
        p = self.probabilities
        return dict(zip(p.municipality_code, p.municipality_name))

    # ------------------------------------------------------------------ the design's parts

    def stage(self, stage_id: str, design=None):
        """A stage of the design (or of ``design``)."""
        return (design or self.design).stage(stage_id)

    def extremes(self):
        """The design's (first) extremes stage."""
        stages = [s for s in self.design.stages if s.kind == "extremes"]
        if not stages:
            raise ValueError(f"{self.design.path}: the design has no extremes stage")
        return stages[0]

    @property
    def population_column(self) -> str:
        """The frame's column that "per inhabitant" divides by (the extremes stage's ``population``)."""
        return self.extremes().population

    def size_of(self, stage_id: str, design=None) -> int:
        """A stage's size as the design's table gives it."""
        return int((design or self.design).to_frame().set_index("stage").loc[stage_id, "size"])

    def titles(self, design=None) -> dict[str, str]:
        """The frame schema's titles of its columns."""
        return {f["name"]: f.get("title", f["name"]) for f in (design or self.design).frame_schema["fields"]}

    def alternative(self, name: str):
        """The open assumption that has the alternative ``name``."""
        for assumption in self.design.open_assumptions:
            if name in assumption.alternatives:
                return assumption
        known = [a for x in self.design.open_assumptions for a in x.alternatives]
        raise ValueError(f"alternative ({name!r}) must be one of: {', '.join(known)}")

    @functools.cached_property
    def _variants(self) -> dict:
        from ..sampling import design_variant

        return {alt: design_variant(self.design, choose={a.id: alt})
                for a in self.design.open_assumptions for alt in a.alternatives}

    def variant(self, alternative: str):
        """The design with one alternative of its open assumptions."""
        self.alternative(alternative)  # a clear error for an unknown name
        return self._variants[alternative]

    def choice_short(self, assumption, choice: str) -> str:
        """'som i designen' for the default, else 'alternativ' (numbered when there are several)."""
        if choice == assumption.default:
            return "som i designen"
        if len(assumption.alternatives) == 1:
            return "alternativet"
        return f"alternativ {fmt_int(assumption.alternatives.index(choice) + 1)}"

    def design_name(self, design) -> str:
        """'designen', or the variant's non-default choices: 'A1+A2 alternativet'."""
        if not design.variant_of:
            return "designen"
        changed = [f"{a.tag} {self.choice_short(a, design.choices[a.id])}" for a in design.open_assumptions
                   if design.choices.get(a.id, a.default) != a.default]
        return ", ".join(changed) or design.name
