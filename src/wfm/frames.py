"""Column names of every frame wfm reads or writes, one contract per stage (DESIGN.md).

Every time series is a long frame keyed by ``interval_start`` (tz-aware, site time zone) and
``channel``. Prediction-interval columns follow one rule: ``{value}_lo{level}`` and
``{value}_hi{level}``.
"""

from __future__ import annotations

INTERVAL_START = "interval_start"
CHANNEL = "channel"

# history.csv
OFFERED = "offered"
HANDLED = "handled"
ABANDONED = "abandoned"
AHT_SECONDS = "aht_seconds"
WAIT_SECONDS = "wait_seconds"  # total time the interval's contacts waited, answered or not
HISTORY_REQUIRED = (INTERVAL_START, CHANNEL, OFFERED)
HISTORY_OPTIONAL = (HANDLED, ABANDONED, AHT_SECONDS, WAIT_SECONDS)
HISTORY_COLUMNS = HISTORY_REQUIRED + HISTORY_OPTIONAL

# call-level records, as wfm.io.calls reads them from an ACD log (one row per contact offered
# to a queue): when it was offered, to which channel, how it ended, how long it waited (to its
# answer or its abandon), how long it was handled and by whom
ARRIVAL = "arrival"  # tz-aware, site time zone
OUTCOME = "outcome"  # ANSWERED or ABANDONED
HANDLE_SECONDS = "handle_seconds"  # NaN unless answered
AGENT = "agent"  # agent id (string), NA when unknown or not answered
ANSWERED = "answered"
ABANDONED_OUTCOME = "abandoned"
CALL_COLUMNS = (ARRIVAL, CHANNEL, OUTCOME, WAIT_SECONDS, HANDLE_SECONDS, AGENT)

# forecast.csv
VOLUME = "volume"
MODEL = "model"
LEVELS = (80, 95)


def lo(name: str, level: int) -> str:
    """Lower prediction bound column, e.g. ``volume_lo80``."""
    return f"{name}_lo{level}"


def hi(name: str, level: int) -> str:
    """Upper prediction bound column, e.g. ``volume_hi95``."""
    return f"{name}_hi{level}"


FORECAST_COLUMNS = (
    INTERVAL_START,
    CHANNEL,
    VOLUME,
    *(f(VOLUME, lv) for lv in LEVELS for f in (lo, hi)),
    AHT_SECONDS,
    MODEL,
)
DATE = "date"

# forecast_daily.csv and forecast_weekly.csv: totals for capacity planning
SPECIAL_DAY = "special_day"
WEEK = "week"  # the Monday a week starts on
BOUND_COLUMNS = tuple(f(VOLUME, lv) for lv in LEVELS for f in (lo, hi))
FORECAST_DAILY_COLUMNS = (DATE, CHANNEL, VOLUME, *BOUND_COLUMNS, MODEL, SPECIAL_DAY)
FORECAST_WEEKLY_COLUMNS = (WEEK, CHANNEL, "days", VOLUME, *BOUND_COLUMNS)

# requirements.csv
AGENTS_REQUIRED = "agents_required"
AGENTS_WITH_SHRINKAGE = "agents_with_shrinkage"
SERVICE_LEVEL = "service_level"
ASA_SECONDS = "asa_seconds"
ABANDON_RATE = "abandon_rate"
OCCUPANCY = "occupancy"
SERVICE_LEVEL_DEFINITION = "service_level_definition"
REQUIREMENTS_COLUMNS = (
    INTERVAL_START,
    CHANNEL,
    VOLUME,
    AHT_SECONDS,
    AGENTS_REQUIRED,
    AGENTS_WITH_SHRINKAGE,
    SERVICE_LEVEL,
    ASA_SECONDS,
    ABANDON_RATE,
    OCCUPANCY,
    SERVICE_LEVEL_DEFINITION,
)

# schedule outputs
AGENT_ID = "agent_id"
ACTIVITY = "activity"
SCHEDULE_COLUMNS = (AGENT_ID, DATE, "shift_start", "shift_end", "paid_minutes", "breaks")
AGENT_INTERVAL_COLUMNS = (AGENT_ID, INTERVAL_START, ACTIVITY)
SEGMENT_COLUMNS = (AGENT_ID, DATE, ACTIVITY, "start", "end", "minutes", "paid")
COVERAGE_COLUMNS = (INTERVAL_START, CHANNEL, "required", "scheduled", "gap")
SIMULATION_COLUMNS = (INTERVAL_START, CHANNEL, "offered", "answered", "abandoned",
                      SERVICE_LEVEL, "service_level_lo95", "service_level_hi95", ASA_SECONDS,
                      OCCUPANCY, "p_miss_target")
SIMULATION_SUMMARY_COLUMNS = (DATE, *SIMULATION_COLUMNS[1:])
ACCURACY_COLUMNS = (DATE, CHANNEL, "actual", "forecast", "wape", "bias")
WHATIF_COLUMNS = ("scenario", CHANNEL, "required_fte", "scheduled_fte", SERVICE_LEVEL,
                  ASA_SECONDS, ABANDON_RATE, "paid_hours", "delta_required_fte",
                  "delta_service_level")
OFF = "off"
BREAK = "break"
LUNCH = "lunch"

# roster.csv
ROSTER_REQUIRED = (AGENT_ID, "skills")
ROSTER_OPTIONAL = ("name", "contract", "min_week_hours", "max_week_hours", "availability",
                   "days_off", "preferred_start", "preferred_days_off", "preference_weight")
TIME_OFF_REQUIRED = (AGENT_ID, DATE)
TIME_OFF_OPTIONAL = ("start", "end", "paid_hours", "reason")
