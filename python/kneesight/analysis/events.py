"""Landing events of a drop vertical jump from the fitted skeleton and the measured feet.

Initial contact (IC), peak knee flexion (PKF), take-off (TO) and second contact (SC):

1. Coarse phases from foot height: the lower ankle joint centre (``ajc_*_y``) against its
   ground level (a low percentile over the trial). The feet are "high" on the box and in flight
   and "low" in ground contact.
2. Refinement from the velocity jump of a foot height (a broken-line fit over a few frames
   either side, on a quarter-frame grid; the first of comparable jumps). The heights are
   measured where the table carries them: the tracker's lowest subject points around each
   foot (``foot_lowest_m_<side>``), which stop falling when the sole reaches the floor and
   leave it with the toes; a measured height stepping faster than a foot moves (held at the
   box top, which hides the toes, until the foot comes out in front of its face) is a break the
   fit does not reach across. The fitted feet lag both by a frame or two (the temporal prior holds
   them through the impact and the push-off), so they serve only without measurements (ground
   truth, a table read back from ``kinematics.csv``): touch-down from the ankle joint
   centre's height and the ball of the foot's together, take-off from the ball of the foot's
   (:func:`toe_clearance`), which stays on the floor while the heel rises. Touch-down (IC, SC)
   is searched from the ankle's last frame too high for the toes to touch to just after the
   feet reach the ground, so a tracker catch-up earlier in the fall or a slip later cannot
   win. A landing is the feet coming down from a height and staying down (a fit dipping to the
   floor and back is passed over, and so is a second landing sooner after take-off than the
   pelvis's rise allows). Take-off is the largest velocity jump before the feet are clearly
   airborne in two consecutive tracked frames (a fit stuck a few cm above the floor is no
   flight). Both feet are located jointly when they land together; IC is the first foot's
   contact. When the feet are too sparsely tracked at take-off, a two-phase fit of the pelvis
   (free fall after take-off) and the ankle heights is used instead.
3. Events are reported at frames, as a frame-by-frame contact detector marks them: the first
   frame in contact (IC, SC) or in the air (TO). PKF is the frame of maximum knee flexion (either
   side) between IC and TO, leaving out knee angles that jump away from both neighbours faster
   than a knee bends (:func:`steady_knee`) and legs off the ground, placed by the parabola
   through the top of the peak (:func:`~kneesight.analysis.events_fit.peak_vertex`: the top
   is flat, and the largest noisy sample wanders along it). Without a landing (a squat), PKF
   is the trial's deepest knee flexion when above ``SQUAT_DEG``.

Times are seconds from the first frame; an event that cannot be found is None with a reason.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from kneesight.analysis.events_fit import hinge_fit, peak_vertex, velocity_jump
from kneesight.analysis.events_signals import despike, steady_knee, toe_clearance
from kneesight.conventions import FOOT_LOWEST, SIDES, column

EVENT_KEYS: tuple[str, ...] = (
    "initial_contact_s",
    "peak_knee_flexion_s",
    "take_off_s",
    "second_contact_s",
)

HIGH_M = 0.12
"""Foot above its ground level by more than this: on the box or in flight (m)."""
LOW_M = 0.06
"""Foot within this of its ground level: in (or about to be in) ground contact (m)."""
ASYMMETRIC_S = 0.03
JOINT_FRAMES = 3.0
"""Feet whose touch-downs are found within this many frames (or ``ASYMMETRIC_S`` seconds) of
each other are taken to land together and located jointly."""
TOUCH_M = 0.15
"""Highest ankle joint centre above its flat-foot ground level at which the toes can touch
down (a foot plantarflexed about 35 deg, m)."""
FLIGHT_SHARE = 0.6
"""A second landing comes no sooner after take-off than this share of the ballistic flight
time of the pelvis's rise (margin for a tracked pelvis lagging its rise)."""
G = 9.81
"""Gravitational acceleration, m/s^2."""
SQUAT_DEG = 20.0
"""Without a landing, peak knee flexion is the trial's maximum when it exceeds this (deg)."""
MEASURED_TOUCH = "lowest points around the feet (velocity jump at touch-down)"
FITTED_TOUCH = "ankle and ball-of-foot heights (velocity jump at touch-down)"
MEASURED_TAKE_OFF = "lowest points around the feet (velocity jump at toe-off)"
FITTED_TAKE_OFF = "ball-of-foot height (velocity jump at toe-off)"
"""How a touch-down or take-off was placed (``Events.method``): from the tracker's measured
lowest points around the feet (``foot_lowest_m_<side>``) when the table carries them, else
from the fitted skeleton."""
MIN_TRACKED_AROUND = 0.6
"""An event is placed only with the feet tracked in this fraction of the frames around it."""


@dataclass
class Events:
    """Landing events.

    Attributes
    ----------
    times : dict of str to float or None
        Seconds from the first frame for each key of :data:`EVENT_KEYS`.
    frames : dict of str to int or None
        Row index (0-based) of the frame nearest each event.
    contact_s : dict of str to float or None
        Per-side initial contact time (``"l"``, ``"r"``), from that side's foot.
    reasons : dict of str to str
        Why an event is None.
    method : dict of str to str
        Which signal placed each event ("pelvis free fall" or "foot height").
    """

    times: dict[str, float | None] = field(default_factory=lambda: dict.fromkeys(EVENT_KEYS))
    frames: dict[str, int | None] = field(default_factory=lambda: dict.fromkeys(EVENT_KEYS))
    contact_s: dict[str, float | None] = field(default_factory=lambda: {"l": None, "r": None})
    reasons: dict[str, str] = field(default_factory=dict)
    method: dict[str, str] = field(default_factory=dict)


def _frames(seconds: float, fps: float, minimum: int) -> int:
    return max(minimum, int(round(seconds * fps)))


def _first(mask: np.ndarray, start: int = 0) -> int | None:
    idx = np.flatnonzero(mask[start:])
    return int(idx[0]) + start if idx.size else None


def _nearest_row(t: np.ndarray, time_s: float) -> int:
    return int(np.argmin(np.abs(np.where(np.isfinite(t), t, np.inf) - time_s)))


def ground_level(table: Mapping[str, np.ndarray]) -> float | None:
    """Ground level of the feet: a low percentile (2nd) of the lower ankle joint centre's
    height over the trial (lab metres), or None with fewer than 10 tracked frames.

    Parameters
    ----------
    table : mapping of str to ndarray, each of shape (N,)
        Kinematics table; uses ``ajc_l_y`` and ``ajc_r_y`` (NaN where untracked).
    """
    ajc = [despike(np.asarray(table[f"ajc_{s}_y"], dtype=np.float64)) for s in ("l", "r")]
    with np.errstate(all="ignore"):
        foot = np.fmin(*ajc)
    ok = np.isfinite(foot)
    return float(np.percentile(foot[ok], 2)) if ok.sum() >= 10 else None


def detect_events(table: Mapping[str, np.ndarray], fps: float) -> Events:
    """Find IC, peak knee flexion, take-off and second contact of a drop vertical jump.

    Parameters
    ----------
    table : mapping of str to ndarray, each of shape (N,)
        Kinematics table (:mod:`kneesight.analysis.table`); uses ``time_s``, ``ajc_*_y``,
        ``hjc_*_y`` and ``knee_flexion_*``, and, when present, the tracker's measured
        ``foot_lowest_m_l`` and ``foot_lowest_m_r`` (m above the floor,
        :data:`kneesight.conventions.FOOT_LOWEST`). NaN where untracked.
    fps : float
        Frame rate in Hz (sets the fitting windows).

    Returns
    -------
    Events
        Times in seconds from the first frame; None with a reason where an event is absent
        (no landing in the trial, too few tracked frames around it).
    """
    ev = Events()
    t = np.asarray(table["time_s"], dtype=np.float64)
    ajc = {s: despike(np.asarray(table[f"ajc_{s}_y"], dtype=np.float64)) for s in ("l", "r")}
    with np.errstate(all="ignore"):
        foot = np.fmin(ajc["l"], ajc["r"])
        pelvis = 0.5 * (np.asarray(table["hjc_l_y"]) + np.asarray(table["hjc_r_y"]))
    ok = np.isfinite(foot)
    ground = ground_level(table)
    if ground is None:
        for k in EVENT_KEYS:
            ev.reasons[k] = "fewer than 10 tracked frames with the feet visible"
        return ev
    toe = {
        s: despike(toe_clearance(table, s, float(np.nanpercentile(ajc[s], 2))))
        if np.isfinite(ajc[s]).any()
        else ajc[s]
        for s in ("l", "r")
    }
    # measured, not fitted (the tracker's lowest points around each foot), when carried
    lowest = {
        s: despike(np.asarray(table[c], dtype=np.float64))
        for s in SIDES
        if (c := column(FOOT_LOWEST, s)) in table
    }
    high = ok & (foot > ground + HIGH_M)
    low = ok & (foot < ground + LOW_M)
    # clearly up (box or flight): high in two consecutive tracked frames
    rows_ok = np.flatnonzero(ok)
    up = np.zeros(t.size, dtype=bool)
    up[rows_ok[:-1][high[rows_ok[:-1]] & high[rows_ok[1:]]]] = True

    first_high = _first(up)
    # the deeper knee at each frame of the legs on the ground (as the truth counts supported
    # legs: a leg whose ankle the fit left up on the box or in the air is not landing)
    kf = np.fmax(
        *(
            np.where(ajc[s] > ground + HIGH_M, np.nan, steady_knee(table[f"knee_flexion_{s}"], t))
            for s in ("l", "r")
        )
    )
    ic_c = _first(low, first_high) if first_high is not None else None
    if ic_c is None:
        for k in EVENT_KEYS:
            ev.reasons[k] = (
                "no landing found: the feet never come down from a height (box or flight)"
            )
        # a squat: the deepest knee flexion of the trial, when it is a movement
        if np.isfinite(kf).mean() >= MIN_TRACKED_AROUND and np.nanmax(kf) > SQUAT_DEG:
            pk = peak_vertex(t, kf, int(np.nanargmax(kf)), 0, t.size)
            ev.frames["peak_knee_flexion_s"], ev.times["peak_knee_flexion_s"] = pk, float(t[pk])
            ev.method["peak_knee_flexion_s"] = "knee flexion maximum over the trial (no landing)"
            del ev.reasons["peak_knee_flexion_s"]
        return ev
    n = t.size
    before_land = _frames(0.2, fps, 6)
    after_land = _frames(0.12, fps, 4)
    search = _frames(0.1, fps, 3)
    half = _frames(0.045, fps, 2)

    def refine(
        lo: int, hi: int, flight_first: bool, feet: list[np.ndarray]
    ) -> tuple[int, float, str] | None:
        lo, hi = max(lo, 0), min(hi, n - 1)
        signals = [(f, False) for f in feet] + [(pelvis, True)]
        tc = hinge_fit(t, signals, lo, hi, flight_first)
        if tc is None:
            return None
        # row of the first frame in contact (landing) or in the air (take-off)
        row = min(int(np.searchsorted(t, tc)), n - 1)
        return row, tc, "foot height and pelvis free fall (two-phase fit)"

    def unsupported(r: tuple[int, float, str]) -> str | None:
        """Why an event found by a fit is not placed (None: the feet are tracked around it,
        as the velocity jump needs them before and after the event)."""
        before = slice(max(r[0] - 2 * half, 0), r[0])
        after = slice(r[0], min(r[0] + 2 * half, n))

        def frac(a: np.ndarray) -> float:
            return float(np.mean(np.isfinite(a))) if a.size else 0.0

        seen = max(min(frac(toe[s][before]), frac(toe[s][after])) for s in ("l", "r"))
        if seen < MIN_TRACKED_AROUND:
            return (
                f"only {seen:.0%} of the frames around it are tracked (t = {r[1]:.3f} s): "
                "not placed"
            )
        return None

    def place(
        key: str, r: tuple[int, float, str] | None, why: str
    ) -> tuple[int, float, str] | None:
        """Record an event; returns it, or None when it is absent or poorly supported."""
        if r is None:
            ev.reasons[key] = why
            return None
        reason = unsupported(r)
        if reason is not None:
            ev.reasons[key] = reason
            return None
        # events are reported at frames: the first frame in contact (landing) or in the air
        # (take-off), as a frame-by-frame contact detector would mark them
        ev.frames[key] = r[0]
        ev.times[key] = float(t[r[0]])
        ev.method[key] = r[2]
        return r

    def jump_at(
        signals: list[tuple[list[np.ndarray], str]], lo: int, hi: int, first: bool = True
    ) -> tuple[float, str] | None:
        """The velocity jump of the first signal set that has one (measured before fitted)."""
        for ys, how in signals:
            measured = how in (MEASURED_TOUCH, MEASURED_TAKE_OFF)
            tc = velocity_jump(t, ys, lo, hi, half, first=first, measured=measured)
            if tc is not None:
                return tc, how
        return None

    def touch_signals(sides: tuple[str, ...]) -> list[tuple[list[np.ndarray], str]]:
        """Touch-down signals of ``sides``: the measured lowest points around the feet, which
        stop falling when the soles reach the floor, else the fitted ankle and ball of the
        foot (the ankle stops when the toes land, but a fit catching up the falling legs can
        stop it early; the ball of the foot's the toes stop, but the ankle angle is noisy)."""
        fitted = ([y for s in sides for y in (ajc[s], toe[s])], FITTED_TOUCH)
        if len(lowest) == 2:
            return [([lowest[s] for s in sides], MEASURED_TOUCH), fitted]
        return [fitted]

    def first_contact(
        start: int,
    ) -> tuple[tuple[int, float, str] | None, dict[str, float | None]]:
        """Per-side touch-down after row ``start`` (:func:`touch_signals`); the earlier."""
        per_side: dict[str, float | None] = {"l": None, "r": None}
        found: dict[str, str] = {}
        rows: dict[str, tuple[int, int]] = {}
        for side in ("l", "r"):
            c = _first(np.isfinite(ajc[side]) & (ajc[side] < ground + LOW_M), start)
            if c is not None:
                # the toes cannot touch with the ankle higher than a plantarflexed foot holds it
                above = np.flatnonzero(ajc[side][start:c] > ground + TOUCH_M)
                lo = max(c - search, start, start + int(above[-1]) if above.size else start)
                rows[side] = (lo, min(c + 2, n - 1))
                j = jump_at(touch_signals((side,)), *rows[side])
                if j is not None:
                    per_side[side], found[side] = j
        times = [v for v in per_side.values() if v is not None]
        if not times:
            return None, per_side
        first_side = min(found, key=lambda k: per_side[k] or np.inf)
        tc, how = min(times), found[first_side]
        if len(times) == 2 and abs(times[0] - times[1]) <= max(JOINT_FRAMES / fps, ASYMMETRIC_S):
            # both feet land together (within noise): locate them jointly (less noise, and no
            # early bias from taking the earlier of two noisy times)
            lo = min(r[0] for r in rows.values())
            hi = max(r[1] for r in rows.values())
            joint = jump_at(touch_signals(SIDES), lo, hi)
            if joint is not None:
                tc, how = joint
        row = min(int(np.searchsorted(t, tc - 1e-9)), n - 1)
        return (row, tc, how), per_side

    settle = _frames(0.15, fps, 4)

    def stays_down(c: int, frames: int = settle, share: float = 0.7) -> bool:
        """The feet stay down after row ``c``: at least ``share`` of the tracked frames among
        the next ``frames`` are off the heights (a fit that dips to the floor for a frame or
        two is no landing)."""
        w = slice(c, min(c + frames, n))
        seen = ok[w]
        return bool(
            seen.sum() >= max(3, 0.5 * seen.size)
            and np.mean(foot[w][seen] < ground + HIGH_M) >= share
        )

    def too_soon(take_off: int | None, c: int) -> bool:
        """Feet down at row ``c`` sooner after ``take_off`` than the body's rise allows: a
        flight lifting the pelvis by ``rise`` lasts ``2 sqrt(2 rise / g)``; a fit bringing
        the legs to the floor at the top of the jump lands sooner (``FLIGHT_SHARE`` of it)."""
        if take_off is None or not np.isfinite(pelvis[take_off : c + 1]).any():
            return False
        p0 = pelvis[take_off] if np.isfinite(pelvis[take_off]) else np.nan
        if not np.isfinite(p0):
            return False
        rise = max(float(np.nanmax(pelvis[take_off : c + 1])) - float(p0), 0.0)
        return bool(t[c] - t[take_off] < FLIGHT_SHARE * 2.0 * np.sqrt(2.0 * rise / G))

    def landing(
        start: int, key: str, why: str, take_off: int | None = None
    ) -> tuple[tuple[int, float, str] | None, dict[str, float | None]]:
        """The first landing after row ``start``: the feet come down from a height and stay
        down (a fit that rises for a frame or two, or dips to the floor and back, is passed
        over; so is one sooner after ``take_off`` than its flight). Records the event, or why
        it is absent (a landing and stance tracked too sparsely to place)."""
        h = _first(up, start)
        while h is not None:
            c = _first(low, h)
            if c is None:
                break
            # from a height held for at least three tracked frames (box or flight), not a blip
            if np.count_nonzero(high[h:c]) >= 3 and stays_down(c) and not too_soon(take_off, c):
                r, per_side = first_contact(h)
                if r is not None and unsupported(r) is None:
                    return place(key, r, why), per_side
                if stays_down(c, _frames(0.3, fps, 6), 0.8):
                    # a landing and its stance, tracked too sparsely to place: None with the
                    # reason (a later landing is not this one)
                    place(key, r, why)
                    return None, {"l": None, "r": None}
                # feet back up soon: the fit dipped to the floor, not a landing
            h = _first(up, c + 1)
        ev.reasons[key] = why
        return None, {"l": None, "r": None}

    assert first_high is not None  # ic_c was found after it
    ic, ev.contact_s = landing(
        first_high, "initial_contact_s", "too few tracked frames around the first landing"
    )
    if ic is None:
        for k in EVENT_KEYS[1:]:
            ev.reasons[k] = "no initial contact"
        return ev
    ic_row = ic[0]

    # take-off: the last frame near the ground before both feet are clearly in the air (high
    # in two consecutive tracked frames: a fit stuck a few cm up is not a flight)
    start = ic_row + _frames(0.1, fps, 2)
    airborne = np.flatnonzero(up[start:]) + start
    to_c = None
    if airborne.size:
        near = np.flatnonzero(
            ok[start : airborne[0]] & (foot[start : airborne[0]] < ground + LOW_M)
        )
        to_c = start + int(near[-1]) + 1 if near.size else None
    if to_c is None:
        to_c = _first(ok & (foot > ground + LOW_M), start)
    to = None
    if to_c is not None:
        lo, hi = max(to_c - search, ic_row + 1), min(to_c + 2 * search, n - 1)
        if airborne.size:  # the toes leave before the feet are clearly in the air
            hi = max(min(hi, int(airborne[0]) + 1), lo + 2)
        # the largest jump: the toes leaving, not the heel rising before them; measured (the
        # lowest points around the feet leave the floor with the toes) before fitted (the ball
        # of the foot, which a fit held by its temporal prior lifts a frame or two late)
        off = [([toe["l"], toe["r"]], FITTED_TAKE_OFF)]
        if len(lowest) == 2:
            off.insert(0, ([lowest["l"], lowest["r"]], MEASURED_TAKE_OFF))
        j = jump_at(off, lo, hi, first=False)
        if j is not None:
            tc, how = j
            row = min(int(np.searchsorted(t, tc - 1e-9)), n - 1)
            to = (row, tc, how)
        else:  # feet too sparsely tracked: pelvis free fall and ankle heights
            to = refine(
                to_c - after_land, to_c + before_land + after_land, False, [ajc["l"], ajc["r"]]
            )
    to = place("take_off_s", to, "no take-off after the first landing")

    end = to[0] if to is not None else n
    seg = kf[ic_row:end]
    seen = float(np.mean(np.isfinite(seg))) if seg.size else 0.0
    if seen < MIN_TRACKED_AROUND:
        ev.reasons["peak_knee_flexion_s"] = (
            f"the knee of a leg on the ground is tracked in only {seen:.0%} of the frames "
            "between contact and take-off"
        )
    else:
        pk = ic_row + int(np.nanargmax(seg))
        pk = peak_vertex(t, kf, pk, ic_row, end)
        ev.frames["peak_knee_flexion_s"], ev.times["peak_knee_flexion_s"] = pk, float(t[pk])
        ev.method["peak_knee_flexion_s"] = "knee flexion maximum (parabola through its top)"

    if to is None:
        ev.reasons["second_contact_s"] = "no take-off"
        return ev
    flight = _first(up, to[0])
    if flight is None or _first(low, flight) is None:
        ev.reasons["second_contact_s"] = "no second landing in the recording"
        return ev
    landing(flight, "second_contact_s", "too few tracked frames around the second landing", to[0])
    return ev


def event_row(events: Events, key: str, t: np.ndarray) -> int | None:
    """Row index of an event (None when the event is absent)."""
    v = events.times.get(key)
    if v is None:
        return None
    r = events.frames.get(key)
    return r if r is not None else _nearest_row(t, v)
