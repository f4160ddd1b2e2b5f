# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Urvalet 2014, kört om
#
# Designen i datapaketets designfil (`data/design/2014.yaml` i det medföljande) tillämpas på en ram med landets 290 kommuner. Utan
# annan ram används den **syntetiska** demonstrationsramen: verkliga kommuner och
# folkmängder, men påhittade uppgifter från Kronofogden och BME. Allt som görs av den är
# märkt som syntetiskt.
#
# Parametrar: `data_dir` (datapaketet för en våg; tomt = det medföljande), `frame_path`
# (en egen ram som CSV eller Excel; tom = den syntetiska), `seed` (fröet till de
# permanenta slumptalen) och `replicates` (Monte Carlo-upprepningar).

# %% tags=["parameters"]
data_dir = ""
frame_path = ""
seed = 2014
replicates = 100_000

# %%
from IPython.display import Markdown

from sbm_stats.report import Report, plots
from sbm_stats.sampling import (
    compare_designs,
    design_sensitivity,
    design_variant,
    inclusion_probabilities,
    load_design,
    load_frame,
    probability_table,
    published_sample_check,
    select_sample,
)

annex = Report.load(data_dir=data_dir, seed=seed).design  # the data package's design file
design = annex.design
frame = load_frame(frame_path) if frame_path else annex.frame
print("Ram:", frame.attrs.get("source_file", frame_path), "| syntetisk:", frame.attrs.get("synthetic"))

# %% [markdown]
# ## Designen

# %%
design.to_frame()

# %% [markdown]
# ## Urvalet och protokollet
#
# Samma frö ger samma urval på alla datorer: slumptalen är en hashfunktion av fröet,
# steget och kommunkoden, inte en följd ur en slumptalsgenerator.

# %%
sample = select_sample(frame, design, seed=seed)
sample.to_frame()

# %%
Markdown(sample.protocol(published_check=published_sample_check(frame, design)))

# %% [markdown]
# ## Inklusionssannolikheter
#
# Exakta där designen tillåter det och med Monte Carlo över `replicates` upprepningar av
# hela designen; de två ska stämma inom några standardfel.

# %%
probs = inclusion_probabilities(frame, design, replicates=replicates, seed=seed)
print("största |Monte Carlo − exakt| / standardfel:", round(probs.max_abs_z(), 2))
table = probability_table(probs, data_dir=annex.data_dir)
table.sort_values("probability", ascending=False).head(40)

# %%
plots.inclusion_by_population(table.population_2013.to_numpy(), table.probability.to_numpy(),
                              synthetic=probs.synthetic, highlight=table.asked_2014.to_numpy())

# %%
plots.inclusion_by_county(table.county_name, table.probability, synthetic=probs.synthetic)

# %% [markdown]
# ## Känslighet för designens öppna antaganden
#
# Publikationen lämnar flera val öppna; designfilen märker vart och ett med OPEN ASSUMPTION.
# De som har ett körbart alternativ står under `open_assumptions` i designfilen: storleken
# på BME-dragningarna tillsammans med vad som händer när kommunen med högst värde redan är
# vald (A1+A2, ett gemensamt antagande; alternativet är designfilen
# `data/design/2014_skip.yaml`), om övertagandelistan ligger inom barnlistan (A5), i vilken
# ordning Kronofogdens åtta val görs (A9) och i vilken ordning slumpstegen dras (A10). Alla
# kombinationer körs. För varje kommun visas spannet för den exakta
# inklusionssannolikheten och i hur många varianter den kommer med med fröet ovan.

# %%
sensitivity = design_sensitivity(frame, design, seed=seed)
sensitivity.variants_frame()

# %%
sensitivity.to_frame().sort_values("probability_range", ascending=False).head(20)

# %% [markdown]
# Vad som ändras mellan standarddesignen och två varianter: exakta
# inklusionssannolikheter och urvalet med samma frö (bara kommuner där något skiljer).

# %%
variants = {
    "standard (nästa i tur, 8 + 7)": design,
    "hoppa över redan vald (10 + 9)": load_design(annex.data_dir / "design" / "2014_skip.yaml"),
    "Kronofogdens variabler i omvänd ordning": design_variant(design, choose={"a9_pick_order": "variables_reversed"}),
}
sens = compare_designs(frame, variants, sample_seed=seed)
sens[sens.differs]

# %%
names = list(variants)
plots.sensitivity(sens[names[0]], sens[names[1]], base_label=names[0], other_label=names[1],
                  synthetic=sens.attrs["synthetic"])

# %%
plots.sensitivity(sens[names[0]], sens[names[2]], base_label=names[0], other_label=names[2],
                  synthetic=sens.attrs["synthetic"])
