"""``replicaquant figures``: regenerate the paper figures (PNG + caption) into a directory."""
from __future__ import annotations

import contextlib
import sys
import time


def register(sub) -> None:
    """Add the ``replicaquant figures`` parser to the subparsers ``sub``."""
    p = sub.add_parser(
        "figures", help="regenerate every paper figure (PNG + caption .txt)",
        description="Regenerate the paper figures of replicaquant.figures into --out "
                    "(default paper_figures/).  --quick uses coarse grids.  Each figure writes "
                    "<name>.png, its caption <name>.txt (which ends with the claims it makes, "
                    "checked on the data) and the data <name>.json.")
    p.add_argument("--out", default=None, metavar="DIR",
                   help="output directory, created if missing (default: paper_figures); existing "
                        "files of the same name are replaced")
    p.add_argument("--quick", action="store_true",
                   help="coarse grids and small sizes (captions say what they cannot show)")
    p.add_argument("--only", nargs="+", metavar="NAME", default=None,
                   help="make only these figures (see --list)")
    p.add_argument("--list", action="store_true", help="list the available figures and exit")
    p.add_argument("--json", action="store_true",
                   help="print JSON on stdout: the list (with --list) or the files written and "
                        "each figure's claims")
    p.set_defaults(func=run)


def run(args) -> int:
    """Run ``replicaquant figures`` with parsed ``args``; returns the exit status."""
    from ..figures import FigureError, available_figures, describe, load_data, make_figures
    from ._common import check_output_dir, conflict, dump_json, given

    if args.list:
        extra = given(args, "out", "only") + (["--quick"] if args.quick else [])
        if extra:
            conflict(f"--list only lists the figures; {', '.join(extra)} would do nothing")
        listing = {}
        for name in available_figures():
            try:
                listing[name] = describe(name)
            except Exception as exc:  # noqa: BLE001 - listing must not fail on one module
                listing[name] = f"(cannot import: {type(exc).__name__}: {exc})"
        if args.json:
            print(dump_json({"figures": listing}))
        else:
            for name, text in listing.items():
                print(f"{name:22s} {text}")
        return 0
    if args.only:
        unknown = [n for n in args.only if n not in available_figures()]
        if unknown:
            raise ValueError(f"--only: unknown figure(s) {', '.join(unknown)}; "
                             f"available: {', '.join(available_figures())}")
    args.out = str(check_output_dir("paper_figures" if args.out is None else args.out))
    t0 = time.perf_counter()
    mode = "quick" if args.quick else "full"
    print(f"making figures ({mode} settings) in {args.out}/", file=sys.stderr, flush=True)

    def log(line: str) -> None:
        print(f"  {line}", file=sys.stderr, flush=True)

    failure = None
    try:
        paths = make_figures(args.out, quick=args.quick, names=args.only, log=log)
    except FigureError as exc:
        paths, failure = exc.paths, exc
    if args.json:
        claims = {}
        for p in paths:
            if p.suffix == ".json" and p.stem in available_figures():
                with contextlib.suppress(Exception):
                    claims[p.stem] = load_data(p).get("claims")
        print(dump_json({"out": args.out, "quick": bool(args.quick),
                         "files": [str(p) for p in paths], "claims": claims,
                         "failed": sorted(failure.errors) if failure else []}))
    else:
        for p in paths:
            print(p)
    if failure is not None:
        print(f"replicaquant: {failure}", file=sys.stderr)
        return 1
    print(f"done: {len(paths)} files in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    return 0
