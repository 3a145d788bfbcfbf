r"""Training with an estimator in the loop: ⟨Z⟩ and its weight Jacobian from a Qiskit estimator, journaled.

:class:`EstimatorQCNN` is the QCNN as a torch module whose values *and* weight Jacobian come from an
:class:`~qcnn_tl.backends.execution.ExecutionTarget` — Aer with a fake device's noise (``aer:<fake>``), IBM
Runtime's client-side ``Estimator`` in local mode (``ibm-local:<fake>``) or on a device (``ibm:<device>``) — with
shots. Each forward pass with gradients submits one set of jobs that holds every row the step needs:

* ``param-shift``: the batch at the weights :math:`w`, and every parameterised gate occurrence :math:`k` of the
  ISA circuit that depends on a weight shifted by :math:`\pm\pi/2`
  (:math:`\partial f/\partial w_p = \sum_k c_{kp}\,[f(\phi_k+\pi/2) - f(\phi_k-\pi/2)]/2`, the plan of
  :class:`~qcnn_tl.qnn.gradient.BatchedParamShiftGradient`): :math:`B\,(1 + 2K)` rows;
* ``spsa``: the batch at :math:`w`, and at :math:`w \pm c\Delta_r` for :math:`R` random
  :math:`\Delta_r \in \{\pm1\}^W` per step (``spsa_resamplings``; :math:`c` is ``spsa_perturbation``, which the
  training loop sets to SPSA's :math:`c_k` before each step, :mod:`qcnn_tl.training.spsa`); each sample's Jacobian
  row is the average :math:`\frac1R\sum_r [f(w + c\Delta_r) - f(w - c\Delta_r)]/(2c)\,\Delta_r` (simultaneous
  perturbation, :math:`B(1 + 2R)` rows).

The step's rows go out as PUBs of at most ``ROWS_PER_PUB`` rows, grouped into jobs of at most ``pubs_per_job`` PUBs
(one job per step unless the step is very large). The loss gradient is then ``grad_out @ jacobian``, so the
training loop, its optimiser, checkpoints and resume are those of the torch engines.

**Store.** Every submission goes through the one job store (:class:`~qcnn_tl.backends.jobs.JobStore`, the folder
``journal/`` of a training run): its job ids as soon as the jobs are submitted, its expectation values as soon as they
are back — before the optimiser uses them. The store belongs to one setting (the target, the SHA-256 of the submitted
circuit, its observables and the estimator options, shots included): a run resumed with another backend, shot count,
circuit or mitigation is refused with a message instead of replaying results measured under other settings. A step's
entry is keyed by a hash of its inputs, weights and gradient settings, and its values and Jacobian are computed again
from the stored expectation values. Training is deterministic given its checkpoint, so a run resumed after a crash or
a failed job replays the steps since its last checkpoint from the store without submitting them again, fetches a
step whose jobs were submitted to IBM Quantum but not collected (by job id), and submits only what was never
submitted.
"""

from __future__ import annotations

import hashlib
import logging
import os
from typing import Any

import numpy as np
import torch
from qiskit.quantum_info import SparsePauliOp
from torch import nn

from qcnn_tl._validate import is_number, is_positive_int
from qcnn_tl.backends.execution import ExecutionTarget
from qcnn_tl.backends.jobs import JobStore
from qcnn_tl.backends.transpile import circuit_hash
from qcnn_tl.circuits.qcnn import QCNNTemplate
from qcnn_tl.qnn.gradient import ROWS_PER_PUB, ShiftPlan
from qcnn_tl.qnn.noisy.lowering import restrict_observable
from qcnn_tl.qnn.readout import isa_observables

log = logging.getLogger(__name__)

GRADIENTS = ("param-shift", "spsa")
PUBS_PER_JOB = 8
"""Default most PUBs per job of :class:`EstimatorQCNN` (a step's PUBs in as few jobs as this allows)."""
SPSA_PERTURBATION = 0.2
"""Default SPSA perturbation :math:`c` of :class:`EstimatorQCNN` (Spall's and qiskit-algorithms' 0.2)."""


class _WithJacobian(torch.autograd.Function):
    """Values whose weight gradient is ``grad_out @ jacobian`` (the Jacobian measured with them)."""

    @staticmethod
    def forward(ctx: Any, weight: torch.Tensor, values: torch.Tensor, jacobian: torch.Tensor) -> torch.Tensor:
        ctx.save_for_backward(jacobian)
        return values.clone()

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> tuple[torch.Tensor, None, None]:
        (jacobian,) = ctx.saved_tensors
        if grad.ndim == 1:
            return grad @ jacobian, None, None
        return torch.tensordot(grad, jacobian, dims=grad.ndim), None, None  # k-class: (B, K) with (B, K, W)


class EstimatorQCNN(nn.Module):
    """The QCNN on an execution target's estimator, its weight gradient measured by the estimator too.

    A context manager: leaving ``with EstimatorQCNN(...) as model:`` closes the target's Runtime ``Session``.

    Args:
        template: The QCNN template.
        target: Where the circuits run (its primary variant: mitigated if the profile mitigates).
        gradient: ``"param-shift"`` (exact in expectation) or ``"spsa"`` (``1 + 2R`` rows per sample and step).
        store: Folder of the job store where job ids and results go before they are used; ``None`` keeps them in
            memory only.
        seed: Seed of the SPSA perturbations (each step's is drawn from the seed and the step's rows).
        pubs_per_job: Most PUBs (of at most ``ROWS_PER_PUB`` rows each) sent in one job; a parameter-shift step
            has at least two (the circuit at the weights and its shifted copy), so it is one job by default.
        initial_weights: Starting weights ``(num_weights,)``.
        spsa_perturbation: :math:`c` of the next SPSA step (an attribute the training loop sets per step).
        spsa_resamplings: :math:`R`, the random directions averaged per SPSA step.

    Raises:
        ValueError: On an unknown gradient, weights of the wrong shape, or a non-positive SPSA setting.
        QcnnTlError: If ``store`` holds results measured under another setting.
    """

    def __init__(
        self,
        template: QCNNTemplate,
        target: ExecutionTarget,
        *,
        gradient: str = "spsa",
        store: str | os.PathLike[str] | None = None,
        seed: int = 0,
        pubs_per_job: int = PUBS_PER_JOB,
        initial_weights: torch.Tensor | np.ndarray | None = None,
        spsa_perturbation: float = SPSA_PERTURBATION,
        spsa_resamplings: int = 1,
    ) -> None:
        super().__init__()
        if gradient not in GRADIENTS:
            raise ValueError(f"gradient must be one of {', '.join(GRADIENTS)}; got {gradient!r}")
        self.template = template
        self.target = target
        self.gradient = gradient
        self.seed = int(seed)
        if not is_positive_int(pubs_per_job):
            raise ValueError(f"pubs_per_job must be a positive integer; got {pubs_per_job!r}")
        self.pubs_per_job = pubs_per_job
        if not (is_number(spsa_perturbation) and spsa_perturbation > 0):
            raise ValueError(f"spsa_perturbation must be positive and finite; got {spsa_perturbation!r}")
        if not is_positive_int(spsa_resamplings):
            raise ValueError(f"spsa_resamplings must be a positive integer; got {spsa_resamplings!r}")
        self.spsa_perturbation = float(spsa_perturbation)
        self.spsa_resamplings = spsa_resamplings
        weights = torch.zeros(template.num_weights, dtype=torch.float64)
        if initial_weights is not None:
            given = torch.as_tensor(initial_weights, dtype=torch.float64)
            if given.shape != weights.shape:
                raise ValueError(f"initial_weights must have shape {tuple(weights.shape)}; got {tuple(given.shape)}")
            weights = given.clone()
        self.weight = nn.Parameter(weights)
        names = {p.name for p in (*template.input_params, *template.weight_params)}
        unknown = sorted({p.name for p in target.circuit.parameters} - names)
        if unknown:
            raise ValueError(f"the target's circuit has parameters the template does not: {unknown[:5]}")
        self._observables = _target_observables(template, target)
        self._plan = ShiftPlan(target.circuit) if gradient == "param-shift" else None
        self._run = target.run_pubs()[target.primary]
        observables = self._observables if isinstance(self._observables, list) else [self._observables]
        self.store = JobStore.open(
            store,
            backend=target.name,
            local=target.local,
            options=target.options,
            circuit_hash=circuit_hash(target.circuit),
            observables=observables,
        )

    def close(self) -> None:
        """Closes the target's Runtime ``Session`` (:meth:`~qcnn_tl.backends.execution.ExecutionTarget.close`)."""
        self.target.close()

    def __enter__(self) -> EstimatorQCNN:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def prepare(self, features: torch.Tensor | np.ndarray) -> torch.Tensor:
        """Input-parameter values for ``features`` (amplitude angles or raw angles)."""
        return torch.as_tensor(self.template.input_values(np.asarray(features)), dtype=torch.float64)

    def forward(self, prepared: torch.Tensor) -> torch.Tensor:
        r""":math:`\langle Z_\text{readout}\rangle` per sample, shape ``(B,)``; differentiable in the weights.

        A k-class template gives its Z-strings, shape ``(B, 2^m - 1)``, all estimated in the same PUBs.
        """
        inputs = prepared.detach().numpy()
        weights = self.weight.detach().numpy()
        if not (torch.is_grad_enabled() and self.weight.requires_grad):
            values, _ = self.measure(inputs, weights, jacobian=False)
            return torch.as_tensor(values)
        values, jacobian = self.measure(inputs, weights, jacobian=True)
        return _WithJacobian.apply(self.weight, torch.as_tensor(values), torch.as_tensor(jacobian))

    def measure(
        self, inputs: np.ndarray, weights: np.ndarray, *, jacobian: bool
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """Values ``(B,)`` and, if asked, the weight Jacobian ``(B, W)``, from the store or the estimator.

        A k-class template's are ``(B, K)`` and ``(B, K, W)`` for its ``K`` Z-strings. An SPSA step's entry is
        keyed by its perturbation and resamplings too, so a resumed run replays it only under the same schedule.
        """
        spsa = (self.spsa_perturbation, self.spsa_resamplings) if jacobian and self.gradient == "spsa" else ()
        key = hashlib.sha256(
            b"|".join(
                [inputs.astype(np.float64).tobytes(), weights.astype(np.float64).tobytes()]
                + [str(x).encode() for x in (self.gradient if jacobian else "values", self.seed, inputs.shape, *spsa)]
            )
        ).hexdigest()[:24]
        pubs, finish = self._pubs(inputs, weights, key, jacobian)
        # a Ctrl-C while the step's local jobs run keeps their results in the store; a device's jobs are fetched
        # again by id on resume
        [evs] = self.store.run(
            {key: pubs},
            submit={self.target.primary: self._run},
            fetch_job=self.target.fetch_job,
            variant=self.target.primary,
            pubs_per_job=self.pubs_per_job,
            retry=f"the step's job ran on {self.target.name}; run the same command again to resume at this step",
        ).values()
        return finish(np.concatenate([self._rows_first(e) for e in evs]))

    def _rows_first(self, evs: np.ndarray) -> np.ndarray:
        """A PUB's values, one per row ``(R,)``, or ``(R, K)`` for a k-class template's ``(K, 1)`` observables."""
        if isinstance(self._observables, list):
            return np.reshape(evs, (len(self._observables), -1)).T
        return np.ravel(evs)

    def _rows(self, inputs: np.ndarray, weights: np.ndarray) -> np.ndarray:
        """Circuit-ordered parameter rows: each sample's inputs with ``weights`` (``(W,)`` or ``(B, W)``)."""
        return self.template.parameter_rows(self.target.circuit.parameters, inputs, weights)

    def _pubs(self, inputs: np.ndarray, weights: np.ndarray, key: str, jacobian: bool) -> tuple[list[tuple], Any]:
        circuit = self.target.circuit
        observable: Any = self._observables
        if isinstance(observable, list):
            observable = [[o] for o in observable]  # (K, 1) against (R,) rows: values (K, R)
        base = self._rows(inputs, weights)
        n = len(inputs)
        if not jacobian:
            return _chunks(circuit, observable, base), lambda evs: (evs, None)
        if self.gradient == "spsa":
            rng = np.random.default_rng([self.seed, int(key[:15], 16)])
            deltas = rng.choice([-1.0, 1.0], size=(self.spsa_resamplings, self.template.num_weights))
            c = self.spsa_perturbation
            perturbed = [self._rows(inputs, weights + sign * c * delta) for delta in deltas for sign in (1, -1)]
            rows = np.concatenate([base, *perturbed])

            def spsa(evs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
                pairs = evs[n:].reshape(len(deltas), 2, n, *evs.shape[1:])  # [r, ±, sample(, observable)]
                slopes = (pairs[:, 0] - pairs[:, 1]) / (2 * c)  # [r, sample(, observable)]
                return evs[:n], np.einsum("rb...,rw->b...w", slopes, deltas) / len(deltas)

            return _chunks(circuit, observable, rows), spsa
        plan = self._plan
        assert plan is not None
        weight_names = [p.name for p in self.template.weight_params]
        plan_names = [p.name for p in plan.params]
        weight_index = [plan_names.index(name) for name in weight_names if name in plan_names]
        present = [i for i, name in enumerate(weight_names) if name in plan_names]
        shifted, active = plan.shifted_rows(base, weight_index)
        pubs = _chunks(circuit, observable, base) + _chunks(plan.circuit, observable, shifted)

        def shift(evs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            jac = np.zeros((*evs[:n].shape, self.template.num_weights))
            if evs.ndim == 1:
                jac[:, present] = plan.gradient(evs[n:], active, weight_index)
            else:
                for k in range(evs.shape[1]):
                    jac[:, k, present] = plan.gradient(evs[n:, k], active, weight_index)
            return evs[:n], jac

        return pubs, shift


def _target_observables(template: QCNNTemplate, target: ExecutionTarget) -> SparsePauliOp | list[SparsePauliOp]:
    """What the target estimates: its observable, or a k-class template's Z-strings on ``target.circuit``'s qubits.

    In local mode ``target.circuit`` is the ISA circuit cut to the device qubits it uses (ascending, recorded in
    ``target.options``), so the Z-strings mapped through the layout are restricted to those qubits.
    """
    if template.num_classes == 2:
        return target.observable
    full = isa_observables(template, target.isa)
    if target.circuit.num_qubits == target.isa.circuit.num_qubits:
        return full
    return [restrict_observable(o, target.options["physical_qubits"]) for o in full]


def _chunks(circuit: Any, observable: Any, rows: np.ndarray) -> list[tuple]:
    return [(circuit, observable, rows[i : i + ROWS_PER_PUB]) for i in range(0, len(rows), ROWS_PER_PUB)]
