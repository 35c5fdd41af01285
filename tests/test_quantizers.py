"""Level sets: formulas, nearest-level rounding, Lloyd-Max levels against published values."""
from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate
from scipy.stats import norm

from replicaquant.quantizers import (LloydMaxQuantizer, PowerQuantizer, Quantizer, UniformQuantizer,
                                     lloyd_max_gaussian)


@pytest.mark.parametrize("bits", [1, 2, 3, 4, 6])
@pytest.mark.parametrize("width", [0.3, 1.0, 2.7])
def test_uniform_levels_formula(bits, width):
    q = UniformQuantizer(bits, width)
    k = 2 ** bits
    expected = np.array([-width + 2 * width * i / (k - 1) for i in range(k)])
    # closed form evaluated term by term: equal up to a few ulps
    np.testing.assert_allclose(q.levels, expected, rtol=0, atol=4e-16 * width)
    assert q.bits == bits and q.n_levels == k
    # equally spaced, symmetric, outer levels at +-width, zero never a level (K is even)
    np.testing.assert_allclose(np.diff(q.levels), 2 * width / (k - 1), rtol=1e-13)
    np.testing.assert_allclose(q.levels, -q.levels[::-1], atol=1e-15 * width)
    assert q.levels[0] == pytest.approx(-width, abs=1e-15) and q.levels[-1] == pytest.approx(width, abs=1e-15)
    assert np.min(np.abs(q.levels)) > 0
    np.testing.assert_allclose(q.thresholds, 0.5 * (q.levels[1:] + q.levels[:-1]), rtol=0, atol=0)


def test_one_bit_is_plus_minus_width():
    np.testing.assert_array_equal(UniformQuantizer(1, 0.7).levels, [-0.7, 0.7])


@pytest.mark.parametrize("bits", [1, 2, 3, 5])
@pytest.mark.parametrize("gamma", [0.5, 2.0, 3.3])
def test_power_levels_formula(bits, gamma):
    width = 1.7
    q = PowerQuantizer(bits, width, gamma)
    k = 2 ** bits
    u = -1 + 2 * np.arange(k) / (k - 1)
    np.testing.assert_allclose(q.levels, width * np.sign(u) * np.abs(u) ** gamma, rtol=1e-15, atol=0)
    assert q.bits == bits
    assert np.all(np.diff(q.levels) > 0)
    np.testing.assert_allclose(q.levels[[0, -1]], [-width, width], rtol=1e-15)
    np.testing.assert_allclose(q.levels, -q.levels[::-1], atol=1e-15)
    if gamma > 1 and bits > 1:  # companding packs levels near zero: inner gaps smaller than outer
        gaps = np.diff(q.levels)
        assert gaps[k // 2 - 1] < gaps[0]


@pytest.mark.parametrize("bits", [1, 2, 3, 4])
def test_power_gamma_one_is_uniform(bits):
    np.testing.assert_allclose(PowerQuantizer(bits, 2.3, 1.0).levels, UniformQuantizer(bits, 2.3).levels,
                               rtol=0, atol=1e-15)


def test_bits_property():
    assert Quantizer([-1.0, 1.0]).bits == 1
    assert Quantizer([-1.0, -0.2, 0.3, 1.0]).bits == 2
    assert Quantizer(np.linspace(-1, 1, 16)).bits == 4
    assert Quantizer([-1.0, 0.0, 1.0]).bits is None  # K not a power of two
    assert Quantizer(np.linspace(-1, 1, 241)).bits is None
    assert Quantizer([-1.0, 0.0, 1.0]).n_levels == 3
    assert LloydMaxQuantizer(3).bits == 3


@pytest.mark.parametrize("quant", [UniformQuantizer(2, 1.5), UniformQuantizer(5, 0.8),
                                   PowerQuantizer(3, 2.0, 2.0), LloydMaxQuantizer(2),
                                   Quantizer([-1.3, -0.2, 0.1, 0.9, 2.0])],
                         ids=repr)
def test_quantize_is_nearest_level(quant, rng):
    x = rng.normal(0.0, 2.0, size=(37, 29))  # 2-D input, many points beyond the outer levels
    got = quant.quantize(x)
    lv = quant.levels
    brute = lv[np.argmin(np.abs(x[..., None] - lv), axis=-1)]
    assert got.shape == x.shape
    np.testing.assert_array_equal(got, brute)
    # levels are fixed points, values beyond the range clip to the outer levels
    np.testing.assert_array_equal(quant.quantize(lv), lv)
    np.testing.assert_array_equal(quant.quantize([-1e9, 1e9]), lv[[0, -1]])
    # scalar input works
    assert float(quant.quantize(lv[0] + 1e-9)) == lv[0]


def test_quantize_tie_goes_up():
    q = Quantizer([-1.0, 0.0, 2.0])
    np.testing.assert_array_equal(q.quantize([-0.5, 1.0]), [0.0, 2.0])


# Max (1960), "Quantizing for minimum distortion", Table I, Gaussian source, unit variance:
# positive output levels and mean squared error.
_MAX_TABLE = {
    1: ([0.7979], 0.3634),
    2: ([0.4528, 1.510], 0.1175),
    3: ([0.2451, 0.7560, 1.344, 2.152], 0.03455),
}


@pytest.mark.parametrize("bits", [1, 2, 3])
def test_lloyd_max_published_levels(bits):
    levels, mse = _MAX_TABLE[bits]
    q = LloydMaxQuantizer(bits)
    pos = q.levels[q.levels > 0]
    # the table is printed to 4 significant digits: half a unit of the last digit
    tol = np.array([0.5 * 10.0 ** (math.floor(math.log10(v)) - 3) for v in levels])
    assert np.all(np.abs(pos - levels) <= tol + 1e-12), (pos, levels)
    # distortion E (w - Q(w))^2 for w ~ N(0,1), by adaptive quadrature on each cell
    t = np.concatenate(([-np.inf], q.thresholds, [np.inf]))
    d = sum(integrate.quad(lambda w, c=c: (w - c) ** 2 * norm.pdf(w), a, b, epsabs=1e-13)[0]
            for a, b, c in zip(t[:-1], t[1:], q.levels))
    assert d == pytest.approx(mse, abs=0.5 * 10.0 ** (math.floor(math.log10(mse)) - 3))


def test_lloyd_max_one_bit_closed_form():
    # 1 bit: the centroid of the half-line, E[|w|] = sqrt(2/pi)
    np.testing.assert_allclose(LloydMaxQuantizer(1).levels, [-math.sqrt(2 / math.pi), math.sqrt(2 / math.pi)],
                               rtol=1e-12)


@pytest.mark.parametrize("k", [2, 4, 8, 16])
def test_lloyd_max_optimality_conditions(k):
    """Each level is the conditional mean of its cell (centroid condition), cells bounded by
    midpoints (nearest-neighbour condition holds by construction of the cells)."""
    scale = 1.3
    c = lloyd_max_gaussian(k, scale)
    t = np.concatenate(([-np.inf], 0.5 * (c[1:] + c[:-1]), [np.inf])) / scale
    for j in range(k):
        mass = norm.cdf(t[j + 1]) - norm.cdf(t[j])
        first = integrate.quad(lambda z: z * norm.pdf(z), t[j], t[j + 1], epsabs=1e-14)[0]
        # the iteration stops at a 1e-13 step; quadrature adds ~1e-13
        assert c[j] == pytest.approx(scale * first / mass, abs=1e-9)
    assert np.allclose(LloydMaxQuantizer(3, scale).levels, lloyd_max_gaussian(8, scale), atol=1e-12)
