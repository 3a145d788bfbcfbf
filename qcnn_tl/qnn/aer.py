"""The qiskit-machine-learning route: an ``EstimatorQNN`` over a template's ISA circuit on an ``EstimatorV2``.

It is the independent reference the engines are checked against (``qcnn-tl run``, the tests); the torch module on
an estimator is :class:`~qcnn_tl.qnn.in_the_loop.EstimatorQCNN`. The template is transpiled once (its parameterised
gates lowered to ``rz``), the observable (a k-class template's Z-strings, all in one estimator call) is mapped
through the layout, the QNN gets the ISA circuit with ``pass_manager=None``, and its gradient is
:class:`~qcnn_tl.qnn.gradient.BatchedParamShiftGradient`. Forward and backward precision are set explicitly
(0 = exact on Aer).
"""

from __future__ import annotations

from qiskit.primitives import BaseEstimatorV2
from qiskit_machine_learning.neural_networks import EstimatorQNN

from qcnn_tl.backends.transpile import IsaCircuit
from qcnn_tl.circuits.qcnn import QCNNTemplate
from qcnn_tl.qnn.gradient import BatchedParamShiftGradient
from qcnn_tl.qnn.readout import isa_observables


def estimator_qnn(
    template: QCNNTemplate, isa: IsaCircuit, estimator: BaseEstimatorV2, *, precision: float = 0.0
) -> EstimatorQNN:
    """An ``EstimatorQNN`` over the ISA circuit of ``template`` with the batched gradient.

    Its output has one column per observable (:func:`isa_observables`): one for a binary template, the
    :math:`2^m - 1` Z-strings of a k-class one, estimated together in the same PUBs.
    """
    return EstimatorQNN(
        circuit=isa.circuit,
        estimator=estimator,
        observables=isa_observables(template, isa),
        input_params=list(template.input_params),
        weight_params=list(template.weight_params),
        gradient=BatchedParamShiftGradient(estimator, precision=precision),
        default_precision=precision,
        pass_manager=None,
    )
