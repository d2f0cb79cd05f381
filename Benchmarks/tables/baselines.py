"""scikit-learn baselines on the exported CSV tables.

Reads $FASTMLP_TABLES/<name>/{train,test}.csv (default /tmp/fastmlp-tables) back with
pandas (default read_csv), target/task from $FASTMLP_TABLES/tables.json (written by
prepare.py); writes $FASTMLP_TABLES/baselines.{json,md} when run on all tables.

Preprocessing (fitted on train only):
  * numeric columns: mean imputation + StandardScaler
  * text columns: NaN -> 'missing' category, OneHotEncoder(handle_unknown='ignore')
  * text columns whose distinct non-missing values are > 90% of their non-missing
    train values (names, ids) are dropped
Models: LogisticRegression(max_iter=2000) -> test accuracy, LinearRegression -> test R^2;
        MLPClassifier / MLPRegressor(hidden_layer_sizes=(64,), max_iter=500,
        early_stopping=True, random_state=0) as a second reference.
Run with OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1.
"""
import json
import os
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import sklearn
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.metrics import accuracy_score, r2_score
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

ROOT = Path(os.environ.get("FASTMLP_TABLES") or "/tmp/fastmlp-tables")
DISTINCT_MAX = 0.9


def to_object(s):
    """Text column as plain object dtype with np.nan for missing (pandas 3 'str' dtype safe)."""
    return s.astype(object).where(s.notna(), np.nan)


def run(name, info):
    tr = pd.read_csv(ROOT / name / "train.csv")
    te = pd.read_csv(ROOT / name / "test.csv")
    target, task = info["target"], info["task"]
    ytr, yte = tr.pop(target), te.pop(target)
    if task == "classification" and not pd.api.types.is_numeric_dtype(ytr):
        ytr, yte = to_object(ytr), to_object(yte)

    num = [c for c in tr.columns if pd.api.types.is_numeric_dtype(tr[c])]
    txt = [c for c in tr.columns if c not in num]
    dropped = []
    for c in txt:
        nn = tr[c].dropna()
        if len(nn) and nn.nunique() / len(nn) > DISTINCT_MAX:
            dropped.append(c)
    txt = [c for c in txt if c not in dropped]
    for df in (tr, te):
        for c in txt:
            df[c] = to_object(df[c])

    missing = int(pd.concat([tr, te]).isna().sum().sum()
                  + ytr.isna().sum() + yte.isna().sum())
    pre = ColumnTransformer(
        [("num", make_pipeline(SimpleImputer(strategy="mean"), StandardScaler()), num),
         ("txt", make_pipeline(SimpleImputer(strategy="constant", fill_value="missing"),
                               OneHotEncoder(handle_unknown="ignore")), txt)],
        remainder="drop", sparse_threshold=0)

    mlp_kw = dict(hidden_layer_sizes=(64,), max_iter=500, early_stopping=True, random_state=0)
    if task == "classification":
        models = [LogisticRegression(max_iter=2000), MLPClassifier(**mlp_kw)]
        metric, score = "accuracy", accuracy_score
    else:
        models = [LinearRegression(), MLPRegressor(**mlp_kw)]
        metric, score = "r2", r2_score

    res = dict(name=name, target=target, task=task, metric=metric,
               train_rows=len(tr), test_rows=len(te),
               numeric_cols=len(num), text_cols=len(txt), dropped_cols=dropped,
               numeric_columns=num, text_columns=txt,
               classes=int(ytr.nunique()) if task == "classification" else None,
               missing_cells=missing,
               train_csv=str(ROOT / name / "train.csv"), test_csv=str(ROOT / name / "test.csv"))
    for key, model in zip(("baseline", "mlp"), models):
        t0 = time.time()
        pipe = Pipeline([("pre", pre), ("model", model)])
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            pipe.fit(tr, ytr)
        res[key] = float(score(yte, pipe.predict(te)))
        res[key + "_model"] = type(model).__name__
        res[key + "_seconds"] = round(time.time() - t0, 2)
        res[key + "_warnings"] = sorted({type(x.message).__name__ for x in w})
        if key == "mlp":
            res["mlp_iterations"] = int(pipe.named_steps["model"].n_iter_)
    if task == "classification":
        res["majority_class_accuracy"] = float((yte == ytr.value_counts().idxmax()).mean())
    return res


def main():
    meta = json.loads((ROOT / "tables.json").read_text())
    names = sys.argv[1:] or list(meta)
    results = []
    for n in names:
        r = run(n, meta[n])
        print(f"# {n}: baseline={r['baseline']:.4f} mlp={r['mlp']:.4f} "
              f"({r['baseline_seconds']}s/{r['mlp_seconds']}s)", file=sys.stderr)
        results.append(r)

    head = ("| name | rows train/test | columns (numeric/text) | dropped (>90% distinct text) "
            "| task | target | classes | missing cells | baseline metric | MLP metric |")
    lines = [head, "|" + "---|" * 10]
    for r in results:
        base = "LogReg" if r["task"] == "classification" else "LinReg"
        m = "acc" if r["metric"] == "accuracy" else "R²"
        lines.append(
            f"| {r['name']} | {r['train_rows']}/{r['test_rows']} | {r['numeric_cols']}/{r['text_cols']} "
            f"| {', '.join(r['dropped_cols']) or '-'} | {r['task']} | {r['target']} "
            f"| {r['classes'] if r['classes'] is not None else '-'} | {r['missing_cells']} "
            f"| {base} {m} {r['baseline']:.4f} | MLP {m} {r['mlp']:.4f} |")
    md = "\n".join(lines)
    foot = (f"\nscikit-learn {sklearn.__version__}, pandas {pd.__version__}, numpy {np.__version__}; "
            "split 80/20 random_state=0 (stratified for classification); "
            "columns exclude the target, text count is after dropping the >90%-distinct text columns "
            "(listed); numeric columns are never dropped (e.g. titanic PassengerId is kept); "
            "missing cells counted over train+test, all non-target columns.\n")
    print(md + "\n" + foot)
    if not sys.argv[1:]:
        (ROOT / "baselines.md").write_text(md + "\n" + foot)
        (ROOT / "baselines.json").write_text(json.dumps(
            dict(versions=dict(sklearn=sklearn.__version__, pandas=pd.__version__,
                               numpy=np.__version__),
                 results=results), indent=2))


if __name__ == "__main__":
    main()
