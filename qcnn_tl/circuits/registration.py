r"""Users' own blocks: registering them by name, and storing them with a result so the model can be rebuilt.

A block registered here is used by name like a built-in (``TrainConfig(ansatz="mine")``, sweep grids,
``qcnn-tl evaluate``). :func:`block_definitions` turns the user's blocks of a model into
:class:`BlockDefinition`\ s (each circuit as QPY) that ``result.json`` and sweep units carry, and
:func:`restore_blocks` registers them again in another process. An encoding with a Python ``input_values``
function is stored without it (``missing``): its model is rebuilt only where the encoding is registered.

>>> from qiskit.circuit import ParameterVector, QuantumCircuit
>>> t = ParameterVector("t", 2)
>>> block = QuantumCircuit(2)
>>> _ = block.ry(t[0], 0), block.ry(t[1], 1), block.cz(0, 1)
>>> register_ansatz("ry_cz_doc", block).num_params
2
>>> [d.name for d in block_definitions("ry_cz_doc", "zx", "angle")]
['ry_cz_doc']
"""

from __future__ import annotations

import base64
import io
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, fields
from typing import Any, Literal

import numpy as np
from qiskit import qpy
from qiskit.circuit import Parameter, QuantumCircuit

from qcnn_tl.circuits.ansatz import ANSATZES, Ansatz
from qcnn_tl.circuits.encoding import ENCODINGS, Encoding
from qcnn_tl.circuits.encoding.base import FeatureValues
from qcnn_tl.circuits.pooling import POOLINGS, Pooling
from qcnn_tl.circuits.qcnn import resolve_block
from qcnn_tl.circuits.user_circuits import BlockSource, same_circuit

BlockKind = Literal["ansatz", "pooling", "encoding"]

_MISSING_INPUT_VALUES = "input_values (a Python function)"
_STORED_PARAMETERS = uuid.UUID("5b0c7d2e-4f61-4a7e-9a52-2f8f6c1e0b13")


def register_ansatz(ansatz: str | Ansatz, block: BlockSource | None = None, *, num_params: int | None = None) -> Ansatz:
    """Registers a convolution block under a name of its own, for use by name like a built-in.

    Args:
        ansatz: The name, with ``block``; or an :class:`Ansatz` (then no ``block``).
        block: A two-qubit circuit whose parameters, in ``circuit.parameters`` order (sorted by name,
            ``ParameterVector`` elements by index), take a level's weights on each pair ``(a, b)`` as on its
            qubits ``(0, 1)``; or a function ``θ -> circuit`` of ``num_params`` weights
            (:meth:`Ansatz.from_circuit`).
        num_params: The function's number of weights.

    Returns:
        The registered ansatz (registering an equal one again returns the first).

    Raises:
        TypeError: If the arguments are of the wrong kinds.
        ValueError: If the name is taken (a built-in's, or registered with another block) or the block is
            invalid (not on two qubits, parameters that do not fit, a gate that cannot be unrolled).
    """
    entry = _entry(ansatz, block, Ansatz, (num_params,), lambda n, b: Ansatz.from_circuit(n, b, num_params=num_params))
    return ANSATZES.register(entry.name, entry)


def register_pooling(
    pooling: str | Pooling,
    block: BlockSource | None = None,
    *,
    num_params: int | None = None,
    label: str | None = None,
) -> Pooling:
    """Registers a pooling block on (control, target) under a name of its own (:meth:`Pooling.from_circuit`).

    Args:
        pooling: The name, with ``block``; or a :class:`Pooling` with a ``build`` (then no ``block``).
        block: As for :func:`register_ansatz`; qubit 0 is the control (discarded), qubit 1 the target.
        num_params: The function's number of weights.
        label: A description.

    Returns:
        The registered pooling.

    Raises:
        TypeError: If the arguments are of the wrong kinds.
        ValueError: As for :func:`register_ansatz`, or a ``Pooling`` without a ``build``.
    """
    entry = _entry(
        pooling,
        block,
        Pooling,
        (num_params, label),
        lambda n, b: Pooling.from_circuit(n, b, num_params=num_params, label=label),
    )
    if entry.build is None:
        raise ValueError(f"pooling must have a build (a circuit); got {entry.name!r} without one (use 'none')")
    return POOLINGS.register(entry.name, entry)


def register_encoding(
    encoding: str | Encoding,
    circuit: QuantumCircuit | None = None,
    *,
    input_values: Callable[[np.ndarray], np.ndarray] | None = None,
    num_features: int | None = None,
) -> Encoding:
    """Registers an encoding under a name of its own (:meth:`Encoding.from_circuit`).

    Args:
        encoding: The name, with ``circuit``; or an :class:`Encoding` (then no ``circuit``).
        circuit: The encoding on the template's qubits; its parameters, in ``circuit.parameters`` order, are
            the inputs, set to the features as they are unless ``input_values`` maps them.
        input_values: Maps features ``(N, num_features)`` to the parameter values; not stored in
            ``result.json``, so its models are evaluated where it is registered.
        num_features: The feature width ``input_values`` takes (default: the number of parameters).

    Returns:
        The registered encoding.

    Raises:
        TypeError: If the arguments are of the wrong kinds.
        ValueError: If the name is taken, or the circuit's qubits or parameters do not fit.
    """
    entry = _entry(
        encoding,
        circuit,
        Encoding,
        (input_values, num_features),
        lambda n, c: Encoding.from_circuit(n, c, input_values=input_values, num_features=num_features),
    )
    return ENCODINGS.register(entry.name, entry)


def _entry(given: Any, block: Any, cls: type, options: tuple[Any, ...], make: Callable[[str, Any], Any]) -> Any:
    """The entry to register: made from a name and a block, or the given entry."""
    kind = cls.__name__.lower()
    if isinstance(given, str):
        if block is None:
            raise TypeError(f"register_{kind}({given!r}, ...) needs the {kind}'s circuit (or function) too")
        return make(given, block)
    if not isinstance(given, cls):
        raise TypeError(f"{kind} must be a name or an {cls.__name__}; got {type(given).__name__}")
    if block is not None or any(option is not None for option in options):
        raise TypeError(f"register_{kind} takes an {cls.__name__} alone (it carries its own circuit and settings)")
    return given


@dataclass(frozen=True)
class BlockDefinition:
    """One of the user's blocks of a model, stored so that another process can rebuild it.

    Attributes:
        kind: ``"ansatz"``, ``"pooling"`` or ``"encoding"``.
        name: Its registry name.
        num_params: Weights per block (ansatz, pooling), or input parameters (encoding).
        qpy: The circuit as base64 QPY: a block on two qubits with parameters ``θ0, θ1, …`` (zero-padded) in
            the weights' order, or the encoding with its inputs ``x0, x1, …`` in their order; the same block
            gives the same text in every process.
        num_features: The feature width (encodings).
        missing: What the file cannot hold (``"input_values (a Python function)"``); then the block is
            rebuilt only where it is registered.
    """

    kind: BlockKind
    name: str
    num_params: int
    qpy: str
    num_features: int | None = None
    missing: str | None = None

    def to_json(self) -> dict[str, Any]:
        """Plain data for JSON (unset fields left out)."""
        return {k: v for k, v in asdict(self).items() if v is not None}

    @classmethod
    def from_json(cls, data: Any) -> BlockDefinition:
        """Reads :meth:`to_json`'s output.

        Raises:
            ValueError: Naming the field that is missing, unknown or of the wrong type.
        """
        if not isinstance(data, Mapping):
            raise ValueError(f"a block definition must be a JSON object; got {data!r}")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"block definition has unknown field(s) {unknown}")
        missing = sorted({"kind", "name", "num_params", "qpy"} - set(data))
        if missing:
            raise ValueError(f"block definition lacks field(s) {missing}")
        if data["kind"] not in ("ansatz", "pooling", "encoding"):
            raise ValueError(f"block definition kind must be ansatz, pooling or encoding; got {data['kind']!r}")
        for key, kinds in (("name", str), ("num_params", int), ("qpy", str), ("num_features", int), ("missing", str)):
            value = data.get(key)
            if value is not None and (not isinstance(value, kinds) or isinstance(value, bool)):
                raise ValueError(f"block definition {key} must be a {kinds.__name__}; got {value!r}")
        return cls(**data)

    def circuit(self) -> QuantumCircuit:
        """The stored circuit.

        Raises:
            ValueError: If ``qpy`` is not one circuit in QPY, or its parameters are not ``num_params``.
        """
        try:
            [circuit] = qpy.load(io.BytesIO(base64.b64decode(self.qpy, validate=True)))
        except Exception as exc:  # whatever QPY or base64 raise on damaged data
            raise ValueError(f"{self.kind} {self.name!r}: qpy is not one circuit in base64 QPY ({exc})") from None
        if circuit.num_parameters != self.num_params:
            raise ValueError(
                f"{self.kind} {self.name!r}: the stored circuit has {circuit.num_parameters} parameters; "
                f"num_params says {self.num_params}"
            )
        return circuit


def _qpy(circuit: QuantumCircuit) -> str:
    buffer = io.BytesIO()
    qpy.dump(circuit, buffer)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _stored_parameters(prefix: str, count: int) -> list[Parameter]:
    """``count`` parameters ``<prefix>0…``, zero-padded so that sorting by name keeps their order.

    Their UUIDs derive from their names, so that a stored circuit is the same QPY in every process.
    """
    width = len(str(max(count - 1, 0)))
    names = [f"{prefix}{i:0{width}d}" for i in range(count)]
    return [Parameter(name, uuid=uuid.uuid5(_STORED_PARAMETERS, name)) for name in names]


def _block_circuit(entry: Ansatz | Pooling) -> QuantumCircuit:
    """The block on two qubits with parameters ``θ0…`` in the weights' order."""
    if entry.build is None:
        raise ValueError(f"pooling {entry.name!r} has no circuit to store (use the built-in 'none')")
    qc = QuantumCircuit(2, name=entry.name)
    entry.build(qc, _stored_parameters("θ", entry.num_params), 0, 1)
    return qc


def _encoding_circuit(entry: Encoding, num_qubits: int) -> QuantumCircuit:
    """The encoding on ``num_qubits`` with its inputs renamed ``x0…`` in their order."""
    circuit, inputs = entry.build(num_qubits)
    stored = circuit.assign_parameters(dict(zip(inputs, _stored_parameters("x", len(inputs)), strict=True)))
    stored.name = entry.name
    return stored


def _restorable(entry: Encoding, num_qubits: int) -> bool:
    values = entry.input_values
    width = entry.num_features(num_qubits)
    return isinstance(values, FeatureValues) and values.function is None and width == values.num_inputs


def block_definitions(
    ansatz: str | Ansatz, pooling: str | Pooling, encoding: str | Encoding, *, num_qubits: int = 8
) -> tuple[BlockDefinition, ...]:
    """The definitions of a model's blocks that are not built-ins, in the order ansatz, pooling, encoding.

    Args:
        ansatz: A name or an :class:`Ansatz`.
        pooling: A name or a :class:`Pooling`.
        encoding: A name or an :class:`Encoding`.
        num_qubits: The template's qubits (the encoding is stored as built on them).

    Raises:
        ValueError: On an unknown name, or an object named like a different registered block.
    """
    conv = resolve_block(ANSATZES, ansatz, "ansatz", Ansatz)
    pool = resolve_block(POOLINGS, pooling, "pooling", Pooling)
    blocks: list[tuple[BlockKind, Ansatz | Pooling, bool]] = [
        ("ansatz", conv, ANSATZES.is_builtin(conv.name)),
        ("pooling", pool, POOLINGS.is_builtin(pool.name)),
    ]
    out = [BlockDefinition(k, e.name, e.num_params, _qpy(_block_circuit(e))) for k, e, builtin in blocks if not builtin]
    enc = resolve_block(ENCODINGS, encoding, "encoding", Encoding)
    if not ENCODINGS.is_builtin(enc.name):
        circuit = _encoding_circuit(enc, num_qubits)
        missing = None if _restorable(enc, num_qubits) else _MISSING_INPUT_VALUES
        width = enc.num_features(num_qubits)
        out.append(BlockDefinition("encoding", enc.name, circuit.num_parameters, _qpy(circuit), width, missing))
    return tuple(out)


def _same(entry: Ansatz | Pooling | Encoding, definition: BlockDefinition, circuit: QuantumCircuit) -> bool:
    if isinstance(entry, Encoding):
        try:
            mine = _encoding_circuit(entry, circuit.num_qubits)
            width = entry.num_features(circuit.num_qubits)
        except ValueError:  # not defined on that many qubits
            return False
        return width == definition.num_features and same_circuit(mine, circuit)
    return entry.build is not None and same_circuit(_block_circuit(entry), circuit)


def restore_blocks(definitions: Iterable[BlockDefinition]) -> None:
    """Registers the stored blocks, checking those already registered under their names against them.

    Raises:
        ValueError: If a definition is damaged, a block of that name is registered with a different
            definition, or a block cannot be rebuilt from the file (``missing``) and is not registered; the
            message says which and how to fix it.
    """
    registries: dict[str, Any] = {"ansatz": ANSATZES, "pooling": POOLINGS, "encoding": ENCODINGS}
    for definition in definitions:
        registry = registries[definition.kind]
        circuit = definition.circuit()
        if definition.name in registry:
            if not _same(registry[definition.name], definition, circuit):
                raise ValueError(
                    f"{definition.kind} {definition.name!r} is registered here with a different definition from "
                    "the stored one; register the stored one under another name in a fresh process"
                )
            continue
        if definition.missing is not None:
            raise ValueError(
                f"{definition.kind} {definition.name!r} cannot be rebuilt from the stored definition: its "
                f"{definition.missing} is not stored; register it (qcnn_tl.register_{definition.kind}) in this "
                "process before reading the result, or use the Python API in the process that registered it"
            )
        if definition.kind == "ansatz":
            registry.register(definition.name, Ansatz.from_circuit(definition.name, circuit))
        elif definition.kind == "pooling":
            registry.register(definition.name, Pooling.from_circuit(definition.name, circuit))
        else:
            registry.register(definition.name, Encoding.from_circuit(definition.name, circuit))
