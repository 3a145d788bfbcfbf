"""Classical-to-classical (C2C) baselines: small trainable heads on the same frozen CNN features."""
