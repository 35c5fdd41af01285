"""Argument helpers shared by subcommands: building a ``Model`` from CLI options."""
from __future__ import annotations

import argparse
import json
import math

import numpy as np


def parse_float(text: str) -> float:
    """Float parser accepting ``inf``; NaN is rejected later by the model checks."""
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None


def add_model_args(p: argparse.ArgumentParser, *, beta_required: bool = True) -> None:
    """Options describing a ``Model``: quantizer, alpha, beta, lam, noise, teacher."""
    g = p.add_argument_group("model")
    g.add_argument("--bits", type=int, default=2, help="bits b (K = 2**b levels), default 2")
    g.add_argument("--width", type=parse_float, default=1.5, help="half-range omega, default 1.5")
    g.add_argument("--quantizer", choices=("uniform", "power", "lloyd"), default="uniform",
                   help="level family (default uniform); 'power' uses --gamma, 'lloyd' uses --width as source std")
    g.add_argument("--gamma", type=parse_float, default=2.0, help="shape of the power family (default 2)")
    g.add_argument("--levels", type=parse_float, nargs="+", default=None,
                   help="explicit strictly increasing levels (overrides --bits/--width)")
    g.add_argument("--alpha", type=parse_float, required=True, help="samples per dimension n/d")
    g.add_argument("--beta", type=parse_float, required=beta_required, default=math.inf,
                   help="inverse temperature ('inf' for the ground state)")
    g.add_argument("--lam", type=parse_float, default=0.0, help="ridge penalty (default 0)")
    g.add_argument("--noise-var", type=parse_float, default=0.0, help="label noise variance (default 0)")
    g.add_argument("--rho", type=parse_float, default=1.0, help="Gaussian teacher variance (default 1)")
    g.add_argument("--teacher", choices=("gaussian", "levels"), default="gaussian",
                   help="'gaussian' N(0, rho) or 'levels': uniform on the student's levels")


def quantizer_from_args(args):
    """Build the quantizer named by the CLI options."""
    from .. import quantizers as qz

    if args.levels is not None:
        return qz.Quantizer(args.levels)
    if args.quantizer == "power":
        return qz.PowerQuantizer(args.bits, args.width, args.gamma)
    if args.quantizer == "lloyd":
        return qz.LloydMaxQuantizer(args.bits, args.width)
    return qz.UniformQuantizer(args.bits, args.width)


def model_from_args(args):
    """Build a validated ``Model`` from the CLI options (raises ``ValueError`` on bad input)."""
    from ..model import Model
    from ..teachers import DiscreteTeacher, GaussianTeacher

    quant = quantizer_from_args(args)
    teacher = (DiscreteTeacher.from_quantizer(quant) if args.teacher == "levels"
               else GaussianTeacher(args.rho))
    return Model(quantizer=quant, alpha=args.alpha, beta=args.beta, lam=args.lam,
                 noise_var=args.noise_var, teacher=teacher)


def to_jsonable(obj):
    """Recursively convert numpy scalars/arrays and non-finite floats for ``json.dumps``."""
    if isinstance(obj, dict):
        return {k: to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return to_jsonable(obj.tolist())
    if isinstance(obj, (np.floating, float)):
        v = float(obj)
        return v if math.isfinite(v) else ("inf" if v > 0 else "-inf" if v < 0 else "nan")
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (np.bool_,)):
        return bool(obj)
    return obj


def dump_json(obj) -> str:
    """``json.dumps`` with :func:`to_jsonable` applied."""
    return json.dumps(to_jsonable(obj), indent=2)
