"""``qcnn-tl noise-models list|refresh``: versioned fake-device snapshots in ``noise_models/``."""

from __future__ import annotations

import argparse

from qcnn_tl.backends.snapshots import list_snapshots, write_snapshot
from qcnn_tl.backends.targets import fake_backends


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Registers the subcommand."""
    p = subparsers.add_parser("noise-models", help="list or refresh the fake-device snapshots in noise_models/")
    p.add_argument("action", choices=("list", "refresh"))
    p.add_argument("--device", nargs="+", default=["fake_brisbane", "fake_torino"])
    p.set_defaults(func=command)


def command(args: argparse.Namespace) -> int:
    """Runs the subcommand."""
    if args.action == "refresh":
        unknown = [d for d in args.device if d not in fake_backends()]
        if unknown:
            raise ValueError(f"unknown fake devices {unknown}; expected some of: {', '.join(sorted(fake_backends()))}")
        for device in args.device:
            print(f"wrote {write_snapshot(fake_backends()[device])}")
        return 0
    for meta in list_snapshots():
        print(f"{meta['device']:<18} qiskit-ibm-runtime {meta['qiskit_ibm_runtime']:<8} {meta['created']}")
    return 0
