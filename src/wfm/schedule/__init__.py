"""Scheduling: requirements + roster + rules -> named agents' shifts (OR-Tools CP-SAT)."""

from wfm.schedule.problem import SchedulingProblem, ShiftOption, build_problem
from wfm.schedule.solve import Schedule, SolveLimits, build_model, diagnose, solve
from wfm.schedule.templates import Break, ShiftTemplate, expand_templates

__all__ = [
    "Break", "Schedule", "SchedulingProblem", "ShiftOption", "ShiftTemplate", "SolveLimits",
    "build_model", "build_problem", "diagnose", "expand_templates", "solve",
]
