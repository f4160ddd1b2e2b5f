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
# # Urvalet, kört om
#
# Designen i datapaketets designfil (`data/design/2014.yaml` i det medföljande) tillämpas
# på en ram med landets alla kommuner. Utan annan ram används den **syntetiska**
# demonstrationsramen: verkliga kommuner och folkmängder, men påhittade uppgifter från
# Kronofogden och BME. Allt som görs av den är märkt som syntetiskt.
#
# Parametrar: `data_dir` (datapaketet för en våg; tomt = det medföljande), `frame_path`
# (en egen ram som CSV eller Excel; tom = den syntetiska), `seed` (fröet till de
# permanenta slumptalen) och `replicates` (Monte Carlo-upprepningar).

# %%
from IPython.display import Markdown, display

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

# %% tags=["parameters"]
data_dir = ""
frame_path = ""
seed = 2014
replicates = 100_000

# %%
annex = Report.load(data_dir=data_dir, seed=seed).design  # the data package's design file
design = annex.inputs.design
frame = load_frame(frame_path) if frame_path else annex.inputs.frame
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
table = probability_table(probs, data_dir=annex.inputs.data_dir)
table.sort_values("probability", ascending=False).head(40)

# %%
# the frame's population (the design's denominator) and the package's published sample
# (the column asked; the wave is table.attrs["wave"])
population = table.municipality_code.map(frame.set_index("municipality_code")[annex.inputs.population_column])
plots.inclusion_by_population(population.astype(float).to_numpy(), table.probability.to_numpy(),
                              synthetic=probs.synthetic, highlight=table["asked"].to_numpy())

# %%
plots.inclusion_by_county(table.county_name, table.probability, synthetic=probs.synthetic)

# %% [markdown]
# ## Känslighet för designens öppna antaganden
#
# Publikationen lämnar flera val öppna; designfilen märker vart och ett med OPEN ASSUMPTION.
# De som har ett körbart alternativ står under `open_assumptions` i designfilen (cellen
# nedan listar dem för det paket som används). Alla kombinationer körs. För varje kommun
# visas spannet för den exakta inklusionssannolikheten och i hur många varianter den
# kommer med med fröet ovan.

# %%
sensitivity = design_sensitivity(frame, design, seed=seed)
sensitivity.variants_frame()

# %%
sensitivity.to_frame().sort_values("probability_range", ascending=False).head(20)

# %% [markdown]
# Vad som ändras mellan designen och var och en av dess varianter: datapaketets
# variantfiler (designerna med `variant_of` i `datapackage.json`; i det medföljande
# `data/design/2014_skip.yaml`) och varje alternativ till ett öppet antagande, ett i taget.
# Exakta inklusionssannolikheter och urvalet med samma frö, bara kommuner där något skiljer.

# %%
package = annex.inputs.package
variants = {"designen": design}
for name, path in package.design_paths.items():
    if path != package.design_path:
        variants[f"variantfilen {name}"] = load_design(path, package=package)
for assumption in design.open_assumptions:
    for alternative in assumption.alternatives:
        variants[f"{assumption.tag}: {alternative}"] = design_variant(design, choose={assumption.id: alternative})
sens = compare_designs(frame, variants, sample_seed=seed)
sens[sens.differs]

# %% [markdown]
# De (högst två) varianter vars exakta sannolikheter ligger längst från designens, mot
# designen.

# %%
names = list(variants)
furthest = sorted(names[1:], key=lambda n: -(sens[n] - sens[names[0]]).abs().max())[:2]
for name in furthest:
    display(plots.sensitivity(sens[names[0]], sens[name], base_label=names[0], other_label=name,
                              synthetic=sens.attrs["synthetic"]))
