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
# # Jämförelser mellan mätningarna 2008, 2011 och 2013/2014
#
# Vad kan jämföras mellan kartläggningsomgångarna, och vad kan inte? Anteckningsboken
# hämtar allt från `sbm_stats`; den räknar inget själv.

# %%
from sbm_stats.report import Report

# %% tags=["parameters"]
data_dir = ""

# %%
R = Report.load(data_dir=data_dir)
figures, waves = R.figures, R.waves

# %% [markdown]
# ## Tabellen över vågor
#
# En rad per mått och våg. Ett saknat värde står kvar med sitt skäl, i stället för att
# raden tas bort.

# %%
waves.table()

# %% [markdown]
# ## Boverkets totalräkningar
#
# Bostadsmarknadsenkäten går till alla kommuner, så förändringen mellan två år är en
# förändring i en totalräkning: den har ingen urvalsosäkerhet.

# %%
figures.change("bme.flats_2008", "bme.flats_2013").to_frame()

# %% [markdown]
# Samma förändring med Boverkets egen sammanfattning för 2008 ger en annan
# ökningstakt; källorna står i konflikt, och granskningen (anteckningsboken om
# granskningen) visar vilken läsart som stämmer med publikationens ökningstal.

# %%
figures.table.loc[["bme.flats_2008", "ext.bme_flats_2008_boverket", "bme.flats_2013", "ext.bme_flats_2013_boverket"],
              ["period", "value", "source_id", "note"]]

# %%
(figures.growth("bme.flats_2008", "bme.flats_2013", decimals=1),
 figures.growth("ext.bme_flats_2008_boverket", "bme.flats_2013", decimals=1))

# %% [markdown]
# ## Vad som inte kan jämföras
#
# Intervjustudiernas resultat från 2008 och 2011 finns inte i projektets källor, och
# intervjuurvalet är ett ändamålsenligt urval av kommuner, inte en totalräkning.
# Socialstyrelsens hemlöshetskartläggningar räknar personer, Boverket lägenheter och
# hushåll, och definitionen förtydligades mellan 2005 och 2011.

# %%
waves.measures[["measure_id", "wave", "missing_reason", "comparability_note"]]
