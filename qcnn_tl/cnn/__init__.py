"""The Fashion-MNIST CNN: model, pre-training, checkpoints."""
