"""Engines that evaluate QCNN templates: exact torch statevector and Aer/Runtime EstimatorQNN."""
