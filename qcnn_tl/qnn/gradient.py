r"""Parameter-shift gradient that batches every shifted point into a few primitive calls.

qiskit-machine-learning's default ``ParamShiftEstimatorGradient`` sends one PUB per shifted circuit
(and re-transpiles each with a pass manager). Here the circuit is rewritten once with a unique
parameter per parameterised gate occurrence (all ``rz``/``rx``/``ry``/``p`` after
:func:`~qcnn_tl.backends.transpile.lower_parameterized_gates`); each occurrence :math:`k` has a
linear angle :math:`\phi_k = c_{k0} + \sum_p c_{kp}\,p`, and

.. math:: \frac{\partial f}{\partial p} = \sum_k c_{kp}\,\frac{f(\phi_k + \pi/2) - f(\phi_k - \pi/2)}{2}.

All rows (samples × shifted occurrences × ±) go to one circuit in PUBs of at most ``rows_per_pub``
rows, sent in one ``run`` call.
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from typing import Any

import numpy as np
from qiskit.circuit import Parameter, ParameterExpression, QuantumCircuit
from qiskit.primitives import BaseEstimatorV2
from qiskit.providers import Options
from qiskit.quantum_info.operators.base_operator import BaseOperator
from qiskit_machine_learning.gradients import BaseEstimatorGradient, EstimatorGradientResult

from qcnn_tl.qnn.exact import linear_form

SHIFTABLE = frozenset({"rz", "rx", "ry", "p"})
ROWS_PER_PUB = 2000
"""Default largest parameter array per PUB (Aer post-processing grows quadratically with rows, qiskit-aer#2438)."""


class ShiftPlan:
    """The unique-parameter circuit and the linear map from circuit parameters to its angles."""

    def __init__(self, circuit: QuantumCircuit) -> None:
        params = list(circuit.parameters)
        out = circuit.copy_empty_like()
        rows: list[np.ndarray] = []
        offsets: list[float] = []
        fresh: list[Parameter] = []
        for instruction in circuit.data:
            op = instruction.operation
            if any(isinstance(p, ParameterExpression) for p in op.params):
                if op.name not in SHIFTABLE:
                    raise ValueError(
                        f"batched parameter shift supports {sorted(SHIFTABLE)}; got {op.name!r} "
                        "(lower the circuit with lower_parameterized_gates first)"
                    )
                linear, offset = linear_form(op.params[0])
                coefs = np.array([linear.get(p, 0.0) for p in params])
                theta = Parameter(f"_g{len(fresh):05d}")
                fresh.append(theta)
                rows.append(coefs)
                offsets.append(offset)
                op = op.to_mutable()
                op.params = [theta]
            out.append(op, instruction.qubits)
        self.circuit = out
        self.params = params
        self.coefs = np.array(rows).reshape(len(fresh), len(params))
        self.offsets = np.array(offsets)
        self.order = [fresh.index(p) for p in out.parameters]

    def shifted_rows(self, values: np.ndarray, wanted: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
        """Parameter rows of :attr:`circuit` for the shifted points, and the occurrences they shift.

        Args:
            values: Rows of the original circuit's parameter values, ``(B, len(params))``.
            wanted: Indices into :attr:`params` of the parameters to differentiate.

        Returns:
            ``(B * 2K, ...)`` rows (per sample: every active occurrence at +π/2, then at −π/2) and the ``K``
            active occurrences (those whose angle depends on a wanted parameter).
        """
        angles = values @ self.coefs.T + self.offsets
        active = np.flatnonzero(np.any(self.coefs[:, wanted] != 0, axis=1))
        shifts = np.zeros((2 * len(active), len(self.offsets)))
        shifts[np.arange(len(active)), active] = np.pi / 2
        shifts[len(active) + np.arange(len(active)), active] = -np.pi / 2
        rows = (angles[:, None, :] + shifts[None, :, :]).reshape(-1, len(self.offsets))[:, self.order]
        return rows, active

    def gradient(self, evs: np.ndarray, active: np.ndarray, wanted: Sequence[int]) -> np.ndarray:
        """The gradient ``(B, len(wanted))`` from the expectation values of :meth:`shifted_rows`' rows."""
        shifted = evs.reshape(-1, 2, len(active))
        return ((shifted[:, 0] - shifted[:, 1]) / 2) @ self.coefs[np.ix_(active, np.array(wanted, dtype=int))]


class BatchedParamShiftGradient(BaseEstimatorGradient):
    """Exact parameter-shift gradient with all shifted points in one ``run`` call.

    Args:
        estimator: An ``EstimatorV2`` (Aer, Runtime).
        precision: Precision sent with every PUB (0 for exact Aer).
        rows_per_pub: Largest parameter array per PUB (Aer post-processing grows quadratically
            with rows, qiskit-aer#2438).
    """

    def __init__(self, estimator: BaseEstimatorV2, *, precision: float = 0.0, rows_per_pub: int = ROWS_PER_PUB) -> None:
        super().__init__(estimator)
        self._precision = precision
        self._rows_per_pub = rows_per_pub
        self._plans: dict[int, tuple[weakref.ref[QuantumCircuit], ShiftPlan]] = {}

    def _plan(self, circuit: QuantumCircuit) -> ShiftPlan:
        """The circuit's plan, built once while the circuit lives (circuits are unhashable: keyed by identity).

        An entry holds a weak reference to its circuit and leaves the cache when the circuit is freed, so the
        cache holds the plans of live circuits only and a new circuit never meets a dead one's plan.
        """
        key = id(circuit)
        entry = self._plans.get(key)
        if entry is None or entry[0]() is not circuit:
            plans = self._plans
            entry = (weakref.ref(circuit, lambda _: plans.pop(key, None)), ShiftPlan(circuit))
            self._plans[key] = entry
        return entry[1]

    def _run(
        self,
        circuits: Sequence[QuantumCircuit],
        observables: Sequence[BaseOperator],
        parameter_values: Sequence[Sequence[float]] | np.ndarray,
        parameters: Sequence[Sequence[Parameter]],
        **options: Any,
    ) -> EstimatorGradientResult:
        gradients = []
        groups: dict[tuple[int, int], list[int]] = {}
        for i, (circuit, observable) in enumerate(zip(circuits, observables, strict=True)):
            groups.setdefault((id(circuit), id(observable)), []).append(i)
        results: dict[int, np.ndarray] = {}
        for members in groups.values():
            circuit, observable = circuits[members[0]], observables[members[0]]
            wanted = parameters[members[0]]
            plan = self._plan(circuit)
            values = np.asarray([parameter_values[i] for i in members], dtype=float)
            wanted_index = [plan.params.index(p) for p in wanted]
            rows, active = plan.shifted_rows(values, wanted_index)
            pubs = [
                (plan.circuit, observable, rows[start : start + self._rows_per_pub])
                for start in range(0, len(rows), self._rows_per_pub)
            ]
            evs = np.concatenate(
                [np.ravel(r.data.evs) for r in self._estimator.run(pubs, precision=self._precision).result()]
            )
            grads = plan.gradient(evs, active, wanted_index)
            for row, i in enumerate(members):
                results[i] = grads[row]
        gradients = [results[i] for i in range(len(circuits))]
        return EstimatorGradientResult(
            gradients=gradients,
            metadata=[{"parameters": p} for p in parameters],
            options=Options(**options),
        )
