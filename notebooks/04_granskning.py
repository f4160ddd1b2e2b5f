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
# # Granskning av publikationens siffror
#
# Varje kontrollerbart påstående i publikationen räknas om från `data/` och får ett
# utfall: stämmer, stämmer inte eller kan inte prövas. Registret över påståenden finns i
# `data/audit/claims_2014.yaml`; tolkningen av verbala kvantiteter i
# `data/verbal_quantities.csv`.

# %%
from sbm_stats.audit import audit
from sbm_stats.data import load_verbal_quantities

# %% tags=["parameters"]
data_dir = ""

# %%
result = audit(data_dir=data_dir or None)
result.counts()

# %% [markdown]
# ## Alla påståenden

# %%
table = result.to_frame()
table[["id", "verdict", "published", "recomputed", "rule"]]

# %% [markdown]
# ## Det som inte stämmer
#
# Uträkningen står i kolumnen `detail`. Där texten kan läsas på flera sätt prövas varje
# läsart för sig (`reading`).

# %%
table.loc[table.verdict == "inconsistent", ["id", "claim", "reading", "detail", "sources"]]

# %% [markdown]
# ## Det som inte kan prövas, och varför

# %%
table.loc[table.verdict == "not verifiable", ["id", "claim", "published", "detail"]]

# %% [markdown]
# ## Hur de verbala kvantiteterna tolkas
#
# Intervallen bestämdes innan granskningen kördes och har en motivering var. Den som
# läser ett uttryck annorlunda ändrar det på ett ställe.

# %%
load_verbal_quantities(data_dir or None)
