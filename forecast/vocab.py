"""The one vocabulary of `forecast`: stages, events, categories, metrics, columns.

Everything here mirrors ``shared/SCHEMA.md``; every other module imports these
names instead of spelling strings again.
"""

from __future__ import annotations

from typing import Final

# --- tables -----------------------------------------------------------------
TABLES: Final = ("zones", "projects", "progress", "targets", "indicators", "plan")
REQUIRED_TABLES: Final = ("zones", "projects", "progress")

# --- project life cycle -----------------------------------------------------
#: Stages in life-cycle order; ``cancelled`` can end any stage before completion.
STAGES: Final = (
    "reserve",
    "signed",
    "started",
    "completed",
    "producing",
    "full_production",
    "cancelled",
)
STAGE_ZH: Final = {
    "reserve": "储备",
    "signed": "签约",
    "started": "开工",
    "completed": "竣工",
    "producing": "投产",
    "full_production": "达产",
    "cancelled": "终止",
}
STAGE_EN: Final = {
    "reserve": "Reserve",
    "signed": "Signed",
    "started": "Under construction",
    "completed": "Completed",
    "producing": "In production",
    "full_production": "Full production",
    "cancelled": "Cancelled",
}

#: Date column that marks entry into each stage, in order.
STAGE_DATE: Final = {
    "reserve": "registered_date",
    "signed": "signed_date",
    "started": "start_date",
    "completed": "completion_date",
    "producing": "production_date",
    "full_production": "full_production_date",
    "cancelled": "cancelled_date",
}
#: The ordered milestone dates (registered <= signed <= ... <= full production).
MILESTONE_DATES: Final = (
    "registered_date",
    "signed_date",
    "start_date",
    "completion_date",
    "production_date",
    "full_production_date",
)
EVENT_DATES: Final = MILESTONE_DATES + ("cancelled_date",)

#: Stage transitions modelled as time-to-event: (from_stage, to_stage).
TRANSITIONS: Final = (
    ("reserve", "signed"),
    ("signed", "started"),
    ("started", "completed"),
    ("completed", "producing"),
    ("producing", "full_production"),
)
#: Stages from which cancellation competes with the next milestone.
CANCELLABLE_STAGES: Final = ("reserve", "signed", "started")

# --- categories ---------------------------------------------------------------
CATEGORIES: Final = (
    "industrial",
    "services",
    "social",
    "agriculture",
    "energy_infra",
    "transport_urban",
)
CATEGORY_ZH: Final = {
    "industrial": "工业",
    "services": "商贸服务业",
    "social": "社会民生与文旅",
    "agriculture": "农林水与民政",
    "energy_infra": "新基建与能源",
    "transport_urban": "交通、房地产与城市建设",
}
CATEGORY_EN: Final = {
    "industrial": "Industrial",
    "services": "Trade & services",
    "social": "Social & culture/tourism",
    "agriculture": "Agriculture, forestry & water",
    "energy_infra": "New infrastructure & energy",
    "transport_urban": "Transport, real estate & urban",
}

ZONE_LEVELS: Final = ("national", "provincial")
ZONE_LEVEL_ZH: Final = {"national": "国家级", "provincial": "省级"}
ZONE_ID_PATTERN: Final = r"^[A-Za-z0-9_-]{1,64}$"

# --- metrics ------------------------------------------------------------------
#: Forecast metrics (zone totals per quarter), SCHEMA.md "The forecast table".
METRICS: Final = (
    "investment",
    "projects_started",
    "projects_completed",
    "projects_producing",
    "output_value",
)
COUNT_METRICS: Final = ("projects_started", "projects_completed", "projects_producing")
MONEY_METRICS: Final = ("investment", "output_value")
NEW_PREFIX: Final = "new_"
#: The event date whose quarter a count metric counts.
METRIC_EVENT: Final = {
    "projects_started": "start_date",
    "projects_completed": "completion_date",
    "projects_producing": "production_date",
}
METRIC_ZH: Final = {
    "investment": "完成投资",
    "projects_started": "开工项目数",
    "projects_completed": "竣工项目数",
    "projects_producing": "投产项目数",
    "output_value": "新增产值",
}
METRIC_EN: Final = {
    "investment": "Investment completed",
    "projects_started": "Projects started",
    "projects_completed": "Projects completed",
    "projects_producing": "Projects in production",
    "output_value": "Output value",
}

TARGET_METRICS: Final = METRICS
INDICATOR_METRICS: Final = (
    "fixed_asset_investment",
    "industrial_output",
    "industrial_value_added",
    "fiscal_revenue",
)
INDICATOR_ZH: Final = {
    "fixed_asset_investment": "固定资产投资",
    "industrial_output": "规上工业总产值",
    "industrial_value_added": "规上工业增加值",
    "fiscal_revenue": "财政收入",
}

# --- the year's plan (plan.csv) -----------------------------------------------
#: What a project of the year's plan (年度计划) is to do that year.
PLAN_TYPES: Final = ("continuing", "new_start", "production", "preparatory")
PLAN_ZH: Final = {
    "continuing": "续建",
    "new_start": "新开工",
    "production": "竣工投产",
    "preparatory": "预备",
}

# --- the forecast table -------------------------------------------------------
QUANTILES: Final = (0.05, 0.10, 0.25, 0.50, 0.75, 0.90, 0.95)
QUANTILE_COLUMNS: Final = ("p05", "p10", "p25", "p50", "p75", "p90", "p95")
FORECAST_COLUMNS: Final = ("zone_id", "period", "metric", "mean") + QUANTILE_COLUMNS

# --- units ----------------------------------------------------------------------
#: Money is 万元 inside the toolkit; 1 亿元 = 10,000 万元.
WAN_PER_YI: Final = 10_000.0

# --- the rates (SCHEMA.md "The rates") ------------------------------------------
#: The rates leadership is judged on, in report order.
RATE_NAMES: Final = (
    "start_rate",
    "new_start_rate",
    "investment_rate",
    "production_rate",
    "contract_rate",
)
RATE_ZH: Final = {
    "start_rate": "开复工率",
    "new_start_rate": "新开工率",
    "investment_rate": "投资完成率",
    "production_rate": "竣工投产率",
    "contract_rate": "履约率",
}
RATE_EN: Final = {
    "start_rate": "Construction (re)start rate",
    "new_start_rate": "New-start rate",
    "investment_rate": "Investment completion rate",
    "production_rate": "Completed-into-production rate",
    "contract_rate": "Contract fulfilment rate",
}
