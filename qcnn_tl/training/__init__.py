"""Training: configuration, loop and checkpoints."""
