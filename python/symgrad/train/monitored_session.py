"""Monitored training (``tf.compat.v1.train.Scaffold``, ``ChiefSessionCreator``,
``MonitoredSession``, ``SingularMonitoredSession``, ``MonitoredTrainingSession``).

A monitored session creates its session through a session creator (restoring the newest
checkpoint of ``checkpoint_dir`` or running the scaffold's init ops), calls the hooks around
every run, and on exit swallows ``OutOfRangeError`` / ``StopIteration`` (an input pipeline
running dry ends training), as TF does. Unlike TF the graph is not finalized: symgrad cannot
un-finalize it when the session closes, and TF programs never rely on the refusal.
"""

from __future__ import annotations

from typing import Any, Callable, Optional, Sequence

from .. import logging
from ..framework import Operation, get_default_graph
from ..variables import GraphKeys, Variable, global_variables, local_variables
from .coordinator import Coordinator
from .queue_runner import start_queue_runners
from .saver import Saver
from .session_run_hooks import (CheckpointSaverHook, SessionRunArgs, SessionRunContext,
                                SessionRunHook, SessionRunValues, StepCounterHook,
                                SummarySaverHook)

__all__ = ["Scaffold", "ChiefSessionCreator", "WorkerSessionCreator", "SessionCreator",
           "MonitoredSession",
           "SingularMonitoredSession", "MonitoredTrainingSession", "tables_initializer",
           "report_uninitialized_variables"]

INIT_OP = GraphKeys.INIT_OP
READY_OP = GraphKeys.READY_OP
READY_FOR_LOCAL_INIT_OP = GraphKeys.READY_FOR_LOCAL_INIT_OP
LOCAL_INIT_OP = GraphKeys.LOCAL_INIT_OP
SUMMARY_OP = GraphKeys.SUMMARY_OP
TABLE_INITIALIZERS = GraphKeys.TABLE_INITIALIZERS


def tables_initializer(name: str = "init_all_tables") -> Operation:
    """The group of the graph's table initializers; a ``NoOp`` named ``name`` when there are
    none (symgrad has no lookup tables yet, so always)."""
    from ..control_flow_ops import group, no_op
    initializers = get_default_graph().get_collection(TABLE_INITIALIZERS)
    if initializers:
        return group(*initializers, name=name)
    return no_op(name=name)


def report_uninitialized_variables(var_list: Optional[Sequence[Variable]] = None,
                                   name: str = "report_uninitialized_variables") -> Any:
    """A 1-D string tensor of the names of the uninitialized variables of ``var_list``
    (default: global and local variables)."""
    from ..array_ops import boolean_mask, stack
    from ..constant_op import constant
    from ..framework import name_scope
    from ..math_ops import logical_not
    if var_list is None:
        var_list = global_variables() + local_variables()
    var_list = list(var_list)
    with name_scope(name) as scope:
        if not var_list:
            return constant([], dtype="string")
        names = constant([v.op.name for v in var_list])
        initialized = stack([v.is_initialized() for v in var_list])
        return boolean_mask(names, logical_not(initialized), name=scope)


def _get_or_default(arg_name: str, collection_key: str,
                    default_constructor: Callable[[], Any]) -> Any:
    graph = get_default_graph()
    elements = graph.get_collection(collection_key)
    if elements:
        if len(elements) > 1:
            raise RuntimeError(
                f'More than one item in the collection "{collection_key}". Please indicate '
                "which one to use by passing it to the tf.Scaffold constructor as:  "
                f"tf.Scaffold({arg_name}=item to use)")
        return elements[0]
    op = default_constructor()
    if op is not None:
        graph.add_to_collection(collection_key, op)
    return op


def _saver_or_default() -> Saver:
    graph = get_default_graph()
    savers = graph.get_collection(GraphKeys.SAVERS)
    if savers:
        if len(savers) > 1:
            raise RuntimeError(f"More than one item in collection {GraphKeys.SAVERS}. Please "
                               "indicate which one to use by passing it to the constructor.")
        return savers[0]
    saver = Saver(sharded=True, allow_empty=True)
    graph.add_to_collection(GraphKeys.SAVERS, saver)
    return saver


class Scaffold:
    """The ops and saver that create, initialize and check a training session; missing
    pieces get TF's defaults (from the graph's collections when present) at ``finalize``."""

    _user_init_fn: Optional[Callable[..., Any]]

    def __init__(self, init_op: Any = None, init_feed_dict: Any = None,
                 init_fn: Optional[Callable[..., Any]] = None, ready_op: Any = None,
                 ready_for_local_init_op: Any = None, local_init_op: Any = None,
                 summary_op: Any = None, saver: Any = None, copy_from_scaffold: Any = None,
                 local_init_feed_dict: Any = None) -> None:
        if copy_from_scaffold is not None:
            if not isinstance(copy_from_scaffold, Scaffold):
                raise TypeError("copy_from_scaffold is not a Scaffold instance.")
            init_op = init_op or copy_from_scaffold.init_op
            init_feed_dict = init_feed_dict or copy_from_scaffold.init_feed_dict
            init_fn = init_fn or copy_from_scaffold._user_init_fn
            ready_op = ready_op or copy_from_scaffold.ready_op
            ready_for_local_init_op = (ready_for_local_init_op
                                       or copy_from_scaffold.ready_for_local_init_op)
            local_init_op = local_init_op or copy_from_scaffold.local_init_op
            local_init_feed_dict = (local_init_feed_dict
                                    or copy_from_scaffold.local_init_feed_dict)
            summary_op = summary_op or copy_from_scaffold.summary_op
            saver = saver or copy_from_scaffold.saver
        self._user_init_fn = init_fn
        self._init_fn: Optional[Callable[[Any], Any]] = (
            (lambda sess: init_fn(self, sess)) if init_fn else None)
        self._init_op = init_op
        self._init_feed_dict = init_feed_dict
        self._ready_op = ready_op
        self._ready_for_local_init_op = ready_for_local_init_op
        self._local_init_op = local_init_op
        self._local_init_feed_dict = local_init_feed_dict
        self._summary_op = summary_op
        self._saver = saver

    def finalize(self) -> "Scaffold":
        from ..control_flow_ops import group
        from ..summary import merge_all
        from ..variables import global_variables_initializer
        if self._init_op is None:
            self._init_op = _get_or_default(
                "init_op", INIT_OP, lambda: group(global_variables_initializer()))
        if self._ready_op is None:
            self._ready_op = _get_or_default("ready_op", READY_OP,
                                             report_uninitialized_variables)
        if self._ready_for_local_init_op is None:
            self._ready_for_local_init_op = _get_or_default(
                "ready_for_local_init_op", READY_FOR_LOCAL_INIT_OP,
                lambda: report_uninitialized_variables(global_variables()))
        if self._local_init_op is None:
            self._local_init_op = _get_or_default("local_init_op", LOCAL_INIT_OP,
                                                  Scaffold.default_local_init_op)
        if self._summary_op is None:
            self._summary_op = _get_or_default("summary_op", SUMMARY_OP, merge_all)
        if self._saver is None:
            self._saver = _saver_or_default()
        return self

    @staticmethod
    def default_local_init_op() -> Operation:
        from ..control_flow_ops import group
        from ..variables import local_variables_initializer
        return group(local_variables_initializer(), tables_initializer())

    @staticmethod
    def get_or_default(arg_name: str, collection_key: str,
                       default_constructor: Callable[[], Any]) -> Any:
        return _get_or_default(arg_name, collection_key, default_constructor)

    @property
    def init_fn(self) -> Optional[Callable[[Any], Any]]:
        return self._init_fn

    @property
    def init_op(self) -> Any:
        return self._init_op

    @property
    def ready_op(self) -> Any:
        return self._ready_op

    @property
    def ready_for_local_init_op(self) -> Any:
        return self._ready_for_local_init_op

    @property
    def local_init_op(self) -> Any:
        return self._local_init_op

    @property
    def local_init_feed_dict(self) -> Any:
        return self._local_init_feed_dict

    @property
    def summary_op(self) -> Any:
        return self._summary_op

    @property
    def saver(self) -> Any:
        return self._saver

    @property
    def init_feed_dict(self) -> Any:
        return self._init_feed_dict


def _session_manager(scaffold: Scaffold) -> Any:
    """A ``SessionManager`` with a finalized scaffold's local init and ready ops."""
    from .session_manager import SessionManager
    return SessionManager(local_init_op=scaffold.local_init_op,
                          local_init_feed_dict=scaffold.local_init_feed_dict,
                          ready_op=scaffold.ready_op,
                          ready_for_local_init_op=scaffold.ready_for_local_init_op,
                          graph=get_default_graph())


class SessionCreator:
    """Makes the ``Session`` of a monitored session."""

    def create_session(self) -> Any:
        raise NotImplementedError("create_session is not implemented for "
                                  f"{type(self).__name__}.")


class ChiefSessionCreator(SessionCreator):
    """Creates a session and initializes it: restores ``checkpoint_filename_with_path``, or
    the newest checkpoint of ``checkpoint_dir``, else runs the scaffold's init op and init
    fn; then runs the local init op and checks the ready op."""

    def __init__(self, scaffold: Optional[Scaffold] = None, master: str = "",
                 config: Any = None, checkpoint_dir: Optional[str] = None,
                 checkpoint_filename_with_path: Optional[str] = None) -> None:
        self._checkpoint_dir = checkpoint_dir
        self._checkpoint_filename_with_path = checkpoint_filename_with_path
        self._scaffold = scaffold or Scaffold()
        self._master = master
        self._config = config

    def create_session(self) -> Any:
        scaffold = self._scaffold.finalize()
        return _session_manager(scaffold).prepare_session(
            self._master, saver=scaffold.saver, checkpoint_dir=self._checkpoint_dir,
            checkpoint_filename_with_path=self._checkpoint_filename_with_path,
            config=self._config, init_op=scaffold.init_op,
            init_feed_dict=scaffold.init_feed_dict, init_fn=scaffold.init_fn)


class WorkerSessionCreator(SessionCreator):
    """Creates a session and waits (up to ``max_wait_secs``) until the chief made the model
    ready. symgrad sessions share no variables, so this only succeeds for models that need
    no initialization; otherwise it ends in ``DeadlineExceededError``, as a TF worker whose
    chief never comes up."""

    def __init__(self, scaffold: Optional[Scaffold] = None, master: str = "",
                 config: Any = None, max_wait_secs: float = 30 * 60) -> None:
        self._scaffold = scaffold or Scaffold()
        self._master = master
        self._config = config
        self._max_wait_secs = max_wait_secs

    def create_session(self) -> Any:
        scaffold = self._scaffold.finalize()
        return _session_manager(scaffold).wait_for_session(
            self._master, config=self._config, max_wait_secs=self._max_wait_secs)


class _StepContext:
    """What ``run_step_fn`` gives its function: the raw session, ``run_with_hooks`` and
    ``request_stop``."""

    def __init__(self, session: Any, run_with_hooks_fn: Callable[..., Any]) -> None:
        self._session = session
        self._run_with_hooks_fn = run_with_hooks_fn

    @property
    def session(self) -> Any:
        return self._session

    def run_with_hooks(self, *args: Any, **kwargs: Any) -> Any:
        return self._run_with_hooks_fn(*args, **kwargs)

    def request_stop(self) -> None:
        raise StopIteration("step_fn has requested the iterations to stop.")


class _MonitoredSessionBase:
    """The hooked session shared by ``MonitoredSession`` and ``SingularMonitoredSession``."""

    StepContext = _StepContext

    def __init__(self, session_creator: SessionCreator,
                 hooks: Optional[Sequence[SessionRunHook]]) -> None:
        self._graph = get_default_graph()
        self._hooks = list(hooks or [])
        for hook in self._hooks:
            hook.begin()
        self._sess: Any = session_creator.create_session()
        self._should_stop = False
        # As TF's _CoordinatedSessionCreator: the graph's queue runners start under a
        # coordinator, which the hooks get and which closing the session stops.
        self._coord: Any = Coordinator(clean_stop_exception_types=[])
        start_queue_runners(sess=self._sess, coord=self._coord)
        for hook in self._hooks:
            hook.after_create_session(self._sess, self._coord)

    @property
    def graph(self) -> Any:
        return self._graph

    def _tf_sess(self) -> Any:
        """The underlying ``Session`` (TF's private accessor, which programs reach for)."""
        return self._sess

    def should_stop(self) -> bool:
        return self._sess is None or self._should_stop

    def run(self, fetches: Any, feed_dict: Any = None, options: Any = None,
            run_metadata: Any = None) -> Any:
        if self._sess is None:
            raise RuntimeError("Run called after the session was closed.")
        if self._should_stop:
            raise RuntimeError("Run called even after should_stop requested.")
        run_context = SessionRunContext(SessionRunArgs(fetches, feed_dict), self._sess)
        all_fetches: dict[Any, Any] = {"caller": fetches}
        feeds = self._feeds_of_hooks(run_context, all_fetches, feed_dict)
        outputs = self._sess.run(all_fetches, feed_dict=feeds, options=options,
                                 run_metadata=run_metadata)
        for hook in self._hooks:
            hook.after_run(run_context, SessionRunValues(outputs.get(hook), options,
                                                         run_metadata))
        self._should_stop = self._should_stop or run_context.stop_requested
        return outputs["caller"]

    def _feeds_of_hooks(self, run_context: SessionRunContext, all_fetches: dict[Any, Any],
                        user_feeds: Any) -> Any:
        hook_feeds: dict[Any, Any] = {}
        for hook in self._hooks:
            request = hook.before_run(run_context)
            if request is None:
                continue
            if request.fetches is not None:
                all_fetches[hook] = request.fetches
            if request.feed_dict:
                _refuse_overlap(hook_feeds, request.feed_dict,
                                "Same tensor is fed by two hooks.")
                hook_feeds.update(request.feed_dict)
        if not hook_feeds:
            return user_feeds
        if not user_feeds:
            return hook_feeds
        _refuse_overlap(user_feeds, hook_feeds,
                        "Same tensor is fed by a SessionRunHook and user.")
        hook_feeds.update(user_feeds)
        return hook_feeds

    def run_step_fn(self, step_fn: Callable[[Any], Any]) -> Any:
        """Calls ``step_fn(step_context)``; ``step_context.request_stop()`` ends the loop."""
        import inspect
        params = list(inspect.signature(step_fn).parameters)
        if params not in (["step_context"], ["self", "step_context"]):
            raise ValueError("`step_fn` may either have one `step_context` argument, or "
                             "`self` and `step_context` arguments if it's an instance "
                             f"method. Got {tuple(params)} instead.")
        try:
            return step_fn(_StepContext(self._sess, self.run))
        except StopIteration:
            self._should_stop = True
            return None

    def close(self) -> None:
        self._close(None)

    def _close(self, exception_type: Any) -> None:
        try:
            if not exception_type:
                for hook in self._hooks:
                    hook.end(self._sess)
        finally:
            if self._sess is None:
                raise RuntimeError("Session is already closed.")
            try:
                self._coord.request_stop()
                self._coord.join(stop_grace_period_secs=120, ignore_live_threads=True)
            finally:
                try:
                    self._sess.close()
                finally:
                    self._sess = None

    def __enter__(self) -> Any:
        return self

    def __exit__(self, exception_type: Any, exception_value: Any, traceback: Any) -> bool:
        from ..errors import OutOfRangeError
        if exception_type is not None and issubclass(exception_type,
                                                     (OutOfRangeError, StopIteration)):
            exception_type = None
        self._close(exception_type)
        return exception_type is None


def _refuse_overlap(feeds1: Any, feeds2: Any, message: str) -> None:
    both = set(feeds1) & set(feeds2)
    if both:
        raise RuntimeError(f"{message} Conflict(s): {list(both)}")


class MonitoredSession(_MonitoredSessionBase):
    """A session that initializes or restores itself and calls hooks around each run."""

    def __init__(self, session_creator: Optional[SessionCreator] = None,
                 hooks: Optional[Sequence[SessionRunHook]] = None,
                 stop_grace_period_secs: float = 120) -> None:
        super().__init__(session_creator or ChiefSessionCreator(), hooks)


class SingularMonitoredSession(_MonitoredSessionBase):
    """A ``MonitoredSession`` for one process, made from a scaffold and checkpoint
    settings; ``raw_session()`` is the underlying ``Session``."""

    def __init__(self, hooks: Optional[Sequence[SessionRunHook]] = None,
                 scaffold: Optional[Scaffold] = None, master: str = "", config: Any = None,
                 checkpoint_dir: Optional[str] = None, stop_grace_period_secs: float = 120,
                 checkpoint_filename_with_path: Optional[str] = None) -> None:
        creator = ChiefSessionCreator(
            scaffold=scaffold, master=master, config=config, checkpoint_dir=checkpoint_dir,
            checkpoint_filename_with_path=checkpoint_filename_with_path)
        super().__init__(creator, hooks)

    def raw_session(self) -> Any:
        return self._sess


class _UseDefault:
    """The marker of an argument left at its default (TF's ``USE_DEFAULT``)."""

    def __repr__(self) -> str:
        return "USE_DEFAULT"


USE_DEFAULT = _UseDefault()


def MonitoredTrainingSession(  # noqa: N802 - TF's public name
        master: str = "", is_chief: bool = True, checkpoint_dir: Optional[str] = None,
        scaffold: Optional[Scaffold] = None, hooks: Optional[Sequence[SessionRunHook]] = None,
        chief_only_hooks: Optional[Sequence[SessionRunHook]] = None,
        save_checkpoint_secs: Any = USE_DEFAULT, save_summaries_steps: Any = USE_DEFAULT,
        save_summaries_secs: Any = USE_DEFAULT, config: Any = None,
        stop_grace_period_secs: float = 120, log_step_count_steps: Optional[int] = 100,
        max_wait_secs: float = 7200, save_checkpoint_steps: Any = USE_DEFAULT,
        summary_dir: Optional[str] = None, save_graph_def: bool = True) -> MonitoredSession:
    """A ``MonitoredSession`` with TF's default hooks: a ``StepCounterHook`` and a
    ``SummarySaverHook`` writing to ``summary_dir`` (default ``checkpoint_dir``) and a
    ``CheckpointSaverHook`` (every 600 s unless ``save_checkpoint_steps``/``_secs`` say
    otherwise) saving to ``checkpoint_dir``, which is also restored from on start."""
    if save_summaries_steps is USE_DEFAULT and save_summaries_secs is USE_DEFAULT:
        save_summaries_steps, save_summaries_secs = 100, None
    else:
        save_summaries_steps = None if save_summaries_steps is USE_DEFAULT \
            else save_summaries_steps
        save_summaries_secs = None if save_summaries_secs is USE_DEFAULT \
            else save_summaries_secs
    if save_checkpoint_secs is USE_DEFAULT and save_checkpoint_steps is USE_DEFAULT:
        save_checkpoint_steps, save_checkpoint_secs = None, 600
    else:
        save_checkpoint_secs = None if save_checkpoint_secs is USE_DEFAULT \
            else save_checkpoint_secs
        save_checkpoint_steps = None if save_checkpoint_steps is USE_DEFAULT \
            else save_checkpoint_steps
    scaffold = scaffold or Scaffold()
    if not is_chief:
        # A worker: no chief-only or default hooks, and it waits for the chief.
        worker = WorkerSessionCreator(scaffold=scaffold, master=master, config=config,
                                      max_wait_secs=max_wait_secs)
        return MonitoredSession(session_creator=worker, hooks=list(hooks or []),
                                stop_grace_period_secs=stop_grace_period_secs)
    all_hooks: list[SessionRunHook] = list(chief_only_hooks or []) + list(hooks or [])
    creator = ChiefSessionCreator(scaffold=scaffold, checkpoint_dir=checkpoint_dir,
                                  master=master, config=config)
    summary_dir = summary_dir or checkpoint_dir
    if summary_dir:
        if log_step_count_steps and log_step_count_steps > 0:
            all_hooks.append(StepCounterHook(output_dir=summary_dir,
                                             every_n_steps=log_step_count_steps))
        if (save_summaries_steps and save_summaries_steps > 0) or \
                (save_summaries_secs and save_summaries_secs > 0):
            all_hooks.append(SummarySaverHook(scaffold=scaffold,
                                              save_steps=save_summaries_steps,
                                              save_secs=save_summaries_secs,
                                              output_dir=summary_dir))
    if checkpoint_dir:
        if (save_checkpoint_secs and save_checkpoint_secs > 0) or \
                (save_checkpoint_steps and save_checkpoint_steps > 0):
            all_hooks.append(CheckpointSaverHook(checkpoint_dir,
                                                 save_steps=save_checkpoint_steps,
                                                 save_secs=save_checkpoint_secs,
                                                 scaffold=scaffold,
                                                 save_graph_def=save_graph_def))
    logging.info("Creating MonitoredSession with hooks: %s", all_hooks)
    return MonitoredSession(session_creator=creator, hooks=all_hooks,
                            stop_grace_period_secs=stop_grace_period_secs)
