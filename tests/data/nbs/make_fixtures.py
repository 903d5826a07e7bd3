"""Build the NBS test fixtures from the published files copied here.

Run from the repository root: ``python tests/data/nbs/make_fixtures.py``.

* ``ledger/`` — a one-zone ledger ("CN", all of China) whose ``indicators.csv``
  holds national fixed-asset investment exactly as NBS publishes it: monthly
  year-to-date totals (累计值), January merged into February, converted from
  亿元 to 万元, 2012-02 to 2025-03 (the series after the 2011 threshold change).
  The loader wants at least one project, so ``projects.csv`` holds one
  placeholder (``NBS-0``, registered 2012-01-01, nothing else happens to it)
  and ``progress.csv`` only its header.
* ``gdp_quarterly.csv`` — a tidy quarterly table (zone_id, metric, quarter,
  value 万元) of GDP at current prices, total and by sector, 1992Q1–2025Q1, from
  the published quarterly values (当季值). GDP is not a zone indicator of
  SCHEMA.md, so it feeds ``IndicatorBaselines.fit_quarterly`` directly.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

HERE = Path(__file__).parent
WAN_PER_YI = 10_000.0
PROJECT_HEADER = ("project_id,zone_id,name,category,industry,planned_investment,registered_date,land_mu,"
                  "signed_date,start_date,planned_completion_date,completion_date,production_date,"
                  "full_production_date,cancelled_date,designed_output,responsible_unit,officer\n")
GDP_COLUMNS = {
    "gdp": "中国:GDP:现价:当季值",
    "gdp_primary": "中国:GDP:现价:第一产业:当季值",
    "gdp_secondary": "中国:GDP:现价:第二产业:当季值",
    "gdp_tertiary": "中国:GDP:现价:第三产业:当季值",
}


def main() -> None:
    fai = pd.read_csv(HERE / "fai_national_monthly_1981_2025.csv", usecols=[0, 1])
    fai.columns = ["period", "cumulative_value"]
    fai = fai.loc[fai["period"] >= "2012-01"].dropna()
    fai["cumulative_value"] = (fai["cumulative_value"] * WAN_PER_YI).round(2)
    fai.insert(0, "zone_id", "CN")
    fai.insert(2, "metric", "fixed_asset_investment")
    out = HERE / "ledger"
    out.mkdir(exist_ok=True)
    fai.to_csv(out / "indicators.csv", index=False)
    (out / "zones.csv").write_text("zone_id,name,province,city,level\nCN,全国,,,national\n", encoding="utf-8")
    placeholder = "NBS-0,CN,占位项目 (indicators-only fixture),industrial,,10000,2012-01-01" + "," * 11 + "\n"
    (out / "projects.csv").write_text(PROJECT_HEADER + placeholder, encoding="utf-8")
    (out / "progress.csv").write_text("project_id,period,investment,output_value\n", encoding="utf-8")

    gdp = pd.read_csv(HERE / "gdp_national_quarterly_choice.csv")
    rows = []
    for metric, col in GDP_COLUMNS.items():
        g = gdp[["month", col]].dropna()
        rows.append(pd.DataFrame({
            "zone_id": "CN", "metric": metric,
            "quarter": pd.PeriodIndex(g["month"], freq="M").asfreq("Q-DEC").astype(str),
            "value": (g[col] * WAN_PER_YI).round(1),
        }))
    pd.concat(rows).to_csv(HERE / "gdp_quarterly.csv", index=False)


if __name__ == "__main__":
    main()
