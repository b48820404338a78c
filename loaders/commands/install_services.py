"""``gbpower install-services``: render the crontab, systemd units and logrotate config with the
server's real paths; ``--dry-run`` prints them instead of installing."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from loaders import config
from loaders.errors import UsageError
from loaders.services import InstallConfig, install, render_all, unit_names

log = logging.getLogger(__name__)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "install-services",
        help="render/install the crontab, systemd units + timers and logrotate config",
        description="Render orchestration/ templates with real paths. Without --dry-run the units go "
        "to /etc/systemd/system, logrotate to /etc/logrotate.d, env files (only if missing) to the "
        "config dir, and the crontab to PREFIX/orchestration/rendered/crontab.",
    )
    p.add_argument("--dry-run", action="store_true", help="print every rendered file; write nothing")
    p.add_argument("--user", default="gbpower", help="unprivileged user the jobs run as (default gbpower)")
    p.add_argument("--group", default=None, help="group (default: same as --user)")
    p.add_argument("--prefix", type=Path, default=None, help="installed project root (default: this checkout)")
    p.add_argument("--venv", type=Path, default=None, help="virtualenv (default PREFIX/.venv)")
    p.add_argument("--data-dir", type=Path, default=Path("/var/lib/gbpower"))
    p.add_argument("--log-dir", type=Path, default=Path("/var/log/gbpower"))
    p.add_argument("--conf-dir", type=Path, default=Path("/etc/gbpower"))
    p.add_argument(
        "--memory-max",
        default=None,
        help="MemoryMax= of every job unit (default $GBPOWER_MEMORY_MAX or 3G; 'none' for no limit)",
    )
    p.add_argument(
        "--iris-memory-max",
        default=None,
        help="MemoryMax= of the IRIS service (default $GBPOWER_IRIS_MEMORY_MAX or 1G; 'none' for no limit)",
    )
    p.add_argument(
        "--cpu-quota",
        default=None,
        help="CPUQuota= of every unit, 100%% = one core (default $GBPOWER_CPU_QUOTA or 150%%; 'none')",
    )
    p.add_argument("--root", type=Path, default=Path("/"), help="install under this directory (staging)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    limits = {
        k: v
        for k, v in (
            ("memory_max", args.memory_max),
            ("iris_memory_max", args.iris_memory_max),
            ("cpu_quota", args.cpu_quota),
        )
        if v is not None
    }
    try:
        cfg = InstallConfig(
            prefix=(args.prefix or config.project_root()).resolve(),
            user=args.user,
            group=args.group,
            venv=args.venv,
            data_dir=args.data_dir,
            log_dir=args.log_dir,
            conf_dir=args.conf_dir,
            **limits,
        )
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    if args.dry_run:
        for name, text in render_all(cfg).items():
            print(f"### {name}")
            print(text.rstrip("\n"))
            print()
        return 0
    placed = install(cfg, args.root)
    for f in placed:
        print(f"{'wrote' if f.written else 'kept existing'} {f.path}")
    timers = [u for u in unit_names(render_all(cfg)) if u.endswith(".timer")]
    print("\nNext steps (as root):")
    print(f"  edit {cfg.conf_dir}/gbpower.env and {cfg.conf_dir}/iris.env (chmod 600 iris.env)")
    print(f"  chown -R {cfg.user}: {cfg.data_dir} {cfg.log_dir}")
    print("  systemctl daemon-reload && systemctl enable --now gbpower-iris.service")
    print(f"  then EITHER systemctl enable --now {' '.join(timers)}")
    print(f"  OR crontab -u {cfg.user} {cfg.prefix}/orchestration/rendered/crontab")
    return 0
