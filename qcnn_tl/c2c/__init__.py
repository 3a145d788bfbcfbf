"""Classical-to-classical (C2C) baselines: small trainable heads on the same frozen CNN features."""

__all__ = ["heads", "training"]  # the modules; import names from them
