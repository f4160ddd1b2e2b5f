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
# # Andelar och konfidensintervall för intervjuresultaten
#
# Intervjuresultaten är antal av de n intervjuade kommunerna (n och landets N kommuner står
# under koden nedan, ur datapaketet). Här jämförs intervallmetoderna sida vid sida, med och
# utan ändlighetskorrektion, och deras täckningsgrad vid n. Intervallen förutsätter ett
# obundet slumpmässigt urval, vilket studiens urval inte är; de beskriver slumpliknande
# osäkerhet under det antagandet.

# %%
from sbm_stats.estimation.coverage import exact_coverage, simulated_coverage
from sbm_stats.report import Report, plots

# %% tags=["parameters"]
data_dir = ""
confidence_level = 0.95
replicates = 20_000
seed = 2014

# %%
intervals = Report.load(data_dir=data_dir, confidence_level=confidence_level).intervals
nobs = intervals.interviews.interviewed  # the interviewed municipalities
print("n =", nobs, "| N =", intervals.population, "| n/N =", intervals.fpc_fraction("res.forced_moves"))

# %% [markdown]
# ## Alla resultat, alla metoder

# %%
intervals.table_all_methods()

# %% [markdown]
# ## Vad ändlighetskorrektionen ändrar
#
# Urvalsandelen n/N står ovan. Korrektionen följer R-paketet survey för ett obundet
# slumpmässigt urval utan återläggning och ändrar tre saker: faktorn (1 − n/N), Cochrans
# väntevärdesriktiga varians (1 − n/N)·p(1 − p)/(n − 1) med n − 1 i stället för n, och
# t-fördelningen med n − 1 frihetsgrader i stället för normalfördelningen. De två senare
# gör intervallen bredare, den första smalare; tabellen nedan visar vad det blir. Den
# förutsätter att de n är ett obundet slumpmässigt urval ur landets N, vilket de inte är: en
# del av de tillfrågade valdes med säkerhet eller för sina högsta värden – hur många beror
# på hur designfilens gemensamma antagande läses (rapportens bilaga räknar det ur
# designfilerna) – och
# resten hade olika chans att komma med. Korrektionen är därför ingen förfining av
# intervallen utan en räkning under ett antagande som inte håller. Den gäller bara
# resultat vars bas är hela urvalet; för en delgrupp (till exempel de kommuner där
# barnfamiljer fått flytta) är populationens storlek okänd. För Clopper–Pearson är
# intervallet med korrektion det exakta hypergeometriska, inte Korn och Graubards.

# %%
intervals.table_fpc_effect()

# %%
intervals.table_methods("res.forced_moves")

# %% [markdown]
# ## Täckningsgrad vid n
#
# Exakt, genom att summera över alla möjliga antal, och som kontroll genom simulering med
# `replicates` upprepningar. Metoder vars täckning ofta ligger under den nominella nivån
# ger för optimistiska intervall.

# %%
exact = exact_coverage(nobs, confidence_level=confidence_level)
exact.summary()

# %%
cov = exact.to_frame()
plots.coverage_curves(cov.p, cov.coverage, cov.method, confidence_level=confidence_level, nobs=nobs)

# %%
sim = simulated_coverage(nobs, p=[0.1, 0.3, 0.5], replicates=replicates, seed=seed,
                         confidence_level=confidence_level)
sim.to_frame().merge(exact.to_frame(), on=["method", "p"], suffixes=("_simulerad", "_exakt"))

# %% [markdown]
# ## Med ändlighetskorrektion, när urvalet dras utan återläggning ur N
#
# Om n kommuner dras slumpmässigt ur landets N är antalet hypergeometriskt fördelat; här
# räknas täckningen för intervallen med korrektion under den modellen.

# %%
exact_coverage(nobs, confidence_level=confidence_level, population_size=intervals.population_size).summary()
