"""``tf.queue`` (as ``tf.compat.v1.queue``): the TF 1 queues."""

from __future__ import annotations

from .data_flow_ops import FIFOQueue, PaddingFIFOQueue, QueueBase, RandomShuffleQueue

__all__ = ["QueueBase", "FIFOQueue", "PaddingFIFOQueue", "RandomShuffleQueue"]
