"""The data package of a wave: loaders that read and validate each table of ``data/``.

``_package`` holds :class:`DataPackage` (one wave's package, read from its
``datapackage.json`` and passed explicitly) and :class:`Figure` (one published figure),
``_loaders`` the loaders and the data check, ``_tables`` the one reader that turns
a CSV or Excel file into a validated DataFrame, ``_paths`` where the bundled package is
(without pandas, so that the command line starts fast).
"""

from __future__ import annotations

from .._lazy import exports

__all__, __getattr__, __dir__ = exports(__name__, globals(), {
    "._loaders": ["load_datapackage", "load_table", "load_sources", "load_municipalities",
                  "load_published_figures", "load_sample_2014", "load_housing_solutions",
                  "load_vulnerability_factors", "load_verbal_quantities", "load_wave_measures",
                  "load_published_sample", "check_data", "DataCheckReport", "TABLES"],
    "._package": ["DataPackage", "Figure"],
    "._paths": ["default_data_dir"],
})
