"""``tf.compat.v1.distributions``: ``Normal``, ``Bernoulli``, ``Categorical``, ``Uniform``,
``Gamma``, ``Exponential`` and ``Laplace`` with TF's methods, formulas and scopes (``Normal/log_prob/...``), the
``Distribution`` base class, and ``kl_divergence`` with ``RegisterKL`` and TF's registered
pairs among these.

Each method builds its ops in ``<distribution scope>/<method>/``, as TF does; a method a
distribution does not define raises ``NotImplementedError``, as in TF. Samples come from
symgrad's random ops: the same distributions, not TF's exact random streams.
"""

from __future__ import annotations

import math as _math
from contextlib import contextmanager
from typing import Any, Callable, Iterator, Optional

import numpy as np

from . import dtypes as _dtypes
from .framework import Tensor, control_dependencies, name_scope
from .tensor_shape import TensorShape

__all__ = [
    "Distribution", "ReparameterizationType", "FULLY_REPARAMETERIZED", "NOT_REPARAMETERIZED",
    "Normal", "Bernoulli", "Categorical", "Uniform", "Gamma", "Exponential", "Laplace",
    "kl_divergence", "RegisterKL",
]


class ReparameterizationType:
    """Whether samples are a differentiable function of the parameters."""

    def __init__(self, rep_type: str) -> None:
        self._rep_type = rep_type

    def __repr__(self) -> str:
        return f"<Reparameterization Type: {self._rep_type}>"

    def __eq__(self, other: object) -> bool:
        return self is other

    def __hash__(self) -> int:
        return id(self)


FULLY_REPARAMETERIZED = ReparameterizationType("FULLY_REPARAMETERIZED")
NOT_REPARAMETERIZED = ReparameterizationType("NOT_REPARAMETERIZED")


def _ops() -> Any:
    import symgrad
    return symgrad


class Distribution:
    """TF's ``Distribution`` base: the public methods open the distribution's scope and a
    scope of the method's name, then call the subclass's ``_<method>``."""

    def __init__(self, dtype: Any, reparameterization_type: ReparameterizationType,
                 validate_args: bool, allow_nan_stats: bool,
                 parameters: Optional[dict[str, Any]] = None,
                 graph_parents: Optional[list[Any]] = None, name: Optional[str] = None) -> None:
        self._dtype = dtype
        self._reparameterization_type = reparameterization_type
        self._allow_nan_stats = allow_nan_stats
        self._validate_args = validate_args
        self._parameters = dict(parameters or {})
        self._graph_parents = list(graph_parents or [])
        self._name = name or type(self).__name__

    # ----- properties -----
    @property
    def name(self) -> str:
        return self._name

    @property
    def dtype(self) -> Any:
        return self._dtype

    @property
    def parameters(self) -> dict[str, Any]:
        return dict(self._parameters)

    @property
    def reparameterization_type(self) -> ReparameterizationType:
        return self._reparameterization_type

    @property
    def allow_nan_stats(self) -> bool:
        return self._allow_nan_stats

    @property
    def validate_args(self) -> bool:
        return self._validate_args

    @property
    def batch_shape(self) -> TensorShape:
        return TensorShape(self._batch_shape())

    def batch_shape_tensor(self, name: str = "batch_shape_tensor") -> Tensor:
        with self._name_scope(name):
            if self.batch_shape.is_fully_defined():
                return _ops().constant(self.batch_shape.as_list(), dtype=_dtypes.int32,
                                       name="batch_shape")
            return self._batch_shape_tensor()

    @property
    def event_shape(self) -> TensorShape:
        return TensorShape(self._event_shape())

    def event_shape_tensor(self, name: str = "event_shape_tensor") -> Tensor:
        with self._name_scope(name):
            if self.event_shape.is_fully_defined():
                return _ops().constant(self.event_shape.as_list(), dtype=_dtypes.int32,
                                       name="event_shape")
            return self._event_shape_tensor()

    def is_scalar_event(self, name: str = "is_scalar_event") -> Tensor:
        with self._name_scope(name):
            return _ops().constant(self.event_shape.rank == 0, name="is_scalar_event")

    def is_scalar_batch(self, name: str = "is_scalar_batch") -> Tensor:
        with self._name_scope(name):
            return _ops().constant(self.batch_shape.rank == 0, name="is_scalar_batch")

    def _event_shape(self) -> Any:
        return []

    def _event_shape_tensor(self) -> Tensor:
        return _ops().constant([], dtype=_dtypes.int32)

    # ----- sampling -----
    def sample(self, sample_shape: Any = (), seed: Optional[int] = None,
               name: str = "sample") -> Tensor:
        """``sample_shape`` draws: a tensor of shape ``sample_shape + batch + event``."""
        tf = _ops()
        with self._name_scope(name, values=[sample_shape]):
            shape = tf.convert_to_tensor(sample_shape, dtype=_dtypes.int32,
                                         name="sample_shape")
            static = _static_vector(shape)
            if shape.shape.rank == 0:
                shape = tf.reshape(shape, [1])
            n = tf.reduce_prod(shape)
            samples = self._sample_n(n, seed)
            batch_event = tf.shape(samples)[1:]
            final = tf.concat([shape, batch_event], 0)
            samples = tf.reshape(samples, final)
            if static is not None:
                samples.set_shape(TensorShape(static).concatenate(self.batch_shape)
                                  .concatenate(self.event_shape))
            return samples

    # ----- the methods TF dispatches to `_<name>` -----
    def log_prob(self, value: Any, name: str = "log_prob") -> Tensor:
        return self._dispatch("log_prob", value, name, fallback=("prob", _ops().log))

    def prob(self, value: Any, name: str = "prob") -> Tensor:
        return self._dispatch("prob", value, name, fallback=("log_prob", _ops().exp))

    def log_cdf(self, value: Any, name: str = "log_cdf") -> Tensor:
        return self._dispatch("log_cdf", value, name, fallback=("cdf", _ops().log))

    def cdf(self, value: Any, name: str = "cdf") -> Tensor:
        return self._dispatch("cdf", value, name, fallback=("log_cdf", _ops().exp))

    def survival_function(self, value: Any, name: str = "survival_function") -> Tensor:
        with self._name_scope(name, values=[value]):
            x = self._convert(value)
            if hasattr(self, "_survival_function"):
                return self._survival_function(x)
            # TF falls back on the public cdf, which opens its own scope.
            return 1.0 - self.cdf(x)

    def log_survival_function(self, value: Any, name: str = "log_survival_function") -> Tensor:
        with self._name_scope(name, values=[value]):
            x = self._convert(value)
            if hasattr(self, "_log_survival_function"):
                return self._log_survival_function(x)
            return _ops().log1p(-self.cdf(x))

    def entropy(self, name: str = "entropy") -> Tensor:
        with self._name_scope(name):
            return self._method("entropy")()

    def mean(self, name: str = "mean") -> Tensor:
        with self._name_scope(name):
            return self._method("mean")()

    def mode(self, name: str = "mode") -> Tensor:
        with self._name_scope(name):
            return self._method("mode")()

    def quantile(self, value: Any, name: str = "quantile") -> Tensor:
        with self._name_scope(name, values=[value]):
            return self._method("quantile")(self._convert(value))

    def variance(self, name: str = "variance") -> Tensor:
        with self._name_scope(name):
            if hasattr(self, "_variance"):
                return self._variance()
            if hasattr(self, "_stddev"):
                return _ops().square(self._stddev())
            raise NotImplementedError(f"variance is not implemented: {type(self).__name__}")

    def stddev(self, name: str = "stddev") -> Tensor:
        with self._name_scope(name):
            if hasattr(self, "_stddev"):
                return self._stddev()
            if hasattr(self, "_variance"):
                return _ops().sqrt(self._variance())
            raise NotImplementedError(f"stddev is not implemented: {type(self).__name__}")

    def covariance(self, name: str = "covariance") -> Tensor:
        with self._name_scope(name):
            return self._method("covariance")()

    def cross_entropy(self, other: "Distribution", name: str = "cross_entropy") -> Tensor:
        with self._name_scope(name):
            with name_scope("cross_entropy"):
                return self.entropy() + kl_divergence(self, other,
                                                      allow_nan_stats=self.allow_nan_stats)

    def kl_divergence(self, other: "Distribution", name: str = "kl_divergence") -> Tensor:
        with self._name_scope(name):
            return kl_divergence(self, other, allow_nan_stats=self.allow_nan_stats)

    def copy(self, **override_parameters: Any) -> "Distribution":
        parameters = dict(self.parameters, **override_parameters)
        return type(self)(**parameters)

    # ----- helpers -----
    def _dispatch(self, method: str, value: Any, name: str,
                  fallback: tuple[str, Callable[[Tensor], Tensor]]) -> Tensor:
        with self._name_scope(name, values=[value]):
            x = self._convert(value)
            if hasattr(self, "_" + method):
                return getattr(self, "_" + method)(x)
            other, transform = fallback
            if hasattr(self, "_" + other):
                return transform(getattr(self, "_" + other)(x))
            raise NotImplementedError(f"{method} is not implemented: {type(self).__name__}")

    def _method(self, method: str) -> Callable[..., Tensor]:
        fn = getattr(self, "_" + method, None)
        if fn is None:
            raise NotImplementedError(f"{method} is not implemented: {type(self).__name__}")
        return fn

    def _convert(self, value: Any) -> Tensor:
        return _ops().convert_to_tensor(value, name="value")

    @contextmanager
    def _name_scope(self, name: Optional[str] = None,
                    values: Optional[list[Any]] = None) -> Iterator[Any]:
        """The distribution's scope re-entered, then ``name`` inside it."""
        outer = self.name if self.name.endswith("/") else self.name + "/"
        with name_scope(outer) as scope:
            if not name:
                yield scope
                return
            with name_scope(name) as inner:
                yield inner

    def __repr__(self) -> str:
        return (f"<tf.distributions.{type(self).__name__} '{self.name}' "
                f"batch_shape={self.batch_shape} event_shape={self.event_shape} "
                f"dtype={self.dtype.name}>")


def _static_vector(t: Tensor) -> Optional[list[int]]:
    """The value of a constant int shape tensor, as a list (a scalar as one element)."""
    if t.op.type != "Const":
        return None
    value = np.asarray(t.op.get_attr("value"))
    return [int(v) for v in np.reshape(value, [-1])]


class _TwoParameters(Distribution):
    """A distribution of two float parameters of one dtype, each an ``Identity`` named after
    it in the distribution's scope (``Normal/loc``, ``Normal/scale``), the batch shape
    their broadcast."""

    _params: tuple[Tensor, Tensor]

    def _setup(self, name: str, first: tuple[str, Any], second: tuple[str, Any],
               checks: Callable[[], list[Any]], reparameterization: ReparameterizationType,
               validate_args: bool, allow_nan_stats: bool,
               parameters: dict[str, Any]) -> tuple[Tensor, Tensor]:
        tf = _ops()
        with name_scope(name, values=[first[1], second[1]]) as scope:
            with control_dependencies(checks() if validate_args else []):
                a = tf.identity(first[1], name=first[0])
                b = tf.identity(second[1], name=second[0])
            _same_float_dtype([a, b])
        self._params = (a, b)
        Distribution.__init__(self, a.dtype, reparameterization, validate_args,
                              allow_nan_stats, parameters, [a, b], scope)
        return a, b

    def _batch_shape(self) -> Any:
        a, b = self._params
        return _ops().broadcast_static_shape(a.shape, b.shape)

    def _batch_shape_tensor(self) -> Tensor:
        tf = _ops()
        a, b = self._params
        return tf.broadcast_dynamic_shape(tf.shape(a), tf.shape(b))


class _LocScale(_TwoParameters):
    """``loc`` and ``scale`` (``scale`` checked positive under ``validate_args``)."""

    _loc: Tensor
    _scale: Tensor

    def _setup_loc_scale(self, name: str, loc: Any, scale: Any,
                         reparameterization: ReparameterizationType, validate_args: bool,
                         allow_nan_stats: bool, parameters: dict[str, Any]) -> None:
        self._loc, self._scale = self._setup(
            name, ("loc", loc), ("scale", scale), lambda: [_ops().assert_positive(scale)],
            reparameterization, validate_args, allow_nan_stats, parameters)

    @property
    def loc(self) -> Tensor:
        return self._loc

    @property
    def scale(self) -> Tensor:
        return self._scale


class Normal(_LocScale):
    """The normal distribution with mean ``loc`` and standard deviation ``scale``."""

    def __init__(self, loc: Any, scale: Any, validate_args: bool = False,
                 allow_nan_stats: bool = True, name: str = "Normal") -> None:
        parameters = dict(locals())
        parameters.pop("self")
        self._setup_loc_scale(name, loc, scale, FULLY_REPARAMETERIZED, validate_args,
                              allow_nan_stats, parameters)

    @staticmethod
    def _param_shapes(sample_shape: Any) -> dict[str, Tensor]:
        tf = _ops()
        shape = tf.convert_to_tensor(sample_shape, dtype=_dtypes.int32)
        return {"loc": shape, "scale": shape}

    def _sample_n(self, n: Any, seed: Optional[int] = None) -> Tensor:
        tf = _ops()
        shape = tf.concat([[n], self.batch_shape_tensor()], 0)
        sampled = tf.random_normal(shape, mean=0.0, stddev=1.0, dtype=self.loc.dtype, seed=seed)
        return sampled * self.scale + self.loc

    def _log_prob(self, x: Tensor) -> Tensor:
        return self._log_unnormalized_prob(x) - self._log_normalization()

    def _log_cdf(self, x: Tensor) -> Tensor:
        return _log_ndtr(self._z(x))

    def _cdf(self, x: Tensor) -> Tensor:
        return _ndtr(self._z(x))

    def _survival_function(self, x: Tensor) -> Tensor:
        return _ndtr(-self._z(x))

    def _log_survival_function(self, x: Tensor) -> Tensor:
        return _log_ndtr(-self._z(x))

    def _log_unnormalized_prob(self, x: Tensor) -> Tensor:
        return -0.5 * _ops().square(self._z(x))

    def _log_normalization(self) -> Tensor:
        return 0.5 * _math.log(2.0 * _math.pi) + _ops().log(self.scale)

    def _entropy(self) -> Tensor:
        tf = _ops()
        scale = self.scale * tf.ones_like(self.loc)
        return 0.5 * _math.log(2.0 * _math.pi * _math.e) + tf.log(scale)

    def _mean(self) -> Tensor:
        return self.loc * _ops().ones_like(self.scale)

    def _quantile(self, p: Tensor) -> Tensor:
        return self._inv_z(_ops().math.ndtri(p))

    def _stddev(self) -> Tensor:
        return self.scale * _ops().ones_like(self.loc)

    def _mode(self) -> Tensor:
        return self._mean()

    def _z(self, x: Tensor) -> Tensor:
        with name_scope("standardize", values=[x]):
            return (x - self.loc) / self.scale

    def _inv_z(self, z: Tensor) -> Tensor:
        with name_scope("reconstruct", values=[z]):
            return z * self.scale + self.loc


def _ndtr(x: Tensor) -> Tensor:
    """TF's ``special_math.ndtr``: the standard normal cdf, in an ``ndtr`` scope."""
    with name_scope("ndtr", values=[x]):
        return _ndtr_ops(x)


def _ndtr_ops(x: Tensor) -> Tensor:
    """The cdf through ``erf`` near 0 and ``erfc`` in the tails (TF's ``_ndtr``)."""
    tf = _ops()
    half_sqrt_2 = 0.5 * _math.sqrt(2.0)
    w = x * half_sqrt_2
    z = tf.abs(w)
    y = tf.where_v2(tf.less(z, half_sqrt_2), 1.0 + tf.erf(w),
                    tf.where_v2(tf.greater(w, 0.0), 2.0 - tf.erfc(z), tf.erfc(z)))
    return 0.5 * y


def _log_ndtr(x: Tensor, series_order: int = 3) -> Tensor:
    """TF's ``special_math.log_ndtr``: ``log(ndtr(x))`` between the segment bounds (-20 and
    8 in float64, -10 and 5 in float32), ``-ndtr(-x)`` above, and the asymptotic series
    below, so the far lower tail keeps its precision."""
    tf = _ops()
    with name_scope("log_ndtr", values=[x]):
        if x.dtype == _dtypes.float64:
            lower, upper = -20.0, 8.0
        elif x.dtype == _dtypes.float32:
            lower, upper = -10.0, 5.0
        else:
            raise TypeError(f"x.dtype={x.dtype} is not supported.")
        # In TF's order of building: the upper branch, the middle one, then the series.
        above = tf.greater(x, upper)
        upper_branch = -_ndtr_ops(-x)
        inside = tf.greater(x, lower)
        middle_branch = tf.log(_ndtr_ops(tf.maximum(x, lower)))
        low_x = tf.minimum(x, lower)
        # The series: log_scale + log(1 + even - odd terms of (2n-1)!! / x^(2n)).
        x_2 = tf.square(low_x)
        log_scale = -0.5 * x_2 - tf.log(-low_x) - 0.5 * np.log(2.0 * np.pi)
        x_2 = tf.square(low_x)  # TF's series squares x again
        even_sum = tf.zeros_like(low_x)
        odd_sum = tf.zeros_like(low_x)
        x_2n = x_2
        for n in range(1, series_order + 1):
            y = float(np.prod(np.arange(2 * n - 1, 1, -2))) / x_2n
            if n % 2:
                odd_sum += y
            else:
                even_sum += y
            x_2n *= x_2
        lower_branch = log_scale + tf.log(1.0 + even_sum - odd_sum)
        return tf.where_v2(above, upper_branch,
                           tf.where_v2(inside, middle_branch, lower_branch))


def _same_float_dtype(tensors: list[Tensor]) -> None:
    dtypes = {t.dtype for t in tensors}
    if len(dtypes) > 1:
        names = ", ".join(sorted(d.name for d in dtypes))
        raise ValueError(f"Tensors must have the same dtype; got {names}.")
    dtype = next(iter(dtypes))
    if not dtype.is_floating:
        raise ValueError(f"Expected floating point type, got {dtype}.")


def _logits_and_probs(logits: Any, probs: Any, multidimensional: bool, validate_args: bool,
                      dtype: Any = None) -> tuple[Tensor, Tensor]:
    """TF's ``get_logits_and_probs``, in the distribution's scope: exactly one of the two
    given; the other derived (a sigmoid or a softmax of the logits; the log-odds or the log
    of the probabilities)."""
    tf = _ops()
    if (probs is None) == (logits is None):
        raise ValueError("Must pass probs or logits, but not both.")
    if probs is None:
        t_logits = tf.convert_to_tensor(logits, name="logits", dtype=dtype)
        if not t_logits.dtype.is_floating:
            raise TypeError("logits must having floating type.")
        if multidimensional:
            return tf.identity(t_logits, name="logits"), tf.nn.softmax(t_logits, name="probs")
        return tf.identity(t_logits, name="logits"), tf.sigmoid(t_logits, name="probs")
    t_probs = tf.convert_to_tensor(probs, name="probs", dtype=dtype)
    if not t_probs.dtype.is_floating:
        raise TypeError("probs must having floating type.")
    t_probs = tf.identity(t_probs, name="probs")
    with name_scope("logits"):
        if multidimensional:
            return tf.log(t_probs), t_probs
        return tf.log(t_probs) - tf.log1p(-1.0 * t_probs), t_probs


class _ByLogitsOrProbs(Distribution):
    """A discrete distribution given by ``logits`` or ``probs`` (``_logits``, ``_probs``)."""

    _logits: Tensor
    _probs: Tensor

    @property
    def logits(self) -> Tensor:
        return self._logits

    @property
    def probs(self) -> Tensor:
        return self._probs


class Bernoulli(_ByLogitsOrProbs):
    """Draws of 1 with probability ``probs`` (or ``sigmoid(logits)``), else 0."""

    def __init__(self, logits: Any = None, probs: Any = None, dtype: Any = _dtypes.int32,
                 validate_args: bool = False, allow_nan_stats: bool = True,
                 name: str = "Bernoulli") -> None:
        parameters = dict(locals())
        parameters.pop("self")
        with name_scope(name) as scope:
            self._logits, self._probs = _logits_and_probs(logits, probs, False, validate_args)
        super().__init__(_dtypes.as_dtype(dtype), NOT_REPARAMETERIZED, validate_args,
                         allow_nan_stats, parameters, [self._logits, self._probs], scope)

    def _batch_shape(self) -> Any:
        return self._logits.shape

    def _batch_shape_tensor(self) -> Tensor:
        return _ops().shape(self._logits)

    def _sample_n(self, n: Any, seed: Optional[int] = None) -> Tensor:
        tf = _ops()
        shape = tf.concat([[n], self.batch_shape_tensor()], 0)
        uniform = tf.random_uniform(shape, seed=seed, dtype=self.probs.dtype)
        return tf.cast(tf.less(uniform, self.probs), self.dtype)

    def _log_prob(self, event: Tensor) -> Tensor:
        tf = _ops()
        event = tf.cast(event, self.logits.dtype)
        logits = self.logits
        if not (event.shape.is_fully_defined() and logits.shape.is_fully_defined()
                and event.shape == logits.shape):
            logits, event = tf.ones_like(event) * logits, tf.ones_like(logits) * event
        return -tf.nn.sigmoid_cross_entropy_with_logits(labels=event, logits=logits)

    def _entropy(self) -> Tensor:
        tf = _ops()
        return (-self.logits * (tf.sigmoid(self.logits) - 1) + tf.nn.softplus(-self.logits))

    def _mean(self) -> Tensor:
        return _ops().identity(self.probs)

    def _variance(self) -> Tensor:
        return self._mean() * (1.0 - self.probs)

    def _mode(self) -> Tensor:
        tf = _ops()
        return tf.cast(self.probs > 0.5, self.dtype)


class Categorical(_ByLogitsOrProbs):
    """Draws of a class index in ``[0, K)`` with probabilities along the last axis of
    ``probs`` (or ``softmax(logits)``)."""

    def __init__(self, logits: Any = None, probs: Any = None, dtype: Any = _dtypes.int32,
                 validate_args: bool = False, allow_nan_stats: bool = True,
                 name: str = "Categorical") -> None:
        tf = _ops()
        parameters = dict(locals())
        parameters.pop("self")
        parameters.pop("tf")
        with name_scope(name, values=[logits, probs]) as scope:
            self._logits, self._probs = _logits_and_probs(logits, probs, True, validate_args)
            static = self._logits.shape
            if static.rank is not None:
                if static.rank == 0:
                    raise ValueError(f"Shape {static} must have rank at least 1")
                self._batch_rank = tf.constant(static.rank - 1, dtype=_dtypes.int32,
                                               name="batch_rank")
            else:
                with name_scope("batch_rank"):
                    self._batch_rank = tf.rank(self._logits) - 1
            logits_shape = tf.shape(self._logits, name="logits_shape")
            last = static[-1] if static.rank is not None else None
            if last is not None:
                self._event_size = tf.constant(last, dtype=_dtypes.int32, name="event_size")
            else:
                with name_scope("event_size"):
                    self._event_size = logits_shape[self._batch_rank]
            if static.rank is not None and static[:-1].is_fully_defined():
                self._batch_shape_val = tf.constant(static[:-1].as_list(), dtype=_dtypes.int32,
                                                    name="batch_shape")
            else:
                with name_scope("batch_shape"):
                    self._batch_shape_val = logits_shape[:-1]
        super().__init__(_dtypes.as_dtype(dtype), NOT_REPARAMETERIZED, validate_args,
                         allow_nan_stats, parameters, [self._logits, self._probs], scope)

    @property
    def event_size(self) -> Tensor:
        return self._event_size

    def _batch_shape(self) -> Any:
        shape = self.logits.shape
        return shape[:-1] if shape.rank is not None else TensorShape(None)

    def _batch_shape_tensor(self) -> Tensor:
        return _ops().identity(self._batch_shape_val)

    def _sample_n(self, n: Any, seed: Optional[int] = None) -> Tensor:
        tf = _ops()
        if self.logits.shape.rank == 2:
            logits_2d = self.logits
        else:
            logits_2d = tf.reshape(self.logits, [-1, self.event_size])
        sample_dtype = _dtypes.int64 if self.dtype.size > 4 else _dtypes.int32
        draws = tf.multinomial(logits_2d, n, seed=seed, output_dtype=sample_dtype)
        draws = tf.reshape(tf.transpose(draws), tf.concat([[n], self.batch_shape_tensor()], 0))
        return tf.cast(draws, self.dtype)

    def _cdf(self, k: Tensor) -> Tensor:
        """TF's: the mass of the classes below ``k`` (a ``sequence_mask`` over the
        flattened batch)."""
        tf = _ops()
        k, probs = _broadcast_cat_event_and_params(k, self.probs)
        flat_probs = tf.reshape(probs, (-1, self._event_size))
        flat_k = tf.reshape(k, [-1])
        to_sum = tf.where(tf.sequence_mask(flat_k, self._event_size), flat_probs,
                          tf.zeros_like(flat_probs))
        return tf.reshape(tf.reduce_sum(to_sum, axis=-1), tf.shape(k))

    def _log_prob(self, k: Tensor) -> Tensor:
        tf = _ops()
        k, logits = _broadcast_cat_event_and_params(k, self.logits)
        return -tf.nn.sparse_softmax_cross_entropy_with_logits(labels=k, logits=logits)

    def _entropy(self) -> Tensor:
        tf = _ops()
        return -tf.reduce_sum(tf.nn.log_softmax(self.logits) * self.probs, axis=-1)

    def _mode(self) -> Tensor:
        tf = _ops()
        ret = tf.cast(tf.argmax(self.logits, axis=self._batch_rank), self.dtype)
        ret.set_shape(self.batch_shape)
        return ret


def _broadcast_cat_event_and_params(event: Tensor, params: Tensor) -> tuple[Tensor, Tensor]:
    """TF's: an integer event (a float one cast to int32) and the parameters broadcast
    against each other unless their shapes already agree statically."""
    tf = _ops()
    if event.dtype.is_integer:
        pass
    elif event.dtype.is_floating:
        event = tf.cast(event, _dtypes.int32)
    else:
        raise TypeError(f"`value` should have integer `dtype` or `self.dtype` "
                        f"({params.dtype})")
    known = (params.shape.rank is not None and params.shape[:-1].is_fully_defined()
             and event.shape.is_fully_defined())
    if not known or params.shape[:-1] != event.shape:
        params = params * tf.ones_like(tf.expand_dims(event, -1), dtype=params.dtype)
        params_shape = tf.shape(params)[:-1]
        event = event * tf.ones(params_shape, dtype=event.dtype)
        if params.shape.rank is not None:
            event.set_shape(params.shape[:-1])
    return event, params


class Uniform(_TwoParameters):
    """The continuous uniform distribution on ``[low, high)``."""

    def __init__(self, low: Any = 0.0, high: Any = 1.0, validate_args: bool = False,
                 allow_nan_stats: bool = True, name: str = "Uniform") -> None:
        tf = _ops()
        parameters = dict(locals())
        parameters.pop("self")
        parameters.pop("tf")
        self._low, self._high = self._setup(
            name, ("low", low), ("high", high),
            lambda: [tf.assert_less(low, high, message="uniform not defined when low >= high.")],
            FULLY_REPARAMETERIZED, validate_args, allow_nan_stats, parameters)

    @property
    def low(self) -> Tensor:
        return self._low

    @property
    def high(self) -> Tensor:
        return self._high

    def range(self, name: str = "range") -> Tensor:
        """``high - low``."""
        with self._name_scope(name):
            return self.high - self.low

    def _sample_n(self, n: Any, seed: Optional[int] = None) -> Tensor:
        tf = _ops()
        shape = tf.concat([[n], self.batch_shape_tensor()], 0)
        samples = tf.random_uniform(shape, dtype=self.dtype, seed=seed)
        return self.low + self.range() * samples

    def _prob(self, x: Tensor) -> Tensor:
        tf = _ops()
        broadcasted = x * tf.ones(self.batch_shape_tensor(), dtype=x.dtype)
        inside = tf.ones_like(broadcasted) / self.range()
        outside = tf.logical_or(broadcasted < self.low, broadcasted >= self.high)
        return tf.where_v2(tf.is_nan(broadcasted), broadcasted,
                           tf.where_v2(outside, tf.zeros_like(broadcasted), inside))

    def _cdf(self, x: Tensor) -> Tensor:
        tf = _ops()
        shape = tf.broadcast_dynamic_shape(tf.shape(x), self.batch_shape_tensor())
        zeros = tf.zeros(shape, dtype=self.dtype)
        ones = tf.ones(shape, dtype=self.dtype)
        broadcasted = x * ones
        below = tf.where_v2(x < self.low, zeros, (broadcasted - self.low) / self.range())
        return tf.where_v2(x >= self.high, ones, below)

    def _entropy(self) -> Tensor:
        return _ops().log(self.range())

    def _mean(self) -> Tensor:
        return (self.low + self.high) / 2.0

    def _variance(self) -> Tensor:
        return _ops().square(self.range()) / 12.0

    def _stddev(self) -> Tensor:
        return self.range() / _math.sqrt(12.0)


class Gamma(_TwoParameters):
    """The gamma distribution with shape ``concentration`` and inverse scale ``rate``."""

    def __init__(self, concentration: Any, rate: Any, validate_args: bool = False,
                 allow_nan_stats: bool = True, name: str = "Gamma") -> None:
        tf = _ops()
        parameters = dict(locals())
        parameters.pop("self")
        parameters.pop("tf")
        self._concentration, self._rate = self._setup(
            name, ("concentration", concentration), ("rate", rate),
            lambda: [tf.assert_positive(concentration), tf.assert_positive(rate)],
            NOT_REPARAMETERIZED, validate_args, allow_nan_stats, parameters)

    @property
    def concentration(self) -> Tensor:
        return self._concentration

    @property
    def rate(self) -> Tensor:
        return self._rate

    def _sample_n(self, n: Any, seed: Optional[int] = None) -> Tensor:
        return _ops().random_gamma([n], self.concentration, self.rate, dtype=self.dtype,
                                   seed=seed)

    def _log_prob(self, x: Tensor) -> Tensor:
        return self._log_unnormalized_prob(x) - self._log_normalization()

    def _cdf(self, x: Tensor) -> Tensor:
        return _ops().math.igamma(self.concentration, self.rate * x)

    def _log_unnormalized_prob(self, x: Tensor) -> Tensor:
        tf = _ops()
        return tf.math.xlogy(self.concentration - 1.0, x) - self.rate * x

    def _log_normalization(self) -> Tensor:
        tf = _ops()
        return tf.lgamma(self.concentration) - self.concentration * tf.log(self.rate)

    def _entropy(self) -> Tensor:
        tf = _ops()
        return (self.concentration - tf.log(self.rate) + tf.lgamma(self.concentration)
                + (1.0 - self.concentration) * tf.digamma(self.concentration))

    def _mean(self) -> Tensor:
        return self.concentration / self.rate

    def _variance(self) -> Tensor:
        return self.concentration / _ops().square(self.rate)

    def _stddev(self) -> Tensor:
        return _ops().sqrt(self.concentration) / self.rate

    def _mode(self) -> Tensor:
        """``(concentration - 1) / rate``, NaN where ``concentration <= 1``."""
        tf = _ops()
        mode = (self.concentration - 1.0) / self.rate
        nan = tf.fill(self.batch_shape_tensor(),
                      np.array(np.nan, dtype=self.dtype.as_numpy_dtype), name="nan")
        return tf.where_v2(self.concentration > 1.0, mode, nan)


class Exponential(Gamma):
    """The exponential distribution with inverse scale ``rate``: ``Gamma(1, rate)``."""

    def __init__(self, rate: Any, validate_args: bool = False, allow_nan_stats: bool = True,
                 name: str = "Exponential") -> None:
        tf = _ops()
        with name_scope(name, values=[rate]) as scope:
            self._exp_rate = tf.convert_to_tensor(rate, name="rate")
        super().__init__(tf.ones([], dtype=self._exp_rate.dtype), self._exp_rate,
                         validate_args=validate_args, allow_nan_stats=allow_nan_stats,
                         name=scope)
        self._parameters = {"rate": rate, "validate_args": validate_args,
                            "allow_nan_stats": allow_nan_stats, "name": name}

    def _sample_n(self, n: Any, seed: Optional[int] = None) -> Tensor:
        """``-log(u) / rate`` for ``u`` uniform on ``[tiny, 1)``."""
        tf = _ops()
        shape = tf.concat([[n], tf.shape(self._exp_rate)], 0)
        tiny = float(np.finfo(self.dtype.as_numpy_dtype).tiny)
        sampled = tf.random_uniform(shape, minval=tiny, maxval=1.0, seed=seed,
                                    dtype=self.dtype)
        return -tf.log(sampled) / self._exp_rate


class Laplace(_LocScale):
    """The Laplace distribution with location ``loc`` and scale ``scale``."""

    def __init__(self, loc: Any, scale: Any, validate_args: bool = False,
                 allow_nan_stats: bool = True, name: str = "Laplace") -> None:
        parameters = dict(locals())
        parameters.pop("self")
        self._setup_loc_scale(name, loc, scale, FULLY_REPARAMETERIZED, validate_args,
                              allow_nan_stats, parameters)

    def _sample_n(self, n: Any, seed: Optional[int] = None) -> Tensor:
        """``loc - scale * sign(u) * log1p(-|u|)`` for ``u`` uniform on ``(-1, 1)``."""
        tf = _ops()
        shape = tf.concat([[n], self.batch_shape_tensor()], 0)
        np_dtype = self.dtype.as_numpy_dtype
        low = float(np.nextafter(np_dtype(-1.0), np_dtype(0.0)))
        u = tf.random_uniform(shape, minval=low, maxval=1.0, dtype=self.dtype, seed=seed)
        return self.loc - self.scale * tf.sign(u) * tf.log1p(-tf.abs(u))

    def _log_prob(self, x: Tensor) -> Tensor:
        return self._log_unnormalized_prob(x) - self._log_normalization()

    def _cdf(self, x: Tensor) -> Tensor:
        tf = _ops()
        z = self._z(x)
        return 0.5 + 0.5 * tf.sign(z) * (1.0 - tf.exp(-tf.abs(z)))

    def _log_unnormalized_prob(self, x: Tensor) -> Tensor:
        return -_ops().abs(self._z(x))

    def _log_normalization(self) -> Tensor:
        return _ops().log(2.0 * self.scale)

    def _entropy(self) -> Tensor:
        tf = _ops()
        scale = self.scale + tf.zeros_like(self.loc)
        return _math.log(2.0) + 1.0 + tf.log(scale)

    def _mean(self) -> Tensor:
        return self.loc + _ops().zeros_like(self.scale)

    def _stddev(self) -> Tensor:
        return _math.sqrt(2.0) * self.scale + _ops().zeros_like(self.loc)

    def _mode(self) -> Tensor:
        return self._mean()

    def _z(self, x: Tensor) -> Tensor:
        return (x - self.loc) / self.scale


# ----- KL divergence -----
_KL_REGISTRY: dict[tuple[type, type], Callable[..., Tensor]] = {}


class RegisterKL:
    """Decorator registering ``fn(a, b, name=None)`` as KL(a || b) for two classes."""

    def __init__(self, dist_cls_a: type, dist_cls_b: type) -> None:
        self._key = (dist_cls_a, dist_cls_b)

    def __call__(self, kl_fn: Callable[..., Tensor]) -> Callable[..., Tensor]:
        if not callable(kl_fn):
            raise TypeError(f"kl_fn must be callable, received: {kl_fn}")
        if self._key in _KL_REGISTRY:
            a, b = self._key
            raise ValueError(f"KL({a.__name__} || {b.__name__}) has already been registered "
                             f"to: {_KL_REGISTRY[self._key]}")
        _KL_REGISTRY[self._key] = kl_fn
        return kl_fn


def _registered_kl(type_a: type, type_b: type) -> Optional[Callable[..., Tensor]]:
    """The registration for the nearest pair of ancestors, as TF's MRO search."""
    best: Optional[Callable[..., Tensor]] = None
    best_distance = None
    for i, a in enumerate(type_a.__mro__):
        for j, b in enumerate(type_b.__mro__):
            fn = _KL_REGISTRY.get((a, b))
            if fn is not None and (best_distance is None or i + j < best_distance):
                best, best_distance = fn, i + j
    return best


def kl_divergence(distribution_a: Distribution, distribution_b: Distribution,
                  allow_nan_stats: bool = True, name: Optional[str] = None) -> Tensor:
    """KL(a || b) by the function registered for their classes; ``allow_nan_stats=False``
    adds a check that fails at run time on a NaN."""
    tf = _ops()
    fn = _registered_kl(type(distribution_a), type(distribution_b))
    if fn is None:
        raise NotImplementedError(
            f"No KL(distribution_a || distribution_b) registered for distribution_a type "
            f"{type(distribution_a).__name__} and distribution_b type "
            f"{type(distribution_b).__name__}")
    with name_scope("KullbackLeibler"):
        kl = fn(distribution_a, distribution_b, name=name)
        if allow_nan_stats:
            return kl
        kl = tf.identity(kl, name="kl")
        with control_dependencies([tf.Assert(tf.logical_not(tf.reduce_any(tf.is_nan(kl))),
                                             [f"KL calculation between {distribution_a.name} "
                                              f"and {distribution_b.name} returned NaN values "
                                              "(and was called with allow_nan_stats=False). "
                                              "Values:", kl])]):
            return tf.identity(kl, name="checked_kl")


@RegisterKL(Normal, Normal)
def _kl_normal_normal(a: Normal, b: Normal, name: Optional[str] = None) -> Tensor:
    tf = _ops()
    with name_scope(name, "kl_normal_normal", [a.loc, b.loc]):
        one = tf.constant(1, dtype=a.dtype)
        two = tf.constant(2, dtype=a.dtype)
        half = tf.constant(0.5, dtype=a.dtype)
        s_a_squared = tf.square(a.scale)
        s_b_squared = tf.square(b.scale)
        ratio = s_a_squared / s_b_squared
        return (tf.squared_difference(a.loc, b.loc) / (two * s_b_squared)
                + half * (ratio - one - tf.log(ratio)))


@RegisterKL(Gamma, Gamma)
def _kl_gamma_gamma(g0: Gamma, g1: Gamma, name: Optional[str] = None) -> Tensor:
    tf = _ops()
    with name_scope(name, "kl_gamma_gamma", values=[g0.concentration, g0.rate,
                                                    g1.concentration, g1.rate]):
        return ((g0.concentration - g1.concentration) * tf.digamma(g0.concentration)
                + tf.lgamma(g1.concentration) - tf.lgamma(g0.concentration)
                + g1.concentration * tf.log(g0.rate) - g1.concentration * tf.log(g1.rate)
                + g0.concentration * (g1.rate / g0.rate - 1.0))


@RegisterKL(Bernoulli, Bernoulli)
def _kl_bernoulli_bernoulli(a: Bernoulli, b: Bernoulli, name: Optional[str] = None) -> Tensor:
    tf = _ops()
    with name_scope(name, "kl_bernoulli_bernoulli", values=[a.logits, b.logits]):
        delta_probs0 = tf.nn.softplus(-b.logits) - tf.nn.softplus(-a.logits)
        delta_probs1 = tf.nn.softplus(b.logits) - tf.nn.softplus(a.logits)
        return tf.sigmoid(a.logits) * delta_probs0 + tf.sigmoid(-a.logits) * delta_probs1


@RegisterKL(Categorical, Categorical)
def _kl_categorical_categorical(a: Categorical, b: Categorical,
                                name: Optional[str] = None) -> Tensor:
    tf = _ops()
    with name_scope(name, "kl_categorical_categorical", values=[a.logits, b.logits]):
        delta_log_probs1 = tf.nn.log_softmax(a.logits) - tf.nn.log_softmax(b.logits)
        return tf.reduce_sum(tf.nn.softmax(a.logits) * delta_log_probs1, axis=-1)

