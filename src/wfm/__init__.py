"""wfm — workforce management for contact centers: forecast, staff, schedule.

Every CLI command is a thin shell over one of these functions, which take and return pandas
frames or typed objects, so a notebook can run any stage alone::

    from wfm import load_config, read_history, requirements
    from wfm.forecast import forecast
    config = load_config("configs/example.yaml")
    history, report = read_history(config.history, config)
    fc = forecast(history, config, days=7)
    req = requirements(fc.frame, config)

(``forecast`` is not re-exported here: the name belongs to the subpackage ``wfm.forecast``.)
"""

from wfm.config import Config, load_config
from wfm.errors import (
    ConfigError,
    DataError,
    InfeasibleError,
    SolveTimeoutError,
    WfmError,
    WfmWarning,
)
from wfm.evaluate import coverage
from wfm.forecast import ForecastResult
from wfm.io.history import read_history
from wfm.io.roster import Agent, load_agents, read_roster
from wfm.pipeline import RunResult, run
from wfm.schedule import Schedule, SchedulingProblem, SolveLimits, build_problem, solve
from wfm.staffing import requirements
from wfm.timegrid import Grid

__version__ = "0.1.0"

__all__ = [
    "Agent", "Config", "ConfigError", "DataError", "ForecastResult", "Grid", "InfeasibleError",
    "RunResult", "Schedule", "SchedulingProblem", "SolveLimits", "SolveTimeoutError", "WfmError",
    "WfmWarning", "__version__", "build_problem", "coverage", "load_agents", "load_config",
    "read_history", "read_roster", "requirements", "run", "solve",
]
