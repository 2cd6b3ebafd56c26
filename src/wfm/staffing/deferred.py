"""Deferred work (email, back office): a backlog worked FIFO, with a response-time target.

Items arrive at any time; agents work them only while the channel is open, and whatever is not
done waits in a backlog that carries over to the next open interval. The target is a share of
items completed within ``within_hours`` (elapsed hours) of their arrival.

The model is a fluid FIFO queue on the interval grid [1]_: in interval ``i`` the work
``w_i = arrivals_i × aht_i`` (seconds) arrives at a constant rate, and the agents supply
``c_i = agents × max_occupancy × interval_seconds`` seconds of work at a constant rate. The
cumulative work done obeys ``D(t) = min(D_i + c_i·τ, W(t))`` inside interval ``i`` (``τ`` the
elapsed fraction), with ``D_i = W_i − q_i`` and the backlog ``q_i = max(0, q_{i−1} + w_i − c_i)``
computed for all intervals at once as ``S_i − min_{j≤i} S_j`` (Lindley), ``S`` the running sum
of ``w − c``. An item arriving at ``s`` is done on time when ``D(s + deadline) >= W(s)``; both
sides are linear in ``s`` within an interval, so the on-time share of each interval's items is
exact under the model.

Staffing (:func:`deferred_staffing`) varies by interval. A linear programme on the same
cumulative curves finds the least productive level ``L_i`` per open interval that keeps the
work arrived by each interval's end done by its deadline, up to a late-work allowance ``U``;
the allowance is then set by bisection so that the rounded plan meets the target under the
exact model above. The least constant level, found by bisection on this model alone, is kept
as a fallback and wins whenever it needs no more agent-intervals.

References
----------
.. [1] G. F. Newell, *Applications of Queueing Theory*, 2nd ed., Chapman and Hall, 1982,
   chapter 2 (fluid approximation, cumulative arrival and departure curves).
.. [2] G. Koole, *Call Center Optimization*, MG Books, 2013, §6.4 (planning email and other
   deferred work).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from ortools.linear_solver import pywraplp

from wfm.errors import WfmWarning

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

_WAIT_POINTS = 16  # arrival instants per interval for the mean wait (midpoint rule)
_TOL = 1e-12  # relative slack for float comparisons of cumulative work
_BEST_EFFORT_GAP = 1e-3  # an unreachable target is relaxed to this far below the best share
# LP cost of one agent of change in level between consecutive open intervals, in
# agent-intervals: small enough that the hours dominate (see _StaffingLP), large enough that
# GLOP's tolerances (~1e-7 relative) still see it, so ties break toward flat staffing
_SMOOTHING = 1e-3
_ALLOWANCE_STEPS = 24  # bisection steps on the late-work allowance U, at most ...
_ALLOWANCE_PRECISION = 1e-3  # ... and no finer than this share of the allowance
_ROUNDING_SLACK = 1e-6  # LP levels this far above a whole agent still round down to it


@dataclass(frozen=True)
class DeferredStaffing:
    """Staffing of one deferred-work channel over a horizon, with its per-interval results.

    Attributes
    ----------
    agents : ndarray of int64
        Agents per interval while open (they may differ from interval to interval; see
        :func:`deferred_staffing`), 0 while closed.
    service_level : ndarray
        Share of the interval's items completed within the deadline, among those whose deadline
        falls inside the horizon; NaN with no such items.
    asa_seconds : ndarray
        Mean time from arrival to completion of the interval's items, seconds; NaN with no
        arrivals or when some of them are still in the backlog at the end of the horizon.
    occupancy : ndarray
        Work done / staffed time; NaN where no agents are staffed.
    share : float
        Achieved share over the constrained items (see :func:`deferred_staffing`); NaN when no
        item is constrained.
    target_met : bool
        Whether ``share`` reaches the target.
    """

    agents: IntArray
    service_level: FloatArray
    asa_seconds: FloatArray
    occupancy: FloatArray
    share: float
    target_met: bool


def _flow(work: FloatArray, capacity: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Cumulative work arrived ``W`` and done ``D`` at the n + 1 interval boundaries."""
    arrived = np.concatenate(([0.0], np.cumsum(work)))
    net = np.concatenate(([0.0], np.cumsum(work - capacity)))
    backlog = net - np.minimum.accumulate(net)
    return arrived, arrived - backlog


def _measure(alpha: FloatArray, beta: FloatArray, lo: FloatArray, hi: FloatArray) -> FloatArray:
    """Length of ``{σ in [lo, hi] : alpha + beta·σ >= 0}``."""
    with np.errstate(divide="ignore", invalid="ignore"):
        root = np.clip(-alpha / beta, lo, hi)
    rising = hi - root
    falling = root - lo
    flat = np.where(alpha >= 0, hi - lo, 0.0)
    out = np.where(beta > 0, rising, np.where(beta < 0, falling, flat))
    return np.where(hi > lo, np.maximum(out, 0.0), 0.0)


def _on_time(
    arrived: FloatArray,
    done: FloatArray,
    work: FloatArray,
    capacity: FloatArray,
    deadline: float,
) -> tuple[FloatArray, FloatArray]:
    """Per arrival interval: share of its items done on time, and share whose deadline is
    inside the horizon (both as lengths of the arrival-time fraction σ in [0, 1])."""
    n = work.size
    i = np.arange(n)
    whole = math.floor(deadline)
    part = deadline - whole
    judged_end = _judged_until(n, deadline)
    slack = _TOL * max(float(arrived[-1]), 1.0)
    met = np.zeros(n)
    # the deadline s + deadline lands in interval i + whole (sigma < 1 - part) or the next one
    for offset, tau0, lo, hi in (
        (whole, part, 0.0, 1.0 - part),
        (whole + 1, part - 1.0, 1.0 - part, 1.0),
    ):
        k = np.minimum(i + offset, n - 1)
        alpha = done[k] + capacity[k] * tau0 - arrived[i] + slack
        beta = capacity[k] - work
        met += _measure(alpha, beta, np.full(n, lo), np.minimum(hi, judged_end))
    return met, judged_end


def _judged_until(n: int, deadline: float) -> FloatArray:
    """Per interval, the arrival fraction up to which deadlines fall inside the horizon."""
    return np.clip(n - np.arange(n) - deadline, 0.0, 1.0)


def _feasible_from(open_mask: BoolArray, deadline: float) -> FloatArray:
    """Per interval, the arrival fraction from which some open time precedes the deadline."""
    n = open_mask.size
    open_idx = np.flatnonzero(open_mask)
    pos = np.searchsorted(open_idx, np.arange(n), side="left")
    has_next = pos < open_idx.size
    next_open = np.where(has_next, open_idx[np.minimum(pos, max(open_idx.size - 1, 0))], n)
    start = np.clip(next_open - np.arange(n) - deadline, 0.0, 1.0)
    return np.where(has_next, start, 1.0)


def _mean_wait_seconds(
    arrived: FloatArray,
    done: FloatArray,
    work: FloatArray,
    capacity: FloatArray,
    interval_seconds: float,
) -> FloatArray:
    """Mean arrival-to-completion time of each interval's items (midpoint rule in σ)."""
    n = work.size
    sigma = (np.arange(_WAIT_POINTS) + 0.5) / _WAIT_POINTS
    i = np.arange(n)[:, None]
    pos = arrived[:-1, None] + sigma[None, :] * work[:, None]  # FIFO position of the item
    slack = _TOL * max(float(arrived[-1]), 1.0)
    bound = np.searchsorted(done, pos - slack, side="left")  # first boundary with D >= pos
    finished = bound <= n
    k = np.clip(bound - 1, 0, n - 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        by_capacity = np.where(capacity[k] > 0, (pos - done[k]) / capacity[k], 0.0)
        by_arrival = np.where(work[k] > 0, (pos - arrived[k]) / work[k], 0.0)
    tau = np.clip(np.maximum(by_capacity, by_arrival), 0.0, 1.0)
    finish = np.where(bound == 0, 0.0, k + tau)
    wait = np.maximum(finish - (i + sigma[None, :]), 0.0) * interval_seconds
    mean = wait.mean(axis=1)
    return np.where(finished.all(axis=1), mean, np.nan)


def _work_seconds(arrivals: FloatArray, aht_seconds: FloatArray) -> FloatArray:
    bad = (arrivals > 0) & ~(np.isfinite(aht_seconds) & (aht_seconds >= 0))
    if bad.any():
        raise ValueError(
            f"aht_seconds must be finite and >= 0 where items arrive, got "
            f"{aht_seconds[bad][0]!r} at interval {int(np.flatnonzero(bad)[0])}"
        )
    return np.where(arrivals > 0, arrivals * np.where(bad, 0.0, aht_seconds), 0.0)


def _check_inputs(
    arrivals: npt.ArrayLike, aht_seconds: npt.ArrayLike, per_interval: npt.ArrayLike, name: str
) -> tuple[FloatArray, FloatArray, npt.NDArray[np.generic]]:
    arr = np.asarray(arrivals, dtype=float).ravel()
    aht = np.broadcast_to(np.asarray(aht_seconds, dtype=float), arr.shape).ravel()
    other = np.asarray(per_interval).ravel()
    if other.size != arr.size:
        raise ValueError(f"{name} has {other.size} intervals, arrivals has {arr.size}")
    bad = ~np.isfinite(arr) | (arr < 0)
    if bad.any():
        raise ValueError(f"arrivals must be finite and >= 0, got {arr[bad][0]!r}")
    return arr, aht, other


def evaluate_deferred(
    arrivals: npt.ArrayLike,
    aht_seconds: npt.ArrayLike,
    agents: npt.ArrayLike,
    interval_seconds: float,
    within_hours: float,
    max_occupancy: float = 1.0,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Service level, mean wait and occupancy of deferred work under a given staffing.

    Parameters
    ----------
    arrivals : array_like
        Items arriving in each interval of a contiguous horizon.
    aht_seconds : array_like
        Mean handling time of those items, seconds (ignored where nothing arrives).
    agents : array_like of int
        Agents staffed per interval (0 while closed).
    interval_seconds : float
        Interval length, seconds.
    within_hours : float
        Deadline after arrival, elapsed hours.
    max_occupancy : float, default 1.0
        Share of staffed time spent on items.

    Returns
    -------
    service_level, asa_seconds, occupancy : ndarray
        As in :class:`DeferredStaffing`.

    Notes
    -----
    The fluid FIFO model of this module's docstring, starting with an empty backlog.
    """
    arr, aht, given = _check_inputs(arrivals, aht_seconds, agents, "agents")
    staff = given.astype(float)
    work = _work_seconds(arr, aht)
    capacity = staff * max_occupancy * interval_seconds
    arrived, done = _flow(work, capacity)
    deadline = within_hours * 3600.0 / interval_seconds
    met, judged = _on_time(arrived, done, work, capacity, deadline)
    with np.errstate(divide="ignore", invalid="ignore"):
        sl = np.where((arr > 0) & (judged > 0), met / judged, np.nan)
        occ = np.where(staff > 0, np.diff(done) / (staff * interval_seconds), np.nan)
    asa = np.where(arr > 0, _mean_wait_seconds(arrived, done, work, capacity, interval_seconds),
                   np.nan)
    return np.clip(sl, 0.0, 1.0), asa, occ


class _StaffingLP:
    """The cumulative-flow LP behind :func:`deferred_staffing`, built once and re-solved for
    each late-work allowance ``U``.

    Work is in agent-intervals (seconds / ``interval_seconds``), so that a productive level
    ``L_i`` (agents × max_occupancy) does ``L_i`` units of work per interval. With ``W_b`` the
    work arrived by boundary ``b`` and ``d`` the deadline in intervals:

    * variables: ``L_i >= 0`` per open interval (none while closed), the cumulative work done
      ``D_b`` with ``D_0 = 0`` and ``D_b <= W_b``, and a lateness ``u_i >= 0`` per constrained
      interval;
    * flow: ``0 <= D_{i+1} − D_i <= L_i`` (``= 0`` while closed);
    * deadlines: ``u_i >= W_{i+1} − D_{k(i)}`` with ``k(i) = i + 1 + ⌊d⌋``, the last boundary
      not after the deadline of the interval's last item. With ``u = 0`` this is conservative:
      the exact model's ``D`` is the largest the flow rules allow, and both ends of an
      interval meeting the condition (its first item is the last one of the interval before)
      keep every item in between on time, the curves being linear there. An interval is
      constrained when it has arrivals, its last item's deadline is inside the horizon and
      some open interval in ``[i, k(i))`` can work it; otherwise no staffing helps, or the
      horizon does not judge it;
    * allowance: ``Σ u_i <= U``. The sum counts a late backlog once per interval it spans,
      so it is a proxy for late items; ``U`` is tuned against the exact model by the caller;
    * anti-drift: ``Σ L_i >= W_n``, so the backlog cannot grow from one horizon to the next;
    * objective: ``Σ L_i + λ Σ |L_i − L_j|`` over consecutive open intervals ``j < i`` (the
      closed time between them, a night or a weekend, does not break the pair, so that ties
      go to one level over the whole horizon, not one per day), the absolute values as
      ``s_i >= ±(L_i − L_j)``. As ``|a − b| <= a + b``, the smoothing term is at most
      ``2λ Σ L``, so the optimum's hours are within a factor ``1 + 2λ`` of the least possible
      (0.2 % for ``λ = 10⁻³``); among plans of equal hours the flattest wins.
    """

    def __init__(self, work: FloatArray, is_open: BoolArray, deadline: float) -> None:
        # data
        n = work.size
        arrived = np.concatenate(([0.0], np.cumsum(work)))
        first = np.arange(n)
        due = np.minimum(first + 1 + math.floor(deadline), n)
        opened = np.concatenate(([0], np.cumsum(is_open)))
        judged = first + 1 + deadline <= n + 1e-9
        constrained = np.flatnonzero((work > 0) & judged & (opened[due] > opened[first]))
        self.size = n
        self.most = float(arrived[constrained + 1].sum())  # an allowance that never binds

        # variables
        lp = pywraplp.Solver.CreateSolver("GLOP")
        if lp is None:  # pragma: no cover — GLOP ships with every OR-Tools wheel
            raise RuntimeError("OR-Tools has no GLOP solver")
        inf = lp.infinity()
        opens = [int(i) for i in np.flatnonzero(is_open)]
        level = {i: lp.NumVar(0.0, inf, f"level[{i}]") for i in opens}
        done = [lp.NumVar(0.0, float(arrived[b]), f"done[{b}]") for b in range(n + 1)]
        late = {int(i): lp.NumVar(0.0, inf, f"late[{i}]") for i in constrained}
        after = dict(zip(opens[1:], opens[:-1], strict=True))  # open interval -> previous one
        steps = {i: lp.NumVar(0.0, inf, f"step[{i}]") for i in after}

        # hard rules: flow, deadlines up to the allowance, anti-drift
        for i in range(n):
            lp.Add(done[i + 1] - done[i] >= 0.0)
            lp.Add(done[i + 1] - done[i] <= level.get(i, 0.0))  # 0 while closed
        for i, u in late.items():
            lp.Add(u + done[int(due[i])] >= float(arrived[i + 1]))
        self._allowance = lp.Add(lp.Sum(list(late.values())) <= self.most) if late else None
        lp.Add(lp.Sum(list(level.values())) >= float(arrived[n]))

        # soft rule: smoothing, s_i >= |L_i - L_j| with j the open interval before i
        for i, s in steps.items():
            lp.Add(s >= level[i] - level[after[i]])
            lp.Add(s >= level[after[i]] - level[i])

        # objective: agent-intervals, then flatness
        lp.Minimize(lp.Sum(list(level.values())) + _SMOOTHING * lp.Sum(list(steps.values())))
        self._lp, self._level = lp, level

    def levels(self, allowance: float) -> FloatArray | None:
        """Productive level per interval with ``Σ u <= allowance``; None unless optimal."""
        if self._allowance is not None:
            self._allowance.SetUb(allowance)
        if self._lp.Solve() != pywraplp.Solver.OPTIMAL:  # pragma: no cover — U = 0 is feasible
            return None
        out = np.zeros(self.size)
        for i, var in self._level.items():
            out[i] = var.solution_value()
        return out


def _lp_plan(lp: _StaffingLP, meets: Callable[[IntArray], bool],
             max_occupancy: float) -> IntArray | None:
    """The LP plan, rounded up to whole agents, with the least agent-intervals that ``meets``
    accepts over a bisection on the allowance; None when even ``U = 0`` fails.

    A larger allowance never raises the LP's optimum, so the plans thin out as ``U`` grows;
    the bisection keeps ``meets(U_low)`` and not ``meets(U_high)`` and stops once the failing
    plan needs as many agent-intervals as the best one found (nothing in between can beat it)
    or the bracket is within 0.1 % of ``U_high``. The rounded plans are not monotone in ``U``,
    so the best accepted plan of all those tried is returned, not the last.
    """
    best: IntArray | None = None
    failing = 0  # agent-intervals of the last plan rejected, the one at U_high

    def accepted(allowance: float) -> bool:
        nonlocal best, failing
        levels = lp.levels(allowance)
        if levels is None:  # pragma: no cover — see _StaffingLP.levels
            return False
        agents = np.ceil(levels / max_occupancy - _ROUNDING_SLACK).clip(0).astype(np.int64)
        if not meets(agents):
            failing = int(agents.sum())
            return False
        if best is None or agents.sum() < best.sum():
            best = agents
        return True

    if accepted(lp.most) or not accepted(0.0):
        return best
    low, high = 0.0, lp.most
    for _ in range(_ALLOWANCE_STEPS):
        assert best is not None  # accepted(0.0) held
        if best.sum() <= failing or high - low <= _ALLOWANCE_PRECISION * high:
            break
        mid = 0.5 * (low + high)
        if accepted(mid):
            low = mid
        else:
            high = mid
    return best


def deferred_staffing(
    arrivals: npt.ArrayLike,
    aht_seconds: npt.ArrayLike,
    open_mask: npt.ArrayLike,
    interval_seconds: float,
    within_hours: float,
    share: float,
    max_occupancy: float = 1.0,
) -> DeferredStaffing:
    """Near-fewest agents per open interval, varying smoothly, that complete ``share`` of the
    items within ``within_hours``.

    Parameters
    ----------
    arrivals : array_like
        Items arriving in each interval of a contiguous horizon (any time, open or not).
    aht_seconds : array_like
        Mean handling time per item, seconds (ignored where nothing arrives).
    open_mask : array_like of bool
        Whether the channel is open (agents work) in each interval.
    interval_seconds : float
        Interval length, seconds.
    within_hours : float
        Deadline after arrival, elapsed (wall-clock) hours.
    share : float
        Target share of items completed by their deadline, in (0, 1].
    max_occupancy : float, default 1.0
        Share of staffed time spent on items; the rest is slack.

    Returns
    -------
    DeferredStaffing

    Notes
    -----
    The fluid FIFO backlog of this module's docstring, empty at the start of the horizon. The
    productive level is ``L = agents × max_occupancy``. Two plans are built and the one with
    fewer agent-intervals is returned (the constant one on a tie):

    * The least constant level, by bisection on the agent count itself, which gives exactly
      ``⌈L* / max_occupancy⌉`` for the least fractional level ``L*`` that meets the target
      (the share is non-decreasing in ``L``).
    * A time-varying plan from a linear programme (OR-Tools GLOP) on the cumulative work
      curves: least agent-hours, plus a small penalty on changes of level between consecutive
      open intervals, such that the work arrived by each interval's end is done by its
      deadline, up to a total late work ``U`` (see ``_StaffingLP``). Its levels are rounded
      up to ``⌈L_i / max_occupancy⌉`` agents, and ``U`` is set by bisection to the largest
      allowance whose rounded plan still meets the target under the exact model; ``U = 0``
      keeps every constrained item on time. The LP's late work only approximates the late
      share (a backlog counts once per interval it spans), hence the exact check.

    So the result always meets the target when the constant level does and never needs more
    agent-intervals. Rules:

    * Only items whose deadline falls inside the horizon are constrained, so work arriving near
      the end does not force staffing; it is still carried, and so that the backlog cannot grow
      from one horizon to the next, the plan's capacity covers all the work (the constant
      ``L`` is at least the mean work per open second).
    * Items with no open time at all between arrival and deadline (e.g. arriving on Saturday
      with a 24-hour deadline when weekends are closed) cannot be helped by any staffing: they
      are left out of the constraint, but they still count as late in ``service_level``.
    * A target no staffing can reach (a share of 1 with items arriving just before closing
      time, say) is relaxed to 0.001 below the best share a constant level achieves, with a
      :class:`~wfm.errors.WfmWarning`; both plans then aim for the relaxed target.
    """
    arr, aht, mask = _check_inputs(arrivals, aht_seconds, open_mask, "open_mask")
    is_open = mask.astype(bool)
    if not 0 < share <= 1:
        raise ValueError(f"share must be in (0, 1], got {share!r}")
    if not 0 < max_occupancy <= 1:
        raise ValueError(f"max_occupancy must be in (0, 1], got {max_occupancy!r}")
    if not within_hours > 0:
        raise ValueError(f"within_hours must be > 0, got {within_hours!r}")
    work = _work_seconds(arr, aht)
    deadline = within_hours * 3600.0 / interval_seconds
    open_seconds = is_open.sum() * interval_seconds
    total = float(work.sum())
    if total <= 0 or open_seconds == 0:
        agents = np.zeros(arr.size, dtype=np.int64)
        sl, asa, occ = evaluate_deferred(arr, aht, agents, interval_seconds, within_hours,
                                         max_occupancy)
        return DeferredStaffing(agents, sl, asa, occ, float("nan"), total <= 0)

    judged = _judged_until(arr.size, deadline)
    weight = arr * np.maximum(judged - _feasible_from(is_open, deadline), 0.0)  # constrained
    weight_sum = float(weight.sum())

    def capacity_of(agents: IntArray) -> FloatArray:
        return np.asarray(agents * max_occupancy * interval_seconds, dtype=np.float64)

    def achieved(capacity: FloatArray) -> float:
        met, _ = _on_time(*_flow(work, capacity), work, capacity, deadline)
        return float((arr * met).sum() / weight_sum)

    def constant(n_agents: int) -> FloatArray:
        return capacity_of(np.where(is_open, n_agents, 0))

    # the least constant level
    stable = max(math.ceil(total / (max_occupancy * open_seconds) * (1 - 1e-12)), 1)
    target = share - 1e-9
    if weight_sum == 0 or achieved(constant(stable)) >= target:
        best = stable
    else:
        ceiling = 64 * max(math.ceil(total / (max_occupancy * interval_seconds)), stable)
        low, high = stable, 2 * stable
        while high < ceiling and achieved(constant(high)) < target:
            low, high = high, 2 * high
        high = min(high, ceiling)
        if (reach := achieved(constant(high))) < target:
            warnings.warn(
                f"a share of {share:g} within {within_hours:g} h cannot be reached (at most "
                f"{reach:.4f} with {high} agents); staffing for {reach - _BEST_EFFORT_GAP:.4f}",
                WfmWarning,
                stacklevel=2,
            )
            target = reach - _BEST_EFFORT_GAP
            low = stable - 1  # not evaluated: the search may now succeed at `stable` itself
        while high - low > 1:  # invariant: achieved(low) < target <= achieved(high)
            mid = (low + high) // 2
            if achieved(constant(mid)) >= target:
                high = mid
            else:
                low = mid
        best = high
    agents = np.where(is_open, best, 0).astype(np.int64)

    # the smooth time-varying plan, when it needs fewer agent-intervals
    if weight_sum > 0:

        def meets(plan: IntArray) -> bool:
            capacity = capacity_of(plan)
            return bool(capacity.sum() >= total * (1 - 1e-12) and achieved(capacity) >= target)

        varying = _lp_plan(_StaffingLP(work / interval_seconds, is_open, deadline), meets,
                           max_occupancy)
        if varying is not None and varying.sum() < agents.sum():
            agents = varying

    sl, asa, occ = evaluate_deferred(arr, aht, agents, interval_seconds, within_hours,
                                     max_occupancy)
    got = achieved(capacity_of(agents)) if weight_sum > 0 else float("nan")
    return DeferredStaffing(agents, sl, asa, occ, got, bool(weight_sum == 0 or got >= share - 1e-9))
