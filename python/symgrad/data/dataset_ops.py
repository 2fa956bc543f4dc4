"""``tf.data.Dataset`` (TF 1's ``DatasetV1``): a lazy pipeline of host-side elements.

A dataset adds no ops to the graph. It describes how to produce elements — each a nested
structure (tuples, namedtuples, dicts) of numpy arrays whose dtypes and static shapes are its
``element_spec`` — and an iterator (``iterator_ops``) runs that description when its graph ops
run. Graph tensors a dataset was built from (``from_tensor_slices(placeholder)``, a
``batch_size`` tensor, ``from_generator`` args) are its *captures*: the iterator's initializer
op takes them as inputs, so they are evaluated, with the run's feeds, when it runs.

Functions passed to ``map``, ``filter``, ``flat_map`` and ``interleave`` receive symbolic
tensors, as in TF: each is traced once, on placeholders of the input's element spec, into a
private graph, and that graph is run per element by a private session of the iteration.
"""

from __future__ import annotations

import glob
import io
import os
from typing import Any, Callable, Iterator, Optional

import numpy as np

from .. import dtypes as _dtypes
from .. import errors
from ..constant_op import convert_to_tensor, to_numpy
from ..dtypes import DType
from ..framework import Graph, Tensor
from ..tensor_shape import TensorShape
from ..tf_record import fixed_length_records, read_compressed, read_records
from . import _structure as st
from ._structure import ComponentSpec

AUTOTUNE = -1
INFINITE_CARDINALITY = -1
UNKNOWN_CARDINALITY = -2

Element = list  # one element, flattened: a list of numpy arrays


# ----- what one pass over a pipeline needs --------------------------------------------------
class IterationContext:
    """Values of the captured tensors, and what stays alive for one iterator initialization:
    the private sessions of traced functions, shuffle epoch counters and in-memory caches."""

    def __init__(self, values: dict[Tensor, Any], shared: Optional["IterationContext"] = None
                 ) -> None:
        self.values = values
        if shared is None:
            self.sessions: dict[int, Any] = {}
            self.epochs: dict[int, int] = {}
            self.caches: dict[int, list[Element]] = {}
        else:
            self.sessions, self.epochs, self.caches = (shared.sessions, shared.epochs,
                                                       shared.caches)

    def value(self, param: Any) -> Any:
        if isinstance(param, Tensor):
            return self.values[param]
        return param

    def int_value(self, param: Any) -> int:
        return int(np.asarray(self.value(param)))

    def child(self, values: dict[Tensor, Any]) -> "IterationContext":
        """A context for a dataset made per element (``flat_map``): its own captures, and
        the outer ones its functions may read."""
        return IterationContext({**self.values, **values}, shared=self)

    def session(self, fn: "TracedFunction") -> Any:
        sess = self.sessions.get(id(fn))
        if sess is None:
            from ..session import Session
            sess = Session(graph=fn.graph)
            self.sessions[id(fn)] = sess
        return sess

    def close(self) -> None:
        for sess in self.sessions.values():
            sess.close()
        self.sessions.clear()


# ----- conversions ---------------------------------------------------------------------------
def _is_graph_tensor(value: Any) -> bool:
    return isinstance(value, Tensor) and not getattr(value, "_is_eager", False)


def _source_component(value: Any) -> Any:
    """A dataset source's leaf: a graph tensor stays symbolic (a capture); anything else
    becomes a numpy array by TF's conversion rules."""
    if isinstance(value, Tensor):
        return value.numpy() if getattr(value, "_is_eager", False) else value
    if isinstance(value, (np.ndarray, np.generic, list, int, float, bool, str, bytes)):
        return to_numpy(value)
    tensor = convert_to_tensor(value)  # a Variable reads its value
    return tensor.numpy() if getattr(tensor, "_is_eager", False) else tensor


def _spec_of(component: Any) -> ComponentSpec:
    if isinstance(component, Tensor):
        return ComponentSpec(component.dtype, component.shape)
    return ComponentSpec(st.dtype_of_array(component), TensorShape(component.shape))


def _scalar_param(value: Any, dtype: DType, name: str) -> Any:
    """A scalar argument (``batch_size``, ``count``...): a Python value, or a graph tensor
    captured and read when the iteration starts."""
    if isinstance(value, Tensor) or not isinstance(value, (int, float, bool, np.generic,
                                                           np.ndarray)):
        tensor = convert_to_tensor(value, dtype=dtype, name=name)
        if getattr(tensor, "_is_eager", False):
            return tensor.numpy().item()
        if tensor.shape.rank not in (None, 0):
            raise ValueError(f"Shape must be rank 0 but is rank {tensor.shape.rank} for "
                             f"'{name}'")
        return tensor
    return np.asarray(value).item()


def _static(param: Any) -> Optional[int]:
    return None if isinstance(param, Tensor) else int(param)


def _invalid(message: str) -> errors.InvalidArgumentError:
    return errors.InvalidArgumentError(None, None, message)


def _item(array: np.ndarray, i: int) -> np.ndarray:
    return np.asarray(array[i], dtype=array.dtype)


# ----- the base class ------------------------------------------------------------------------
class DatasetV1:
    """A pipeline of elements with a fixed structure, dtypes and static shapes."""

    def __init__(self, inputs: list["DatasetV1"], structure: Any) -> None:
        self._inputs = inputs
        self._structure = structure  # nested ComponentSpec
        self._options: Optional[Options] = None

    # ----- implemented by each kind of dataset -----
    def _own_captures(self) -> list[Tensor]:
        return []

    def _iter(self, ctx: IterationContext) -> Iterator[Element]:
        raise NotImplementedError

    # ----- structure -----
    def _captures(self) -> list[Tensor]:
        """The graph tensors the pipeline reads, each once, in a fixed order."""
        seen: set[int] = set()
        out: list[Tensor] = []
        stack: list[DatasetV1] = [self]
        while stack:
            ds = stack.pop()
            for t in ds._own_captures():
                if id(t) not in seen:
                    seen.add(id(t))
                    out.append(t)
            stack.extend(reversed(ds._inputs))
        return out

    def _flat_specs(self) -> list[ComponentSpec]:
        return st.flatten(self._structure)

    @property
    def element_spec(self) -> Any:
        from ..eager import TensorSpec
        from ..sparse_tensor import SparseTensorSpec
        return st.map_elements(
            lambda s: SparseTensorSpec(st.sparse_dense_shape(s), s[1].dtype)
            if isinstance(s, st.SparseSpec) else TensorSpec(s.shape, s.dtype), self._structure)

    @property
    def output_types(self) -> Any:
        return st.map_elements(lambda s: s[1].dtype if isinstance(s, st.SparseSpec)
                               else s.dtype, self._structure)

    @property
    def output_shapes(self) -> Any:
        return st.map_elements(lambda s: st.sparse_dense_shape(s)
                               if isinstance(s, st.SparseSpec) else s.shape, self._structure)

    @property
    def output_classes(self) -> Any:
        from ..sparse_tensor import SparseTensor
        return st.map_elements(lambda s: SparseTensor if isinstance(s, st.SparseSpec)
                               else Tensor, self._structure)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} element_spec={self.element_spec}>"

    # ----- Python iteration (eager mode only, as in TF) -----
    def __iter__(self) -> Iterator[Any]:
        from ..constant_op import constant
        return self._eager_elements(constant, "`tf.data.Dataset` only supports Python-style "
                                              "iteration in eager mode or within tf.function.")

    def as_numpy_iterator(self) -> Iterator[Any]:
        """The elements as numpy values (scalars as numpy scalars), in eager mode only."""
        return self._eager_elements(lambda a: a[()] if a.ndim == 0 else a,
                                    "`tf.data.Dataset.as_numpy_iterator()` is only supported "
                                    "in eager mode.")

    def _eager_elements(self, convert: Callable[[np.ndarray], Any], graph_mode_error: str
                        ) -> Iterator[Any]:
        from ..eager import executing_eagerly
        if not executing_eagerly():
            raise RuntimeError(graph_mode_error)

        def elements() -> Iterator[Any]:
            ctx = IterationContext({})
            try:
                for flat in self._iter(ctx):
                    yield st.pack(self._structure, [convert(a) for a in flat])
            finally:
                ctx.close()

        return elements()

    # ----- iterators (TF 1) -----
    def make_one_shot_iterator(self) -> Any:
        from .iterator_ops import make_one_shot_iterator
        return make_one_shot_iterator(self)

    def make_initializable_iterator(self, shared_name: Optional[str] = None) -> Any:
        from .iterator_ops import make_initializable_iterator
        return make_initializable_iterator(self, shared_name)

    # ----- sources -----
    @staticmethod
    def from_tensor_slices(tensors: Any, name: Optional[str] = None) -> "DatasetV1":
        return _TensorSliceDataset(tensors)

    @staticmethod
    def from_tensors(tensors: Any, name: Optional[str] = None) -> "DatasetV1":
        return _TensorDataset(tensors)

    @staticmethod
    def range(*args: Any, **kwargs: Any) -> "DatasetV1":
        return _RangeDataset(*args, **kwargs)

    @staticmethod
    def from_generator(generator: Callable[..., Any], output_types: Any = None,
                       output_shapes: Any = None, args: Any = None,
                       output_signature: Any = None, name: Optional[str] = None
                       ) -> "DatasetV1":
        return _GeneratorDataset(generator, output_types, output_shapes, args, output_signature)

    @staticmethod
    def list_files(file_pattern: Any, shuffle: Optional[bool] = None, seed: Optional[int] = None,
                   name: Optional[str] = None) -> "DatasetV1":
        files: DatasetV1 = _MatchingFilesDataset(file_pattern)
        if shuffle is None or shuffle:
            # The whole list is the buffer: a uniform permutation, as TF's.
            files = files.shuffle(_WHOLE_INPUT, seed)
        return files

    @staticmethod
    def zip(*args: Any, datasets: Any = None, name: Optional[str] = None) -> "DatasetV1":
        if datasets is not None and args:
            raise TypeError("Both `*args` and `datasets` cannot be set.")
        if datasets is None:
            if not args:
                raise TypeError("Must pass at least one dataset to `zip`.")
            datasets = args[0] if len(args) == 1 else tuple(args)
        return _ZipDataset(datasets)

    # ----- transformations -----
    def batch(self, batch_size: Any, drop_remainder: bool = False,
              num_parallel_calls: Any = None, deterministic: Any = None,
              name: Optional[str] = None) -> "DatasetV1":
        return _BatchDataset(self, batch_size, drop_remainder)

    def padded_batch(self, batch_size: Any, padded_shapes: Any = None,
                     padding_values: Any = None, drop_remainder: bool = False,
                     name: Optional[str] = None) -> "DatasetV1":
        return _PaddedBatchDataset(self, batch_size, padded_shapes, padding_values, drop_remainder)

    def unbatch(self, name: Optional[str] = None) -> "DatasetV1":
        return _UnbatchDataset(self)

    def shuffle(self, buffer_size: Any, seed: Optional[int] = None,
                reshuffle_each_iteration: Optional[bool] = True,
                name: Optional[str] = None) -> "DatasetV1":
        return _ShuffleDataset(self, buffer_size, seed, reshuffle_each_iteration)

    def repeat(self, count: Any = None, name: Optional[str] = None) -> "DatasetV1":
        return _RepeatDataset(self, count)

    def take(self, count: Any, name: Optional[str] = None) -> "DatasetV1":
        return _TakeDataset(self, count)

    def skip(self, count: Any, name: Optional[str] = None) -> "DatasetV1":
        return _SkipDataset(self, count)

    def shard(self, num_shards: Any, index: Any, name: Optional[str] = None) -> "DatasetV1":
        return _ShardDataset(self, num_shards, index)

    def map(self, map_func: Callable[..., Any], num_parallel_calls: Any = None,
            deterministic: Any = None, synchronous: Any = None,
            use_unbounded_threadpool: bool = False, name: Optional[str] = None
            ) -> "DatasetV1":
        return _MapDataset(self, map_func)

    def map_with_legacy_function(self, map_func: Callable[..., Any],
                                 num_parallel_calls: Any = None,
                                 deterministic: Any = None) -> "DatasetV1":
        return _MapDataset(self, map_func)

    def filter(self, predicate: Callable[..., Any], name: Optional[str] = None
               ) -> "DatasetV1":
        return _FilterDataset(self, predicate)

    def filter_with_legacy_function(self, predicate: Callable[..., Any]) -> "DatasetV1":
        return _FilterDataset(self, predicate)

    def flat_map(self, map_func: Callable[..., Any], name: Optional[str] = None
                 ) -> "DatasetV1":
        return _InterleaveDataset(self, map_func, 1, 1, "flat_map")

    def interleave(self, map_func: Callable[..., Any], cycle_length: Any = None,
                   block_length: Any = None, num_parallel_calls: Any = None,
                   deterministic: Any = None, name: Optional[str] = None) -> "DatasetV1":
        if cycle_length is None or cycle_length == AUTOTUNE:
            # TF's AUTOTUNE cycle length is the number of schedulable cores.
            cycle_length = os.cpu_count() or 1
        return _InterleaveDataset(self, map_func, cycle_length,
                           1 if block_length is None else block_length, "interleave")

    def prefetch(self, buffer_size: Any, name: Optional[str] = None) -> "DatasetV1":
        return _PrefetchDataset(self)

    def cache(self, filename: str = "", name: Optional[str] = None) -> "DatasetV1":
        return _CacheDataset(self)

    def enumerate(self, start: Any = 0, name: Optional[str] = None) -> "DatasetV1":
        return _EnumerateDataset(self, start)

    def concatenate(self, dataset: "DatasetV1", name: Optional[str] = None) -> "DatasetV1":
        return _ConcatenateDataset(self, dataset)

    def apply(self, transformation_func: Callable[["DatasetV1"], "DatasetV1"]) -> "DatasetV1":
        dataset = transformation_func(self)
        if not isinstance(dataset, DatasetV1):
            raise TypeError(f"`transformation_func` must return a `tf.data.Dataset` object. "
                            f"Got {type(dataset)}.")
        return dataset

    def with_options(self, options: "Options", name: Optional[str] = None) -> "DatasetV1":
        dataset = _OptionsDataset(self)
        dataset._options = options
        return dataset

    def options(self) -> "Options":
        stack: list[DatasetV1] = [self]
        while stack:
            ds = stack.pop()
            if ds._options is not None:
                return ds._options
            stack.extend(ds._inputs)
        return Options()


Dataset = DatasetV1


class Options:
    """``tf.data.Options``: accepted and kept; symgrad's pipelines run sequentially, so no
    option changes what they produce. Option groups (``experimental_optimization``,
    ``threading``, ...) appear on first use and take any attribute."""

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        group = Options()
        object.__setattr__(self, name, group)
        return group

    def merge(self, options: "Options") -> "Options":
        merged = Options()
        merged.__dict__.update(self.__dict__)
        merged.__dict__.update(options.__dict__)
        return merged


# ----- sources -------------------------------------------------------------------------------
class _TensorSliceDataset(DatasetV1):
    def __init__(self, tensors: Any) -> None:
        self._template = tensors
        self._components = [_source_component(v) for v in st.flatten(tensors)]
        if not self._components:
            raise ValueError("Invalid `tensors`. `tensors` should not be empty.")
        specs = [_spec_of(c) for c in self._components]
        first: Optional[int] = None
        for spec in specs:
            if spec.shape.rank == 0:
                raise ValueError("Unbatching a tensor is only supported for rank >= 1")
            dim = spec.shape[0] if spec.shape.rank is not None else None
            if dim is not None:
                if first is not None and dim != first:
                    raise ValueError(f"Dimensions {first} and {dim} are not compatible")
                first = dim
        super().__init__([], st.pack(tensors, [ComponentSpec(s.dtype, s.shape[1:])
                                               for s in specs]))

    def _own_captures(self) -> list[Tensor]:
        return [c for c in self._components if isinstance(c, Tensor)]

    def _iter(self, ctx: IterationContext) -> Iterator[Element]:
        arrays = [np.asarray(ctx.value(c)) for c in self._components]
        sizes = [a.shape[0] if a.ndim else None for a in arrays]
        if any(s is None for s in sizes):
            raise _invalid("Unbatching a tensor is only supported for rank >= 1")
        if any(s != sizes[0] for s in sizes):
            raise _invalid("All components must have the same size in the 0th dimension")
        for i in range(sizes[0] or 0):
            yield [_item(a, i) for a in arrays]


class _TensorDataset(DatasetV1):
    def __init__(self, tensors: Any) -> None:
        self._components = [_source_component(v) for v in st.flatten(tensors)]
        super().__init__([], st.pack(tensors, [_spec_of(c) for c in self._components]))

    def _own_captures(self) -> list[Tensor]:
        return [c for c in self._components if isinstance(c, Tensor)]

    def _iter(self, ctx: IterationContext) -> Iterator[Element]:
        yield [np.asarray(ctx.value(c)) for c in self._components]


class _RangeDataset(DatasetV1):
    def __init__(self, *args: Any, output_type: Any = _dtypes.int64,
                 name: Optional[str] = None) -> None:
        if not 1 <= len(args) <= 3:
            raise ValueError(f"Invalid `args`. The length of `args` should be between 1 and "
                             f"3 but was {len(args)}.")
        params = [_scalar_param(a, _dtypes.int64, n) for a, n in
                  zip(args, ("start", "stop", "step"))]
        if len(params) == 1:
            params = [0, params[0], 1]
        elif len(params) == 2:
            params.append(1)
        self._params = params
        self._dtype = _dtypes.as_dtype(output_type)
        super().__init__([], ComponentSpec(self._dtype, []))

    def _own_captures(self) -> list[Tensor]:
        return [p for p in self._params if isinstance(p, Tensor)]

    def _iter(self, ctx: IterationContext) -> Iterator[Element]:
        start, stop, step = (ctx.int_value(p) for p in self._params)
        if step == 0:
            raise _invalid("step must be a non-zero integer.")
        np_type = self._dtype.as_numpy_dtype
        for v in range(start, stop, step):
            yield [np.asarray(v, dtype=np_type)]


class _GeneratorDataset(DatasetV1):
    def __init__(self, generator: Callable[..., Any], output_types: Any, output_shapes: Any,
                 args: Any, output_signature: Any) -> None:
        if not callable(generator):
            raise TypeError("`generator` must be a Python callable.")
        if output_signature is not None:
            if output_types is not None or output_shapes is not None:
                raise TypeError("The `output_types` and `output_shapes` arguments must not be "
                                "set when `output_signature` is set.")
            output_types = st.map_structure(lambda s: s.dtype, output_signature)
            output_shapes = st.map_structure(lambda s: s.shape, output_signature)
        if output_types is None:
            raise TypeError("To specify the output signature you need to provide either the "
                            "`output_signature` argument or the `output_types` argument.")
        types = st.map_structure(_dtypes.as_dtype, output_types)
        if output_shapes is None:
            shapes = st.map_structure(lambda _: TensorShape(None), types)
        else:
            shapes = _shapes_up_to(types, output_shapes)
        self._generator = generator
        self._types = types
        self._args = [_source_component(a) for a in (args or ())]
        super().__init__([], st.pack(types, [ComponentSpec(t, s) for t, s in
                                             zip(st.flatten(types), st.flatten(shapes))]))

    def _own_captures(self) -> list[Tensor]:
        return [a for a in self._args if isinstance(a, Tensor)]

    def _iter(self, ctx: IterationContext) -> Iterator[Element]:
        args = [np.asarray(ctx.value(a)) for a in self._args]
        specs = self._flat_specs()
        for value in self._generator(*args):
            leaves = st.flatten_up_to(self._types, value)
            if leaves is None:
                raise _invalid(
                    "TypeError: `generator` yielded an element that did not match the expected "
                    f"structure. The expected structure was {_types_text(self._types)}, but "
                    f"the yielded element was {value}.")
            flat: Element = []
            for leaf, spec in zip(leaves, specs):
                try:
                    array = st.as_component(leaf, spec.dtype)
                except (TypeError, ValueError):
                    raise _invalid(
                        "TypeError: `generator` yielded an element that could not be converted "
                        f"to the expected type. The expected type was {spec.dtype.name}, but "
                        f"the yielded element was {leaf}.") from None
                if not spec.shape.is_compatible_with(array.shape):
                    raise _invalid(
                        f"TypeError: `generator` yielded an element of shape {array.shape} "
                        f"where an element of shape {spec.shape} was expected.")
                flat.append(array)
            yield flat


def _types_text(types: Any) -> str:
    return str(st.map_structure(lambda t: _TypeName(t), types))


class _TypeName:
    def __init__(self, dtype: DType) -> None:
        self.dtype = dtype

    def __repr__(self) -> str:
        return f"tf.{self.dtype.name}"


def _shapes_up_to(types: Any, shapes: Any) -> Any:
    """``output_shapes`` in the structure of ``output_types`` (a lone shape given for a
    lone component; lists of dims are shapes, not structure)."""
    parts = st.flatten_up_to(types, shapes)
    if parts is None:
        raise ValueError("The two structures don't have the same nested structure.\n\n"
                         f"First structure: {types}\n\nSecond structure: {shapes}")
    return st.pack(types, [st.spec_shape(p) for p in parts])


_WHOLE_INPUT = 1 << 62


class _MatchingFilesDataset(DatasetV1):
    """The files matching glob patterns when the iteration starts, sorted."""

    def __init__(self, patterns: Any) -> None:
        self._patterns = _source_component(patterns)
        if not isinstance(self._patterns, Tensor):
            self._patterns = st.as_component(self._patterns, _dtypes.string)
        super().__init__([], ComponentSpec(_dtypes.string, []))

    def _own_captures(self) -> list[Tensor]:
        return [self._patterns] if isinstance(self._patterns, Tensor) else []

    def _iter(self, ctx: IterationContext) -> Iterator[Element]:
        patterns = [p.decode() if isinstance(p, bytes) else str(p) for p in
                    np.asarray(ctx.value(self._patterns), dtype=object).reshape(-1)]
        found = sorted({f for p in patterns for f in glob.glob(p)})
        if not found:
            raise _invalid(f"No files matched pattern: {', '.join(patterns)}")
        for f in found:
            yield [np.asarray(f.encode(), dtype=object)]


class _FileDataset(DatasetV1):
    """Elements read from files named by a ``string`` tensor or list, compressed or not."""

    def __init__(self, filenames: Any, compression_type: Any = None) -> None:
        self._filenames = _source_component(filenames)
        if not isinstance(self._filenames, Tensor):
            self._filenames = st.as_component(self._filenames, _dtypes.string)
        if self._filenames.dtype != _dtypes.string:
            raise TypeError("`filenames` must be a `tf.Tensor` of dtype `tf.string` dtype. "
                            f"Received a `tf.Tensor` of dtype {self._filenames.dtype!r}.")
        compression = compression_type or ""
        if isinstance(compression, bytes):
            compression = compression.decode()
        if compression not in ("", "GZIP", "ZLIB"):
            raise errors.InvalidArgumentError(
                None, None, f"Unsupported compression_type: {compression}.")
        self._compression = compression
        super().__init__([], ComponentSpec(_dtypes.string, []))

    def _own_captures(self) -> list[Tensor]:
        return [self._filenames] if isinstance(self._filenames, Tensor) else []

    def _records(self, data: bytes) -> Iterator[bytes]:
        raise NotImplementedError

    def _iter(self, ctx: IterationContext) -> Iterator[Element]:
        names = np.asarray(ctx.value(self._filenames), dtype=object).reshape(-1)
        for name in names:
            path = name.decode() if isinstance(name, bytes) else str(name)
            for record in self._records(read_compressed(path, self._compression)):
                yield [np.asarray(record, dtype=object)]


class TextLineDataset(_FileDataset):
    """``tf.data.TextLineDataset``: the lines of text files as ``string`` scalars, without
    their line ends (``\\n`` or ``\\r\\n``)."""

    def __init__(self, filenames: Any, compression_type: Any = None, buffer_size: Any = None,
                 num_parallel_reads: Any = None, name: Optional[str] = None) -> None:
        super().__init__(filenames, compression_type)

    def _records(self, data: bytes) -> Iterator[bytes]:
        lines = data.split(b"\n")
        if lines and lines[-1] == b"":
            lines.pop()
        for line in lines:
            yield line[:-1] if line.endswith(b"\r") else line


class TFRecordDataset(_FileDataset):
    """``tf.data.TFRecordDataset``: the records of TFRecord files as ``string`` scalars,
    file after file; ``buffer_size`` and ``num_parallel_reads`` are accepted (reads are
    whole files, in order)."""

    def __init__(self, filenames: Any, compression_type: Any = None, buffer_size: Any = None,
                 num_parallel_reads: Any = None, name: Optional[str] = None) -> None:
        super().__init__(filenames, compression_type)

    def _records(self, data: bytes) -> Iterator[bytes]:
        return read_records(io.BytesIO(data), truncated_ok=False)


class FixedLengthRecordDataset(_FileDataset):
    """``tf.data.FixedLengthRecordDataset``: the ``record_bytes``-long records of files
    after ``header_bytes`` and before ``footer_bytes``, as ``string`` scalars."""

    def __init__(self, filenames: Any, record_bytes: int, header_bytes: Optional[int] = None,
                 footer_bytes: Optional[int] = None, buffer_size: Any = None,
                 compression_type: Any = None, num_parallel_reads: Any = None,
                 name: Optional[str] = None) -> None:
        super().__init__(filenames, compression_type)
        self._record_bytes = int(record_bytes)
        self._header = int(header_bytes or 0)
        self._footer = int(footer_bytes or 0)
        if self._record_bytes <= 0:
            raise errors.InvalidArgumentError(
                None, None, f"record_bytes must be greater than zero, got {record_bytes}")

    def _records(self, data: bytes) -> Iterator[bytes]:
        return fixed_length_records(data, self._record_bytes, self._header, self._footer)


# ----- functions traced into private graphs ---------------------------------------------------
class _FunctionGraph(Graph):
    """The private graph of a traced function: a tensor of another graph used in it becomes
    a placeholder here, fed with the outer tensor's value (a capture of the dataset)."""

    def __init__(self) -> None:
        super().__init__()
        self.outer: list[Tensor] = []
        self.outer_placeholders: list[Tensor] = []

    def _capture_outer(self, tensor: Tensor) -> Tensor:
        from ..array_ops import placeholder
        for outer, inner in zip(self.outer, self.outer_placeholders):
            if outer is tensor:
                return inner
        with self.as_default(), self.name_scope(None):
            inner = placeholder(tensor.dtype, tensor.shape, name="captured_input")
        self.outer.append(tensor)
        self.outer_placeholders.append(inner)
        return inner


class TracedFunction:
    """A user function traced once on placeholders of its input's element spec."""

    def __init__(self, func: Callable[..., Any], structure: Any, what: str,
                 returns_dataset: bool = False) -> None:
        from ..array_ops import placeholder
        self.graph = _FunctionGraph()
        with self.graph.as_default():
            self.placeholders = [placeholder(s.dtype, s.shape, name=f"args_{i}")
                                 for i, s in enumerate(st.flatten(structure))]
            args = st.pack(structure, self.placeholders)
            result = func(*args) if type(args) is tuple else func(args)
            if returns_dataset:
                if not isinstance(result, DatasetV1):
                    raise TypeError(f"The `map_func` argument must return a `Dataset` object. "
                                    f"Got {type(result)}.")
                self.dataset: Optional[DatasetV1] = result
                captures = result._captures()
                self.fetches = [t for t in captures if t.graph is self.graph]
                for t in captures:
                    if t.graph is not self.graph:
                        self.graph._capture_outer(t)  # read from the outer iteration
                self.output_structure = result._structure
            else:
                self.dataset = None
                if isinstance(result, list):
                    result = tuple(result)  # as TF, with its warning left out
                self.fetches = [convert_to_tensor(v) for v in st.flatten(result)]
                self.output_structure = st.pack(
                    result, [ComponentSpec(t.dtype, t.shape) for t in self.fetches])
        self.what = what

    def run(self, ctx: IterationContext, element: Element) -> list[np.ndarray]:
        if not self.fetches:
            return []
        sess = ctx.session(self)
        feeds = dict(zip(self.placeholders, element))
        feeds.update((inner, ctx.value(outer)) for outer, inner in
                     zip(self.graph.outer, self.graph.outer_placeholders))
        values = sess.run(self.fetches, feed_dict=feeds)
        return [st.as_component(v, t.dtype) for v, t in zip(values, self.fetches)]


# ----- transformations -----------------------------------------------------------------------
class _PrefetchDataset(DatasetV1):
    """``prefetch``: the input's elements unchanged."""

    def __init__(self, input_dataset: DatasetV1) -> None:
        super().__init__([input_dataset], input_dataset._structure)

    def _iter(self, ctx: IterationContext) -> Iterator[Element]:
        return self._inputs[0]._iter(ctx)


class _OptionsDataset(_PrefetchDataset):
    """``with_options``: the input's elements, with options attached."""


def _batched_specs(structure: Any, dim: Optional[int]) -> Any:
    def batched(spec: Any) -> Any:
        if isinstance(spec, st.SparseSpec):
            rank = spec[2].shape[0] if spec[2].shape.rank == 1 else None
            more = None if rank is None else rank + 1
            return st.SparseSpec([ComponentSpec(_dtypes.int64, [None, more]),
                                  ComponentSpec(spec[1].dtype, [None]),
                                  ComponentSpec(_dtypes.int64, [more])])
        return ComponentSpec(spec.dtype, TensorShape([dim]).concatenate(spec.shape))
    return st.map_elements(batched, structure)


def _sparse_starts(structure: Any) -> set[int]:
    """The flat positions where a sparse element's (indices, values, dense_shape) start."""
    starts: set[int] = set()
    position = 0

    def visit(spec: Any) -> None:
        nonlocal position
        if isinstance(spec, st.SparseSpec):
            starts.add(position)
            position += 3
        else:
            position += 1

    st.map_elements(visit, structure)
    return starts


def _stack_sparse(batch: list[Element], j: int) -> list[np.ndarray]:
    """Sparse elements batched as TF does: one more leading index, values concatenated, each
    dense dimension the largest of the batch."""
    indices = [np.concatenate([np.full((len(e[j]), 1), b, dtype=np.int64),
                               np.asarray(e[j], dtype=np.int64).reshape(len(e[j]), -1)], axis=1)
               for b, e in enumerate(batch)]
    shapes = [np.asarray(e[j + 2], dtype=np.int64).reshape(-1) for e in batch]
    if len({s.size for s in shapes}) != 1:
        raise _invalid("Cannot batch sparse tensors of different ranks.")
    dense_shape = np.concatenate([[len(batch)], np.max(np.stack(shapes), axis=0)])
    return [np.concatenate(indices).reshape(-1, dense_shape.size),
            np.concatenate([np.asarray(e[j + 1]).reshape(-1) for e in batch]),
            dense_shape.astype(np.int64)]


def _refuse_sparse(dataset: DatasetV1, what: str) -> None:
    if _sparse_starts(dataset._structure):
        raise TypeError(f"symgrad's Dataset.{what} does not take SparseTensor elements")


def _stack(batch: list[Element], sparse_starts: Optional[set[int]] = None) -> Element:
    out: Element = []
    j = 0
    while j < len(batch[0]):
        if sparse_starts and j in sparse_starts:
            out.extend(_stack_sparse(batch, j))
            j += 3
            continue
        first = batch[0][j].shape
        for k, element in enumerate(batch[1:], start=1):
            if element[j].shape != first:
                raise _invalid(
                    f"Cannot batch tensors with different shapes in component {j}. First "
                    f"element had shape {_dims(first)} and element {k} had shape "
                    f"{_dims(element[j].shape)}.")
        out.append(np.stack([element[j] for element in batch]))
        j += 1
    return out


def _dims(shape: tuple[int, ...]) -> str:
    return "[" + ",".join(str(d) for d in shape) + "]"


class _BatchDataset(DatasetV1):
    def __init__(self, input_dataset: DatasetV1, batch_size: Any, drop_remainder: Any) -> None:
        self._size = _scalar_param(batch_size, _dtypes.int64, "batch_size")
        self._drop = _scalar_param(drop_remainder, _dtypes.bool, "drop_remainder")
        dim = _static(self._size) if self._drop is True else None
        super().__init__([input_dataset], _batched_specs(input_dataset._structure, dim))

    def _own_captures(self) -> list[Tensor]:
        return [p for p in (self._size, self._drop) if isinstance(p, Tensor)]

    def _batches(self, ctx: IterationContext) -> Iterator[list[Element]]:
        size = ctx.int_value(self._size)
        if size <= 0:
            raise _invalid("Batch size must be greater than zero.")
        drop = bool(ctx.value(self._drop))
        batch: list[Element] = []
        for element in self._inputs[0]._iter(ctx):
            batch.append(element)
            if len(batch) == size:
                yield batch
                batch = []
        if batch and not drop:
            yield batch

    def _iter(self, ctx: IterationContext) -> Iterator[Element]:
        sparse_starts = _sparse_starts(self._inputs[0]._structure)
        for batch in self._batches(ctx):
            yield _stack(batch, sparse_starts)


def _default_padding(dtype: DType) -> Any:
    if dtype._is_string:
        return b""
    return np.zeros((), dtype=dtype.as_numpy_dtype)


def _padding_value(value: Any, dtype: DType) -> Any:
    """A scalar padding value of ``dtype``: a graph tensor stays a capture."""
    component = _source_component(value)
    if isinstance(component, Tensor):
        if component.dtype != dtype:
            raise TypeError(f"Padding value dtype {component.dtype.name} does not match the "
                            f"component dtype {dtype.name}.")
        return component
    return st.as_component(component, dtype)


def _fits_padded_shape(shape: TensorShape, padded: TensorShape) -> bool:
    """TF's rule: the same rank, and no known padded dim below the component's."""
    if shape.rank is None or padded.rank is None:
        return True
    return shape.rank == padded.rank and all(
        p is None or d is None or p >= d for d, p in zip(shape.as_list(), padded.as_list()))


class _PaddedBatchDataset(_BatchDataset):
    def __init__(self, input_dataset: DatasetV1, batch_size: Any, padded_shapes: Any,
                 padding_values: Any, drop_remainder: Any) -> None:
        _refuse_sparse(input_dataset, "padded_batch")
        super().__init__(input_dataset, batch_size, drop_remainder)
        structure = input_dataset._structure
        specs = st.flatten(structure)
        if padded_shapes is None:
            for spec in specs:
                if spec.shape.rank is None:
                    raise ValueError("You must provide `padded_shapes` argument because "
                                     "component 0 has unknown rank.")
            shapes = [s.shape for s in specs]
        else:
            shapes = st.flatten(_shapes_up_to(structure, padded_shapes))
            for spec, shape in zip(specs, shapes):
                if not _fits_padded_shape(spec.shape, shape):
                    raise ValueError(
                        f"The padded shape {shape} is not compatible with the shape "
                        f"{spec.shape} of the corresponding input component.")
        if padding_values is None:
            pads: list[Any] = [_default_padding(s.dtype) for s in specs]
        else:
            parts = st.flatten_up_to(structure, padding_values)
            if st.is_structure(structure) and not st.is_structure(padding_values):
                given = [padding_values] * len(specs)
            elif parts is not None:
                given = parts
            else:
                raise ValueError("The two structures don't have the same nested structure.")
            pads = [_padding_value(v, s.dtype) for v, s in zip(given, specs)]
        self._padded = shapes
        self._pads = pads
        dim = _static(self._size) if self._drop is True else None
        self._structure = st.pack(structure, [
            ComponentSpec(s.dtype, TensorShape([dim]).concatenate(p))
            for s, p in zip(specs, shapes)])

    def _own_captures(self) -> list[Tensor]:
        return super()._own_captures() + [p for p in self._pads if isinstance(p, Tensor)]

    def _iter(self, ctx: IterationContext) -> Iterator[Element]:
        pads = [np.asarray(ctx.value(p)) for p in self._pads]
        for batch in self._batches(ctx):
            out: Element = []
            for j, (target, pad) in enumerate(zip(self._padded, pads)):
                parts = [element[j] for element in batch]
                rank = parts[0].ndim
                dims = [max(p.shape[a] for p in parts) for a in range(rank)]
                if target.rank is not None:
                    dims = [d if t is None else t for d, t in zip(dims, target.as_list())]
                array = np.full([len(parts)] + dims, pad, dtype=parts[0].dtype)
                for k, part in enumerate(parts):
                    if part.ndim != rank or any(a > b for a, b in zip(part.shape, dims)):
                        raise errors.DataLossError(
                            None, None,
                            "Attempted to pad to a smaller size than the input element.")
                    array[(k,) + tuple(slice(0, d) for d in part.shape)] = part
                out.append(array)
            yield out


class _UnbatchDataset(DatasetV1):
    def __init__(self, input_dataset: DatasetV1) -> None:
        _refuse_sparse(input_dataset, "unbatch")
        specs = input_dataset._flat_specs()
        for spec in specs:
            if spec.shape.rank == 0:
                raise ValueError("Cannot unbatch an input with scalar components.")
        super().__init__([input_dataset], st.map_structure(
            lambda s: ComponentSpec(s.dtype, s.shape[1:]), input_dataset._structure))

    def _iter(self, ctx: IterationContext) -> Iterator[Element]:
        for element in self._inputs[0]._iter(ctx):
            n = element[0].shape[0]
            for j, c in enumerate(element[1:], start=1):
                if c.shape[0] != n:
                    raise _invalid(
                        "Input element must have the same batch size in each component. "
                        f"Component 0 had size {n} but component {j} had size {c.shape[0]}.")
            for i in range(n):
                yield [_item(c, i) for c in element]


class _ShuffleDataset(DatasetV1):
    def __init__(self, input_dataset: DatasetV1, buffer_size: Any, seed: Optional[int],
                 reshuffle_each_iteration: Optional[bool]) -> None:
        from ..random_ops import get_seed
        self._buffer = _scalar_param(buffer_size, _dtypes.int64, "buffer_size")
        self._seeds = get_seed(None if seed is None else int(seed))
        self._reshuffle = True if reshuffle_each_iteration is None \
            else bool(reshuffle_each_iteration)
        super().__init__([input_dataset], input_dataset._structure)

    def _own_captures(self) -> list[Tensor]:
        return [self._buffer] if isinstance(self._buffer, Tensor) else []

    def _rng(self, ctx: IterationContext) -> np.random.Generator:
        epoch = ctx.epochs.get(id(self), 0)
        ctx.epochs[id(self)] = epoch + 1
        if self._seeds == (None, None):
            return np.random.default_rng()
        seeds = [int(s or 0) for s in self._seeds]
        return np.random.default_rng(seeds + [epoch if self._reshuffle else 0])

    def _iter(self, ctx: IterationContext) -> Iterator[Element]:
        size = ctx.int_value(self._buffer)
        if size <= 0:
            raise _invalid("buffer_size must be greater than zero.")
        rng = self._rng(ctx)
        source = self._inputs[0]._iter(ctx)
        buffer: list[Element] = []
        exhausted = False
        while True:
            while not exhausted and len(buffer) < size:
                try:
                    buffer.append(next(source))
                except StopIteration:
                    exhausted = True
            if not buffer:
                return
            i = int(rng.integers(len(buffer)))
            buffer[i], buffer[-1] = buffer[-1], buffer[i]
            yield buffer.pop()


class _RepeatDataset(DatasetV1):
    def __init__(self, input_dataset: DatasetV1, count: Any) -> None:
        self._count = -1 if count is None else _scalar_param(count, _dtypes.int64, "count")
        super().__init__([input_dataset], input_dataset._structure)

    def _own_captures(self) -> list[Tensor]:
        return [self._count] if isinstance(self._count, Tensor) else []

    def _iter(self, ctx: IterationContext) -> Iterator[Element]:
        count = ctx.int_value(self._count)
        epoch = 0
        while count < 0 or epoch < count:
            produced = False
            for element in self._inputs[0]._iter(ctx):
                produced = True
                yield element
            epoch += 1
            if not produced and count < 0:
                return  # an empty input repeated forever is empty, as in TF


class _TakeDataset(DatasetV1):
    def __init__(self, input_dataset: DatasetV1, count: Any) -> None:
        self._count = _scalar_param(count, _dtypes.int64, "count")
        super().__init__([input_dataset], input_dataset._structure)

    def _own_captures(self) -> list[Tensor]:
        return [self._count] if isinstance(self._count, Tensor) else []

    def _iter(self, ctx: IterationContext) -> Iterator[Element]:
        count = ctx.int_value(self._count)
        if count == 0:
            return
        for i, element in enumerate(self._inputs[0]._iter(ctx), start=1):
            yield element
            if i == count:
                return


class _SkipDataset(_TakeDataset):
    def _iter(self, ctx: IterationContext) -> Iterator[Element]:
        count = ctx.int_value(self._count)
        for i, element in enumerate(self._inputs[0]._iter(ctx)):
            if count >= 0 and i >= count:
                yield element


class _ShardDataset(DatasetV1):
    def __init__(self, input_dataset: DatasetV1, num_shards: Any, index: Any) -> None:
        self._num = _scalar_param(num_shards, _dtypes.int64, "num_shards")
        self._index = _scalar_param(index, _dtypes.int64, "index")
        num, idx = _static(self._num), _static(self._index)
        if num is not None and num <= 0:
            raise errors.InvalidArgumentError(None, None, "num_shards must be greater than 0")
        if num is not None and idx is not None and not 0 <= idx < num:
            raise errors.InvalidArgumentError(
                None, None, f"index must be between 0 and {num - 1}")
        super().__init__([input_dataset], input_dataset._structure)

    def _own_captures(self) -> list[Tensor]:
        return [p for p in (self._num, self._index) if isinstance(p, Tensor)]

    def _iter(self, ctx: IterationContext) -> Iterator[Element]:
        num, index = ctx.int_value(self._num), ctx.int_value(self._index)
        for i, element in enumerate(self._inputs[0]._iter(ctx)):
            if i % num == index:
                yield element


class _MapDataset(DatasetV1):
    def __init__(self, input_dataset: DatasetV1, map_func: Callable[..., Any]) -> None:
        self._fn = TracedFunction(map_func, input_dataset._structure, "map_func")
        super().__init__([input_dataset], self._fn.output_structure)

    def _own_captures(self) -> list[Tensor]:
        return list(self._fn.graph.outer)

    def _iter(self, ctx: IterationContext) -> Iterator[Element]:
        for element in self._inputs[0]._iter(ctx):
            yield self._fn.run(ctx, element)


class _FilterDataset(DatasetV1):
    def __init__(self, input_dataset: DatasetV1, predicate: Callable[..., Any]) -> None:
        self._fn = TracedFunction(predicate, input_dataset._structure, "predicate")
        out = self._fn.output_structure
        if st.is_structure(out) or out.dtype != _dtypes.bool or out.shape.rank not in (0,
                                                                                       None):
            raise ValueError(f"Invalid `predicate`. `predicate` must return a `tf.bool` scalar "
                             f"tensor, but its return type is {_spec_text(out)}.")
        super().__init__([input_dataset], input_dataset._structure)

    def _own_captures(self) -> list[Tensor]:
        return list(self._fn.graph.outer)

    def _iter(self, ctx: IterationContext) -> Iterator[Element]:
        for element in self._inputs[0]._iter(ctx):
            if bool(self._fn.run(ctx, element)[0]):
                yield element


def _spec_text(structure: Any) -> str:
    return str(st.map_structure(
        lambda s: f"TensorSpec(shape={s.shape}, dtype=tf.{s.dtype.name}, name=None)",
        structure))


class _InterleaveDataset(DatasetV1):
    """``interleave`` (and ``flat_map``, its cycle of one): TF's sequential order."""

    def __init__(self, input_dataset: DatasetV1, map_func: Callable[..., Any],
                 cycle_length: Any, block_length: Any, what: str) -> None:
        self._fn = TracedFunction(map_func, input_dataset._structure, what,
                                  returns_dataset=True)
        self._cycle = _scalar_param(cycle_length, _dtypes.int64, "cycle_length")
        self._block = _scalar_param(block_length, _dtypes.int64, "block_length")
        super().__init__([input_dataset], self._fn.output_structure)

    def _own_captures(self) -> list[Tensor]:
        return [p for p in (self._cycle, self._block) if isinstance(p, Tensor)] + list(
            self._fn.graph.outer)

    def _inner(self, ctx: IterationContext, element: Element) -> Iterator[Element]:
        dataset = self._fn.dataset
        assert dataset is not None
        values = self._fn.run(ctx, element)
        return dataset._iter(ctx.child(dict(zip(self._fn.fetches, values))))

    def _iter(self, ctx: IterationContext) -> Iterator[Element]:
        cycle_length, block_length = ctx.int_value(self._cycle), ctx.int_value(self._block)
        if cycle_length <= 0:
            raise _invalid("cycle_length must be greater than zero.")
        if block_length <= 0:
            raise _invalid("block_length must be greater than zero.")
        source = self._inputs[0]._iter(ctx)
        slots: list[Optional[Iterator[Element]]] = [None] * cycle_length
        index = block = num_open = 0
        end_of_input = False
        while not end_of_input or num_open > 0:
            current = slots[index]
            if current is not None:
                try:
                    element = next(current)
                except StopIteration:
                    slots[index] = None
                    num_open -= 1
                    index, block = (index + 1) % cycle_length, 0
                    continue
                block += 1
                if block == block_length:
                    index, block = (index + 1) % cycle_length, 0
                yield element
            elif not end_of_input:
                try:
                    slots[index] = self._inner(ctx, next(source))
                    num_open += 1
                except StopIteration:
                    end_of_input = True
            else:
                index, block = (index + 1) % cycle_length, 0


class _CacheDataset(DatasetV1):
    """In memory, filled by the first complete pass of an iteration and replayed after."""

    def __init__(self, input_dataset: DatasetV1) -> None:
        super().__init__([input_dataset], input_dataset._structure)

    def _iter(self, ctx: IterationContext) -> Iterator[Element]:
        cached = ctx.caches.get(id(self))
        if cached is not None:
            yield from cached
            return
        filling: list[Element] = []
        for element in self._inputs[0]._iter(ctx):
            filling.append(element)
            yield element
        ctx.caches[id(self)] = filling


class _EnumerateDataset(DatasetV1):
    def __init__(self, input_dataset: DatasetV1, start: Any) -> None:
        self._start = _scalar_param(start, _dtypes.int64, "start")
        super().__init__([input_dataset], (ComponentSpec(_dtypes.int64, []),
                                           input_dataset._structure))

    def _own_captures(self) -> list[Tensor]:
        return [self._start] if isinstance(self._start, Tensor) else []

    def _iter(self, ctx: IterationContext) -> Iterator[Element]:
        start = ctx.int_value(self._start)
        for i, element in enumerate(self._inputs[0]._iter(ctx), start=start):
            yield [np.asarray(i, dtype=np.int64)] + element


class _ConcatenateDataset(DatasetV1):
    def __init__(self, first: DatasetV1, second: DatasetV1) -> None:
        a, b = first._structure, second._structure
        if not st.same_structure(a, b) or any(
                x.dtype != y.dtype for x, y in zip(st.flatten(a), st.flatten(b))):
            raise TypeError(
                f"Incompatible dataset elements:\n  {_spec_text(a)} vs.   {_spec_text(b)}")
        merged = st.pack(a, [ComponentSpec(x.dtype,
                                           x.shape.most_specific_compatible_shape(y.shape))
                             for x, y in zip(st.flatten(a), st.flatten(b))])
        super().__init__([first, second], merged)

    def _iter(self, ctx: IterationContext) -> Iterator[Element]:
        yield from self._inputs[0]._iter(ctx)
        yield from self._inputs[1]._iter(ctx)


class _ZipDataset(DatasetV1):
    def __init__(self, datasets: Any) -> None:
        leaves = st.flatten(datasets)
        for d in leaves:
            if not isinstance(d, DatasetV1):
                raise TypeError(f"Invalid input to `zip`. Inputs are expected to be (nested) "
                                f"structures of `tf.data.Dataset` objects. Python `list` is "
                                f"not supported and you should use `tuple` instead."
                                if isinstance(d, list) else
                                f"Invalid input to `zip`. Inputs are expected to be (nested) "
                                f"structures of `tf.data.Dataset` objects, got {type(d)}.")
        super().__init__(leaves, st.pack(datasets, [d._structure for d in leaves]))

    def _iter(self, ctx: IterationContext) -> Iterator[Element]:
        sources = [d._iter(ctx) for d in self._inputs]
        while True:
            element: Element = []
            for source in sources:
                try:
                    element.extend(next(source))
                except StopIteration:
                    return
            yield element
