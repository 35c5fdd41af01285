"""Conventions shared by every ``replicaquant`` subcommand.

Output (:func:`add_output_args`, :func:`emit`)
    ``--json`` prints the full result as JSON on stdout instead of the human-readable table;
    ``--out FILE`` additionally writes the same JSON to ``FILE`` (atomically: temporary file in
    the same directory, then rename).  Without ``--out`` nothing is written to disk and the result
    is printed -- a command never computes and discards.  Commands that write another format
    (``phase-diagram``: netCDF; ``figures``: a directory) keep the option name ``--out``.

Output paths (:func:`check_output_path`, :func:`check_output_dir`)
    are validated *before* anything is computed: the parent directory must exist and accept a
    new file (checked by creating and removing a probe file, which is also right for root and
    for ``/proc``-like file systems), the target must not be a directory.  An existing regular
    file is **overwritten** (replaced atomically: readers see the old or the new file, never a
    mix).  A bad path is a one-line ``replicaquant: error: --out: ...`` and exit status 2.

Strict JSON (:func:`to_jsonable`, :func:`dump_json`, :func:`from_jsonable`)
    The output is parseable by any standard JSON parser (``json.loads``, ``jq``, JavaScript):
    no ``NaN``/``Infinity`` tokens, no ``"inf"`` strings.  A non-finite float is written as
    ``null``; when it is the value of an object member ``"<key>"`` a sibling flag tells what it
    was: ``"<key>_is_inf": true`` for ``+inf``, ``"<key>_is_neg_inf": true`` for ``-inf`` (NaN:
    ``null`` alone -- "not available").  For a list ``"<key>": [...]`` the flags hold the
    indices of the infinite entries (``"<key>_is_inf": [3, 7]``; index lists ``[i, j]`` for
    nested lists).  :func:`from_jsonable` undoes this.

Options that conflict or do nothing
    are rejected with exit status 2 (:func:`conflict`, :func:`given`): options whose default
    matters for such a check default to ``None`` and the real default is stated in the help.

Progress (:func:`progress`)
    Commands that can take more than a few seconds report progress on stderr: a tqdm bar on a
    terminal, one line per step otherwise (logs, pipes); ``--no-progress`` silences it.

Help texts show defaults (:class:`HelpFormatter`).
"""
from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import pathlib
import sys
import tempfile
import time

import numpy as np

__all__ = ["HelpFormatter", "parse_float", "add_model_args", "quantizer_from_args",
           "model_from_args", "add_output_args", "add_progress_arg", "check_output_path",
           "check_output_dir", "emit", "to_jsonable", "from_jsonable", "dump_json", "given",
           "conflict", "progress", "UsageError"]


class UsageError(ValueError):
    """A bad or conflicting command line; the CLI prints it on one line and exits with 2."""


def conflict(message: str) -> None:
    """Raise :class:`UsageError` (exit status 2) for options that conflict or do nothing."""
    raise UsageError(message)


def given(args, *dests: str) -> list[str]:
    """Option names (``--noise-var`` style) of ``dests`` the user set (value not ``None``)."""
    return ["--" + d.replace("_", "-") for d in dests if getattr(args, d, None) is not None]


class HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Show ``(default: X)`` unless the help text already states the default or there is none."""

    def _get_help_string(self, action):
        text = action.help or ""
        if ("default" in text.lower() or action.default is None or action.default is False
                or action.default is argparse.SUPPRESS or not action.option_strings):
            return text
        return super()._get_help_string(action)


def parse_float(text: str) -> float:
    """Float parser accepting ``inf``; NaN is rejected later by the model checks."""
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None


# ----------------------------------------------------------------------------------- the model

def add_model_args(p: argparse.ArgumentParser, *, beta_required: bool = True) -> None:
    """Options describing a ``Model``: quantizer, alpha, beta, lam, noise, teacher.

    ``--width``, ``--gamma``, ``--bits``, ``--quantizer`` and ``--rho`` default to ``None`` so
    that :func:`model_from_args` can reject the ones that do nothing (``--rho`` with
    ``--teacher levels``, ``--gamma`` without ``--quantizer power``, ``--bits`` with
    ``--levels``); the effective defaults are in the help.
    """
    g = p.add_argument_group("model")
    g.add_argument("--bits", type=int, default=None, help="bits b (K = 2**b levels) (default: 2)")
    g.add_argument("--width", type=parse_float, default=None,
                   help="half-range omega; with --quantizer lloyd the Gaussian source std "
                        "(default: 1.5)")
    g.add_argument("--quantizer", choices=("uniform", "power", "lloyd"), default=None,
                   help="level family; 'power' uses --gamma, 'lloyd' uses --width as source std "
                        "(default: uniform)")
    g.add_argument("--gamma", type=parse_float, default=None,
                   help="shape of the power family, --quantizer power only (default: 2)")
    g.add_argument("--levels", type=parse_float, nargs="+", default=None,
                   help="explicit strictly increasing levels (instead of --bits/--width/--quantizer)")
    g.add_argument("--alpha", type=parse_float, required=True, help="samples per dimension n/d")
    g.add_argument("--beta", type=parse_float, required=beta_required,
                   default=None if beta_required else math.inf,
                   help="inverse temperature ('inf' for the ground state)"
                        + ("" if beta_required else " (default: inf)"))
    g.add_argument("--lam", type=parse_float, default=0.0, help="ridge penalty")
    g.add_argument("--noise-var", type=parse_float, default=0.0, help="label noise variance")
    g.add_argument("--rho", type=parse_float, default=None,
                   help="Gaussian teacher variance, --teacher gaussian only (default: 1)")
    g.add_argument("--teacher", choices=("gaussian", "levels"), default="gaussian",
                   help="'gaussian' N(0, rho) or 'levels': uniform on the student's levels")


def quantizer_from_args(args):
    """Build the quantizer named by the CLI options (``UsageError`` for options that do nothing)."""
    from .. import quantizers as qz

    if args.levels is not None:
        extra = given(args, "bits", "width", "quantizer", "gamma")
        if extra:
            conflict(f"--levels gives the level set explicitly; {', '.join(extra)} would be ignored")
        return qz.Quantizer(args.levels)
    family = args.quantizer or "uniform"
    if family != "power" and args.gamma is not None:
        conflict("--gamma applies only to --quantizer power")
    bits = 2 if args.bits is None else args.bits
    width = 1.5 if args.width is None else args.width
    if family == "power":
        return qz.PowerQuantizer(bits, width, 2.0 if args.gamma is None else args.gamma)
    if family == "lloyd":
        return qz.LloydMaxQuantizer(bits, width)
    return qz.UniformQuantizer(bits, width)


def model_from_args(args):
    """Build a validated ``Model`` from the CLI options (raises ``ValueError`` on bad input)."""
    from ..model import Model
    from ..teachers import DiscreteTeacher, GaussianTeacher

    if args.teacher == "levels" and args.rho is not None:
        conflict("--rho sets the Gaussian teacher's variance; it does nothing with --teacher levels")
    quant = quantizer_from_args(args)
    teacher = (DiscreteTeacher.from_quantizer(quant) if args.teacher == "levels"
               else GaussianTeacher(1.0 if args.rho is None else args.rho))
    return Model(quantizer=quant, alpha=args.alpha, beta=args.beta, lam=args.lam,
                 noise_var=args.noise_var, teacher=teacher)


# ----------------------------------------------------------------------------------- output

def add_output_args(p: argparse.ArgumentParser, *, out_help: str | None = None,
                    json_flag: bool = True) -> None:
    """``--out FILE`` (JSON result, atomic, overwrites a file) and ``--json`` (JSON on stdout)."""
    p.add_argument("--out", metavar="FILE", default=None,
                   help=out_help or "also write the full result as JSON to FILE (atomic; an "
                                    "existing file is replaced; its directory must exist)")
    if json_flag:
        p.add_argument("--json", action="store_true",
                       help="print the full result as JSON on stdout instead of a table")


def add_progress_arg(p: argparse.ArgumentParser) -> None:
    """``--no-progress``: silence the progress report on stderr."""
    p.add_argument("--no-progress", action="store_true",
                   help="no progress report on stderr (default: report progress)")


def _probe_writable(directory: pathlib.Path, option: str) -> None:
    try:
        fd, tmp = tempfile.mkstemp(prefix=".replicaquant-probe-", dir=directory)
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise UsageError(f"{option}: cannot create files in {str(directory)!r}: {reason}") from None
    os.close(fd)
    with contextlib.suppress(OSError):
        os.unlink(tmp)


def check_output_path(path, option: str = "--out") -> pathlib.Path:
    """Validate an output *file* path before computing; return it as a ``Path``.

    The parent directory must exist and accept new files (probe file), ``path`` must not be a
    directory.  An existing file is accepted (it will be replaced atomically).

    Raises
    ------
    UsageError
        (a ``ValueError``) with a one-line message starting with ``option``.
    """
    if path is None:
        return None
    text = str(path)
    if not text.strip():
        raise UsageError(f"{option}: empty path")
    p = pathlib.Path(text)
    if p.is_dir():
        raise UsageError(f"{option}: {text!r} is a directory (expected a file name)")
    parent = p.parent
    if not parent.exists():
        raise UsageError(f"{option}: directory {str(parent)!r} does not exist")
    if not parent.is_dir():
        raise UsageError(f"{option}: {str(parent)!r} is not a directory")
    if p.exists() and not p.is_file():
        raise UsageError(f"{option}: {text!r} exists and is not a regular file")
    _probe_writable(parent, option)
    return p


def check_output_dir(path, option: str = "--out") -> pathlib.Path:
    """Validate an output *directory* (created later with its missing parents) before computing.

    ``path`` must be a directory or not exist; its nearest existing ancestor must be a
    directory that accepts new files.
    """
    text = str(path)
    if not text.strip():
        raise UsageError(f"{option}: empty path")
    p = pathlib.Path(text)
    if p.exists() and not p.is_dir():
        raise UsageError(f"{option}: {text!r} exists and is not a directory")
    anc = p
    while not anc.exists():
        anc = anc.parent
    if not anc.is_dir():
        raise UsageError(f"{option}: {str(anc)!r} is not a directory")
    _probe_writable(anc, option)
    return p


def emit(args, payload: dict, table=None) -> None:
    """Print and/or save a command's result following the CLI conventions.

    ``--out FILE`` (``args.out``): write ``dump_json(payload)`` atomically.  stdout: the JSON
    with ``--json`` (or when no ``table`` is given), else ``table`` (a string or a callable
    returning one).  A note "wrote FILE" goes to stderr, so stdout stays machine-readable.
    """
    from .._io import atomic_write_text

    text = dump_json(payload)
    out = getattr(args, "out", None)
    if out is not None:
        atomic_write_text(out, text + "\n")
    if getattr(args, "json", False) or table is None:
        print(text)
    else:
        print(table() if callable(table) else table)
    if out is not None:
        print(f"wrote {out}", file=sys.stderr)
    sys.stdout.flush()


# ----------------------------------------------------------------------------------- JSON

def _scalar(obj):
    if isinstance(obj, (bool, np.bool_)):
        return bool(obj)
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        return float(obj)
    return obj


def _convert(obj, flags: list, path: tuple):
    """Convert ``obj``; record ``(path, kind)`` of every non-finite float in ``flags``."""
    if isinstance(obj, dict):
        out = {}
        for k, v in obj.items():
            key = str(k)
            sub: list = []
            out[key] = _convert(v, sub, ())
            inf = [p for p, kind in sub if kind == "inf"]
            neg = [p for p, kind in sub if kind == "-inf"]
            scalar = not isinstance(out[key], list)
            for name, hits in ((f"{key}_is_inf", inf), (f"{key}_is_neg_inf", neg)):
                if hits and name not in obj:
                    out[name] = True if scalar else [list(p) if len(p) > 1 else p[0] for p in hits]
        return out
    if hasattr(obj, "tolist") and not isinstance(obj, (np.generic,)):
        obj = obj.tolist()
    if isinstance(obj, (list, tuple)):
        return [_convert(v, flags, path + (i,)) for i, v in enumerate(obj)]
    obj = _scalar(obj)
    if isinstance(obj, float) and not math.isfinite(obj):
        if not math.isnan(obj):
            flags.append((path, "inf" if obj > 0 else "-inf"))
        return None
    return obj


def to_jsonable(obj):
    """Plain JSON types with non-finite floats as ``null`` plus ``<key>_is_inf`` flags.

    numpy scalars/arrays become Python numbers/lists; ``+inf`` -> ``null`` and
    ``"<key>_is_inf": true`` (lists: the indices of the infinite entries), ``-inf`` the same
    with ``_is_neg_inf``, NaN -> ``null``.  See the module docstring.
    """
    return _convert(obj, [], ())


def from_jsonable(obj):
    """Inverse of :func:`to_jsonable` on what it produced: restore ``inf``/``-inf``, drop flags."""
    if isinstance(obj, list):
        return [from_jsonable(v) for v in obj]
    if not isinstance(obj, dict):
        return obj
    out = {k: from_jsonable(v) for k, v in obj.items()}
    for key in list(out):
        for suffix, value in (("_is_neg_inf", -math.inf), ("_is_inf", math.inf)):
            if not key.endswith(suffix) or suffix == "_is_inf" and key.endswith("_is_neg_inf"):
                continue
            base = key[: -len(suffix)]
            if base not in out:
                continue
            flag = out.pop(key)
            if flag is True and out[base] is None:
                out[base] = value
            elif isinstance(flag, list):
                for idx in flag:
                    idx = idx if isinstance(idx, list) else [idx]
                    target = out[base]
                    for i in idx[:-1]:
                        target = target[i]
                    target[idx[-1]] = value
    return out


def dump_json(obj, indent: int | None = 2) -> str:
    """Strict JSON text of ``obj`` (:func:`to_jsonable`; ``allow_nan=False`` guarantees it)."""
    return json.dumps(to_jsonable(obj), indent=indent, allow_nan=False)


# ----------------------------------------------------------------------------------- progress

class _Progress:
    """Progress on stderr: tqdm on a terminal, else one line per update."""

    def __init__(self, total: int, desc: str, enabled: bool):
        self.total, self.desc, self.enabled = int(total), desc, enabled
        self.n = 0
        self.t0 = time.perf_counter()
        self.bar = None
        if enabled and sys.stderr.isatty():
            from tqdm import tqdm

            self.bar = tqdm(total=self.total, desc=desc, file=sys.stderr, dynamic_ncols=True)

    def update(self, n: int = 1, note: str = "") -> None:
        self.n += n
        if not self.enabled:
            return
        if self.bar is not None:
            self.bar.update(n)
            if note:
                self.bar.set_postfix_str(note)
        else:
            extra = f" {note}" if note else ""
            print(f"{self.desc}: {self.n}/{self.total} done ({time.perf_counter() - self.t0:.1f} s)"
                  f"{extra}", file=sys.stderr, flush=True)

    def callback(self, k: int, total: int) -> None:
        """``progress(k, total)``-style callback (library functions call it after step ``k``)."""
        self.update(k - self.n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


@contextlib.contextmanager
def progress(args, total: int, desc: str):
    """Context manager yielding a progress reporter with ``.update()`` and ``.callback(k, n)``."""
    rep = _Progress(total, desc, enabled=not getattr(args, "no_progress", False))
    try:
        yield rep
    finally:
        rep.close()
