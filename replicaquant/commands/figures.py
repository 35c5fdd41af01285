"""``replicaquant figures``: regenerate the paper figures (PNG + caption) into a directory."""
from __future__ import annotations

import sys
import time


def register(sub) -> None:
    """Add the ``replicaquant figures`` parser to the subparsers ``sub``."""
    p = sub.add_parser(
        "figures", help="regenerate every paper figure (PNG + caption .txt)",
        description="Regenerate the paper figures of replicaquant.figures into --out "
                    "(default paper_figures/).  --quick uses coarse grids (a few minutes on "
                    "2 cores).  Each figure writes <name>.png and its caption <name>.txt.")
    p.add_argument("--out", default="paper_figures", metavar="DIR",
                   help="output directory (default: paper_figures)")
    p.add_argument("--quick", action="store_true", help="coarse grids (fast)")
    p.add_argument("--only", nargs="+", metavar="NAME", default=None,
                   help="make only these figures (see --list)")
    p.add_argument("--list", action="store_true", help="list the available figures and exit")
    p.set_defaults(func=run)


def run(args) -> int:
    """Run ``replicaquant figures`` with parsed ``args``; returns the exit status."""
    from ..figures import FigureError, available_figures, describe, make_figures

    if args.list:
        for name in available_figures():
            try:
                text = describe(name)
            except Exception as exc:  # noqa: BLE001 - listing must not fail on one module
                text = f"(cannot import: {type(exc).__name__}: {exc})"
            print(f"{name:22s} {text}")
        return 0
    if args.only:
        unknown = [n for n in args.only if n not in available_figures()]
        if unknown:
            raise ValueError(f"--only: unknown figure(s) {', '.join(unknown)}; "
                             f"available: {', '.join(available_figures())}")
    t0 = time.perf_counter()
    mode = "quick" if args.quick else "full"
    print(f"making figures ({mode} settings) in {args.out}/", file=sys.stderr, flush=True)

    def log(line: str) -> None:
        print(f"  {line}", file=sys.stderr, flush=True)

    try:
        paths = make_figures(args.out, quick=args.quick, names=args.only, log=log)
    except FigureError as exc:
        for p in exc.paths:
            print(p)
        print(f"replicaquant: {exc}", file=sys.stderr)
        return 1
    for p in paths:
        print(p)
    print(f"done: {len(paths)} files in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    return 0
