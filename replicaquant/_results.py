"""Shared pieces of the solver result objects (readable repr)."""
from __future__ import annotations


def format_result(title: str, obj, fields, flags: dict) -> str:
    """Multi-line repr: ``title``, one line per numeric field, flags, convergence and message.

    ``obj`` must have ``converged``, ``iterations``, ``residual`` and ``message`` attributes.
    """
    lines = [title]
    for k in fields:
        lines.append(f"  {k:>15s} = {getattr(obj, k): .10g}")
    for k, v in flags.items():
        lines.append(f"  {k:>15s} = {v}")
    lines.append(f"  {'converged':>15s} = {obj.converged} after {obj.iterations} iterations "
                 f"(residual {obj.residual:.2e})")
    if obj.message and obj.message != "converged":
        lines.append(f"  {'message':>15s} = {obj.message}")
    return "\n".join(lines)
