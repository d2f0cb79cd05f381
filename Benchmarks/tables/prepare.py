"""Export bundled public tables to $FASTMLP_TABLES/<name>/{train,test}.csv
(default /tmp/fastmlp-tables), plus $FASTMLP_TABLES/tables.json.

80/20 split, random_state=0, stratified on the target for classification.
All data is read from files shipped inside installed packages (no downloads).
"""
import hashlib
import importlib.metadata as md
import importlib.resources as ir
import json
import os
from pathlib import Path

import pandas as pd
from sklearn import datasets as skd
from sklearn.model_selection import train_test_split

OUT = Path(os.environ.get("FASTMLP_TABLES") or "/tmp/fastmlp-tables")
SITE = Path(skd.__file__).resolve().parents[2]  # site-packages


def pkg_dir(name):
    """Package directory without importing it (titanic_model/plotnine have heavy deps)."""
    import importlib.util
    return Path(importlib.util.find_spec(name).submodule_search_locations[0])


def sha256(p):
    return hashlib.sha256(Path(p).read_bytes()).hexdigest()


def sk_frame(loader):
    b = loader(as_frame=True)
    return b, b.frame.copy()


tables = {}  # name -> (df, target, task, source-info)


def add(name, df, target, task, package, file, note="", split_like=None):
    tables[name] = dict(df=df, target=target, task=task, package=package,
                        version=md.version(package), file=str(file), note=note,
                        split_like=split_like)


# ---- scikit-learn bundled sets (sklearn/datasets/data/*) ----
skdata = SITE / "sklearn" / "datasets" / "data"
b, df = sk_frame(skd.load_iris)
df["target"] = pd.Categorical.from_codes(df["target"], b.target_names).astype(str)
add("iris", df, "target", "classification", "scikit-learn", skdata / "iris.csv",
    "target mapped to text names setosa/versicolor/virginica")

b, df = sk_frame(skd.load_wine)
add("wine", df, "target", "classification", "scikit-learn", skdata / "wine_data.csv",
    "target = integer class 0/1/2")

b, df = sk_frame(skd.load_breast_cancer)
add("breast_cancer", df, "target", "classification", "scikit-learn",
    skdata / "breast_cancer.csv", "target 0=malignant 1=benign")
df2 = df.copy()
df2["target"] = df2["target"].map({0: "malignant", 1: "benign"})
add("breast_cancer_text", df2, "target", "classification", "scikit-learn",
    skdata / "breast_cancer.csv",
    "same rows and same train/test split as breast_cancer, target as text malignant/benign",
    split_like="breast_cancer")

b = skd.load_diabetes(as_frame=True, scaled=False)  # raw (unscaled) feature values
df = b.frame.copy()
add("diabetes", df, "target", "regression", "scikit-learn",
    skdata / "diabetes_data_raw.csv.gz",
    "load_diabetes(as_frame=True, scaled=False): raw feature values (age, sex 1/2, bmi, ...); "
    "target = disease progression after one year")

# ---- palmerpenguins ----
pf = ir.files("palmerpenguins").joinpath("data/penguins.csv")
from palmerpenguins import load_penguins
add("penguins", load_penguins(), "species", "classification", "palmerpenguins", pf,
    "load_penguins(); NA in sex and measurements")

# ---- titanic (Kaggle train.csv, 891 passengers) shipped in titanic-model ----
tf = pkg_dir("titanic_model") / "datasets" / "train.csv"
add("titanic", pd.read_csv(tf), "Survived", "classification", "titanic-model", tf,
    "Kaggle 'Titanic' train.csv (891 rows) shipped as package data; the package's test.csv "
    "has no Survived column and is not used")

# ---- plotnine bundled CSVs (read directly; plotnine.data does the same read_csv) ----
pdir = pkg_dir("plotnine") / "data"
add("diamonds", pd.read_csv(pdir / "diamonds.csv"), "price", "regression", "plotnine",
    pdir / "diamonds.csv", "ggplot2 diamonds")
add("mpg", pd.read_csv(pdir / "mpg.csv"), "hwy", "regression", "plotnine",
    pdir / "mpg.csv", "ggplot2 mpg; target hwy (cty kept as a feature)")
ms = pd.read_csv(pdir / "msleep.csv")
n0 = len(ms)
ms = ms[ms["vore"].notna()].reset_index(drop=True)
add("msleep", ms, "vore", "classification", "plotnine", pdir / "msleep.csv",
    f"ggplot2 msleep; {n0 - len(ms)} rows with missing vore dropped")

# ---- vega_datasets cars (local copy) ----
from vega_datasets import data as vd
vf = ir.files("vega_datasets").joinpath("_data/cars.json")
add("cars", vd.cars(), "Origin", "classification", "vega_datasets", vf,
    "vega_datasets.data.cars() (use_local); Year parsed to date by the loader")

meta = {}
splits = {}
for name, t in tables.items():
    df, target = t["df"], t["target"]
    if t["split_like"]:
        # identical rows (same index) as another table's split: label encoding must
        # not change which rows land in test (stratify orders classes by sorted label)
        itr, ite = splits[t["split_like"]]
        tr, te = df.loc[itr], df.loc[ite]
    else:
        strat = df[target] if t["task"] == "classification" else None
        tr, te = train_test_split(df, test_size=0.2, random_state=0, stratify=strat)
    splits[name] = (tr.index, te.index)
    d = OUT / name
    d.mkdir(parents=True, exist_ok=True)
    tr.to_csv(d / "train.csv", index=False)
    te.to_csv(d / "test.csv", index=False)
    meta[name] = dict(target=target, task=t["task"], package=t["package"],
                      version=t["version"], source_file=t["file"],
                      source_sha256=sha256(t["file"]), note=t["note"],
                      rows=len(df), train_rows=len(tr), test_rows=len(te),
                      columns=list(df.columns),
                      train_csv=str(d / "train.csv"), test_csv=str(d / "test.csv"))
    print(f"{name:20s} {len(tr):6d} {len(te):6d} target={target} ({t['task']})")

(OUT / "tables.json").write_text(json.dumps(meta, indent=2))
