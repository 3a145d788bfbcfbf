"""The Fashion-MNIST CNN: model, pre-training, checkpoints."""

__all__ = ["checkpoint", "features", "model", "pretrain", "shipped", "task_data"]  # the modules; import names from them
