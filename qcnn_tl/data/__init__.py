"""Datasets, binary tasks and the feature cache."""
