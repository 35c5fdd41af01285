"""One convergence protocol for every solver (RS, 1RSB, state evolution, AMP, zero-T 1RSB).

A solver builds its frozen result (with ``converged`` and ``message``, and optionally a
``status`` code) and ends with::

    return finalize(result, violation=check_xxx(result), strict=strict, warn=warn,
                    what="solve_rs", model=model)

:func:`finalize` does three things, in order:

1. if ``violation`` is a string (an invariant of the result is violated, e.g. from
   :mod:`replicaquant.invariants`), the result is replaced by a copy with ``converged=False``,
   ``message=violation`` and ``status=INVALID``;
2. a non-converged result raises :class:`~replicaquant.errors.ConvergenceError` (``strict``;
   the exception's ``.result`` is the result) or emits a ``RuntimeWarning`` (``warn``);
3. the (possibly replaced) result is returned.

Status codes (SciPy-like: ``0`` is success, the rest say why not; ``message`` has the details):
"""
from __future__ import annotations

import dataclasses
import warnings

from .errors import ConvergenceError

__all__ = ["INVALID", "MAX_ITER", "NON_FINITE", "STAGNATED", "STATUS_NAMES", "SUCCESS",
           "finalize"]

SUCCESS = 0      #: converged
MAX_ITER = 1     #: the iteration budget was exhausted before the tolerance was met
STAGNATED = 2    #: the residual stopped decreasing (early stop)
NON_FINITE = 3   #: the map / iteration produced NaN or inf; the last finite iterate is kept
INVALID = 4      #: an apparent fixed point was rejected (an invariant is violated, chi diverges, ...)

#: one-word name of each status code
STATUS_NAMES = {SUCCESS: "success", MAX_ITER: "max_iter", STAGNATED: "stagnated",
                NON_FINITE: "non_finite", INVALID: "invalid"}

__doc__ += "".join(f"\n* ``{code}`` ({name})" for code, name in STATUS_NAMES.items())


def finalize(result, *, violation: str | None = None, strict: bool = False, warn: bool = True,
             what: str = "solver", stacklevel: int = 2, model=None, detail: str | None = None):
    """Apply the convergence protocol to a solver ``result`` and return it.

    Parameters
    ----------
    result : frozen dataclass
        Has ``converged`` (bool) and ``message`` (str); a ``status`` field, if present, is
        set to :data:`INVALID` together with ``violation``.
    violation : str or None
        Reason why the result must not count as converged (``None``: no objection).
    strict : bool
        Raise :class:`~replicaquant.errors.ConvergenceError` (``.result`` = the result) when the
        result is not converged.
    warn : bool
        Otherwise emit a ``RuntimeWarning`` (ignored with ``strict``).
    what : str
        Name of the solver in the text: ``"<what> did not converge[ for <model>]: <message>"``.
    stacklevel : int
        ``stacklevel`` of the warning as seen from the *solver* (2: the solver's caller).
    model : optional
        Its ``repr`` is named in the text.
    detail : str, optional
        Appended to the text (``"; <detail>"``), e.g. the last iterate; not part of ``message``.

    Returns
    -------
    The result, replaced by a non-converged copy when ``violation`` is given.
    """
    if violation is not None:
        if not isinstance(violation, str):
            raise TypeError(f"violation must be None or a string, got {type(violation).__name__}")
        changes = dict(converged=False, message=violation)
        if hasattr(result, "status"):
            changes["status"] = INVALID
        result = dataclasses.replace(result, **changes)
    if not result.converged and (strict or warn):
        text = f"{what} did not converge"
        if model is not None:
            text += f" for {model!r}"
        text += f": {result.message}"
        if detail:
            text += f"; {detail}"
        if strict:
            raise ConvergenceError(text, result)
        # +1: this function's own frame
        warnings.warn(text, RuntimeWarning, stacklevel=stacklevel + 1)
    return result
