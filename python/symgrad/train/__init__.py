"""Training: optimizers, the global step and checkpoints (``tf.compat.v1.train``)."""

from __future__ import annotations

from .learning_rate_decay import exponential_decay
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
