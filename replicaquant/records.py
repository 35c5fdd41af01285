"""Named slots of the small result vectors that compiled kernels fill.

The compiled kernels return plain float arrays (Numba-friendly); every reader uses these
names instead of positions.  The constants are module-level integers, so Numba treats them as
compile-time constants inside ``@njit`` code.

* ``GE_*`` -- :func:`replicaquant.quadrature.gauss_expect` / ``gauss_expect_inf`` (length
  :data:`GE_N` = ``quadrature.N_OUT``): Gaussian averages over the field ``h`` of the
  single-site level measure.
* ``PS_*`` -- :func:`replicaquant.rs.prior_side` (length :data:`PS_N`): the RS prior side,
  teacher- and field-averaged.
* ``R1_*`` -- :func:`replicaquant.rsb.prior_side_1rsb` (length :data:`R1_N`).
* ``AMP_*`` -- the per-iteration sums of ``amp._prior_step`` (length :data:`AMP_N`).
"""
from __future__ import annotations

# --- quadrature.gauss_expect: E over h ~ N(mu, sig^2) of the level-measure moments
GE_PHI = 0     #: E[phi(h)]
GE_MEAN = 1    #: E[<w>_h]
GE_MEAN2 = 2   #: E[<w>_h^2]
GE_SECOND = 3  #: E[<w^2>_h]
GE_BVAR = 4    #: E[beta Var_h(w)]
GE_BVAR2 = 5   #: E[(beta Var_h(w))^2]
GE_N = 6

# --- rs.prior_side: teacher average of the above
PS_PHI = 0     #: E[phi]
PS_M = 1       #: m = E[w0 <w>]
PS_Q = 2       #: q = E[<w>^2]
PS_QSELF = 3   #: Q = E[<w^2>]
PS_CHI = 4     #: chi = beta E[Var]
PS_BVAR2 = 5   #: E[(beta Var)^2] (the replicon moment)
PS_N = 6

# --- rsb.prior_side_1rsb
R1_PHI = 0     #: Phi = (1/(beta x)) E ln E_z1 exp(x beta phi)
R1_M = 1       #: m
R1_Q0 = 2      #: q0 (inter-state overlap)
R1_Q1 = 3      #: q1 (intra-state overlap)
R1_QSELF = 4   #: Q
R1_CHI1 = 5    #: chi1 = beta (Q - q1)
R1_EPHI = 6    #: E<<phi>> (state average of phi)
R1_N = 7

# --- amp._prior_step: sums over the d coordinates in one iteration
AMP_SUM_V = 0      #: sum v_new (v = beta Var)
AMP_SUM_RES = 1    #: sum (f_w(B) - w_old)^2 (undamped change)
AMP_SUM_STEP = 2   #: sum (w_new - w_old)^2 (damped change)
AMP_SUM_Q = 3      #: sum w_new^2
AMP_SUM_M = 4      #: sum w_new w0
AMP_SUM_MSE = 5    #: sum (w_new - w0)^2
AMP_DV = 6         #: |sum f_v(B) - sum v_old| (undamped change of V, times d)
AMP_N = 7
