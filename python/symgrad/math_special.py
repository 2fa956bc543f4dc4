"""``tf.math.special``: Bessel functions of orders 0 and 1 (plain and exponentially scaled),
Dawson's integral, the exponential integral, the Fresnel integrals and Spence's function.

Each builds TF 2.21's ops: the generated op inside its Python wrapper's name scope
(``bessel_k0/BesselK0``), with TF's gradients (first and higher order).
"""

from .special_math_ops import (bessel_i0, bessel_i0e, bessel_i1, bessel_i1e,  # noqa: F401
                               bessel_j0, bessel_j1, bessel_k0, bessel_k0e, bessel_k1,
                               bessel_k1e, bessel_y0, bessel_y1, dawsn, expint, fresnel_cos,
                               fresnel_sin, spence)

__all__ = [
    "bessel_i0", "bessel_i0e", "bessel_i1", "bessel_i1e", "bessel_j0", "bessel_j1",
    "bessel_k0", "bessel_k0e", "bessel_k1", "bessel_k1e", "bessel_y0", "bessel_y1", "dawsn",
    "expint", "fresnel_cos", "fresnel_sin", "spence",
]
