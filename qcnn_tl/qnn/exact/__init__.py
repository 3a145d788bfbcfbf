r"""The exact engine: a batched, differentiable torch statevector executor of our QCNN templates.

One module per stage, in the order the engine runs them (``docs/engine.md`` is the map):

- :mod:`~qcnn_tl.qnn.exact.lowering`: gates to factors :math:`C + \cos a\,A + \sin a\,B`; encoding/trainable split.
- :mod:`~qcnn_tl.qnn.exact.encoding`: the encoding part's factors as batch operations.
- :mod:`~qcnn_tl.qnn.exact.fusion`: the trainable part's factors fused into blocks on at most two qubits.
- :mod:`~qcnn_tl.qnn.exact.products`: de-duplicated factor tables and their log-depth products.
- :mod:`~qcnn_tl.qnn.exact.layout`: basis permutations and the plan of gathers.
- :mod:`~qcnn_tl.qnn.exact.apply`: the blocks applied to the batch, with the adjoint backward pass.
- :mod:`~qcnn_tl.qnn.exact.engine`: :class:`ExactEngine`, which joins them.
"""

from qcnn_tl.qnn.exact.engine import MAX_TAIL_QUBITS, ExactEngine
from qcnn_tl.qnn.exact.lowering import EXACT_BASIS, linear_form

__all__ = ["EXACT_BASIS", "MAX_TAIL_QUBITS", "ExactEngine", "linear_form"]
