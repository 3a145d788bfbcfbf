"""Engines that evaluate QCNN templates: exact torch statevector and Aer/Runtime EstimatorQNN."""

__all__ = [
    "aer",
    "exact",
    "exact_model",
    "gradient",
    "hardware",
    "hybrid",
    "in_the_loop",
    "noisy",
    "readout",
]  # the modules; import names from them
