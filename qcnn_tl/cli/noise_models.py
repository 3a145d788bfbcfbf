"""``qcnn-tl noise-models list|refresh``: versioned fake-device snapshots in ``noise_models/``."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from qcnn_tl.backends.snapshots import checkout_snapshot_dir, list_snapshots, snapshot_dir, write_snapshot
from qcnn_tl.backends.targets import fake_backends

REFRESHED = ("fake_brisbane", "fake_torino")


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Registers the subcommand."""
    p = subparsers.add_parser(
        "noise-models",
        help="list the fake-device snapshots qcnn_tl reads, or refresh them from the installed qiskit-ibm-runtime",
        description="list: the snapshots qcnn_tl reads (the repository's noise_models/ in a checkout, the installed "
        "package's otherwise), all or those of --device. refresh: copies each --device's data from the installed "
        "qiskit-ibm-runtime into --out/<device>/; without --out, into the checkout's noise_models/ (review the diff "
        "and commit it); an installed (non-checkout) qcnn_tl needs --out and never changes its own files.",
    )
    p.add_argument("action", choices=("list", "refresh"))
    p.add_argument(
        "--device", nargs="+", help=f"fake devices (list: default all; refresh: default {' '.join(REFRESHED)})"
    )
    p.add_argument("--out", help="refresh: folder to write the snapshots into (default: the checkout's noise_models/)")
    p.set_defaults(func=command)


def command(args: argparse.Namespace) -> int:
    """Runs the subcommand."""
    if args.action == "list":
        if args.out is not None:
            raise ValueError("--out is for refresh; list shows the snapshots qcnn_tl reads")
        snapshots = {meta["device"]: meta for meta in list_snapshots()}
        missing = [d for d in args.device or () if d not in snapshots]
        if missing:
            have = ", ".join(sorted(snapshots)) or "none"
            raise ValueError(f"--device: no snapshot of {', '.join(missing)} in {snapshot_dir()} (snapshots: {have})")
        for device in args.device or sorted(snapshots):
            meta = snapshots[device]
            print(f"{meta['device']:<18} qiskit-ibm-runtime {meta['qiskit_ibm_runtime']:<8} {meta['created']}")
        return 0
    devices = args.device or list(REFRESHED)
    unknown = [d for d in devices if d not in fake_backends()]
    if unknown:
        raise ValueError(
            f"--device: unknown fake devices {unknown}; expected some of: {', '.join(sorted(fake_backends()))}"
        )
    out = Path(args.out) if args.out is not None else checkout_snapshot_dir()
    if out is None:
        raise ValueError(
            f"qcnn_tl is installed, not run from a checkout: refresh does not write into the installed package "
            f"({snapshot_dir()}); give --out FOLDER"
        )
    if out.exists() and not (out.is_dir() and os.access(out, os.W_OK)):
        raise ValueError(f"--out {out} is not a writable folder")
    for device in devices:
        print(f"wrote {write_snapshot(fake_backends()[device], out)}")
    return 0
