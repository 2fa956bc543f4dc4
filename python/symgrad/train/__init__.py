"""Training: optimizers, the global step and checkpoints (``tf.compat.v1.train``)."""

from __future__ import annotations

from .learning_rate_decay import (cosine_decay, cosine_decay_restarts, exponential_decay,
                                  inverse_time_decay, linear_cosine_decay, natural_exp_decay,
                                  noisy_linear_cosine_decay, piecewise_constant,
                                  polynomial_decay)
from .optimizer import (AdagradOptimizer, AdamOptimizer, GradientDescentOptimizer,
                        MomentumOptimizer, Optimizer, RMSPropOptimizer, create_global_step,
                        get_global_step, get_or_create_global_step, global_step)
from ..event_file import summary_iterator, write_graph
from .saver import (CheckpointState, Saver, checkpoint_exists, get_checkpoint_state,
                    latest_checkpoint)

__all__ = [
    "Optimizer", "GradientDescentOptimizer", "MomentumOptimizer", "AdamOptimizer",
    "RMSPropOptimizer", "AdagradOptimizer", "get_global_step", "create_global_step",
    "get_or_create_global_step", "global_step", "Saver", "latest_checkpoint",
    "get_checkpoint_state", "checkpoint_exists", "CheckpointState", "exponential_decay",
]
__all__ += ["summary_iterator", "write_graph"]
__all__ += ["piecewise_constant", "polynomial_decay", "natural_exp_decay", "inverse_time_decay",
            "cosine_decay", "cosine_decay_restarts", "linear_cosine_decay",
            "noisy_linear_cosine_decay"]
from .moving_averages import ExponentialMovingAverage
__all__ += ["ExponentialMovingAverage"]
from .extra_optimizers import (AdadeltaOptimizer, AdagradDAOptimizer, FtrlOptimizer,
                               ProximalAdagradOptimizer, ProximalGradientDescentOptimizer)
__all__ += ["AdadeltaOptimizer", "FtrlOptimizer", "ProximalGradientDescentOptimizer",
            "ProximalAdagradOptimizer", "AdagradDAOptimizer"]
from .session_run_hooks import (CheckpointSaverHook, CheckpointSaverListener, FeedFnHook,
                                FinalOpsHook, LoggingTensorHook, NanLossDuringTrainingError,
                                NanTensorHook, SecondOrStepTimer, SessionRunArgs,
                                SessionRunContext, SessionRunHook, SessionRunValues,
                                StepCounterHook, StopAtStepHook, SummarySaverHook)
from .session_run_hooks import GlobalStepWaiterHook
from .monitored_session import (ChiefSessionCreator, MonitoredSession, MonitoredTrainingSession,
                                Scaffold, SessionCreator, SingularMonitoredSession)
__all__ += ["SessionRunHook", "SessionRunArgs", "SessionRunContext", "SessionRunValues",
            "SecondOrStepTimer", "StopAtStepHook", "LoggingTensorHook", "NanTensorHook",
            "NanLossDuringTrainingError", "CheckpointSaverHook", "CheckpointSaverListener",
            "StepCounterHook", "SummarySaverHook", "FinalOpsHook", "FeedFnHook", "Scaffold",
            "SessionCreator", "ChiefSessionCreator", "MonitoredSession",
            "SingularMonitoredSession", "MonitoredTrainingSession"]
__all__ += ["GlobalStepWaiterHook"]
from .checkpoint_utils import (CheckpointReader, NewCheckpointReader, init_from_checkpoint,
                               list_variables, load_checkpoint, load_variable)
__all__ += ["CheckpointReader", "NewCheckpointReader", "load_checkpoint", "load_variable",
            "list_variables", "init_from_checkpoint"]
from .saver import SaverDef
__all__ += ["SaverDef"]
from .session_manager import SessionManager
__all__ += ["SessionManager"]
from .checkpoint_management import (checkpoints_iterator, generate_checkpoint_state_proto,
                                    get_checkpoint_mtimes, remove_checkpoint,
                                    update_checkpoint_state)
from .learning_rate_decay import piecewise_constant_decay
from .optimizer import assert_global_step
__all__ += ["generate_checkpoint_state_proto", "update_checkpoint_state", "get_checkpoint_mtimes",
            "remove_checkpoint", "checkpoints_iterator", "piecewise_constant_decay",
            "assert_global_step"]
from .monitored_session import WorkerSessionCreator
__all__ += ["WorkerSessionCreator"]
from ..example_pb2 import (BytesList, Example, Feature, FeatureList, FeatureLists, Features,
                           FloatList, Int64List, SequenceExample)
__all__ += ["Example", "SequenceExample", "Features", "Feature", "FeatureList", "FeatureLists",
            "BytesList", "FloatList", "Int64List"]
from .coordinator import Coordinator
from .input import (batch, batch_join, input_producer, limit_epochs, match_filenames_once,
                    range_input_producer, shuffle_batch, shuffle_batch_join,
                    slice_input_producer, string_input_producer)
from . import queue_runner
from .queue_runner import QueueRunner, add_queue_runner, start_queue_runners
__all__ += ["Coordinator", "QueueRunner", "add_queue_runner", "start_queue_runners",
            "queue_runner", "match_filenames_once",
            "limit_epochs", "input_producer", "string_input_producer", "range_input_producer",
            "slice_input_producer", "batch", "batch_join", "shuffle_batch",
            "shuffle_batch_join"]
from .supervisor import Supervisor  # noqa: E402
__all__ += ["Supervisor"]
from ..meta_graph import export_meta_graph, import_meta_graph  # noqa: E402
__all__ += ["export_meta_graph", "import_meta_graph"]
from .coordinator import LooperThread  # noqa: E402
from .input import (maybe_batch, maybe_batch_join, maybe_shuffle_batch,  # noqa: E402
                    maybe_shuffle_batch_join)
from .supervisor import basic_train_loop  # noqa: E402
__all__ += ["LooperThread", "basic_train_loop", "maybe_batch", "maybe_batch_join",
            "maybe_shuffle_batch", "maybe_shuffle_batch_join"]
