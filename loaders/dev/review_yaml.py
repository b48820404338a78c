"""YAML output a person can review: what the generators (``gen_staging``) write.

No anchors or aliases (a reused dict is written out again, never as ``&id001``/``*id001``), list
items indented under their key, lists of scalars and small mappings of short scalars (``{count: 1,
period: day}``) in flow style (``[a, b]``) and multi-line text as
literal blocks (``|``).
"""

from __future__ import annotations

from typing import Any

import yaml


class ReviewDumper(yaml.SafeDumper):
    def ignore_aliases(self, data: object) -> bool:
        return True

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def _list(dumper: yaml.SafeDumper, data: list) -> yaml.Node:
    scalars = all(isinstance(x, (str, int, float, bool)) for x in data)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=bool(data) and scalars)


def _dict(dumper: yaml.SafeDumper, data: dict) -> yaml.Node:
    small = bool(data) and all(
        isinstance(v, (int, float, bool)) or (isinstance(v, str) and len(v) < 40) for v in data.values()
    )
    flow = small and not {"name", "description"} & set(data)
    return dumper.represent_mapping("tag:yaml.org,2002:map", data, flow_style=flow)


def _str(dumper: yaml.SafeDumper, data: str) -> yaml.Node:
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style="|" if "\n" in data else None)


ReviewDumper.add_representer(list, _list)
ReviewDumper.add_representer(dict, _dict)
ReviewDumper.add_representer(str, _str)


def dump(obj: Any) -> str:
    return yaml.dump(obj, Dumper=ReviewDumper, sort_keys=False, width=120, allow_unicode=True)
