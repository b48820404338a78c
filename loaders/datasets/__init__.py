"""Every dataset gbpower knows, one literal entry each (see ``spec.py`` for the fields and why Python).

Entries live by family: ``balancing`` (BOALF, BOD, PN, MELS, MILS), ``settlement`` (DISEBSP, BOAV,
EBOCF, DISBSAD, NETBSAD), ``system`` (FUELINST, FUELHH, FREQ, WINDFOR, INDGEN, INDDEM, INDO, ITSDO),
``market`` (MID, REMIT) and ``reference`` (BMUNITS). Adding a dataset: add its ``Dataset(...)`` to
a family module, list it in ``DATASETS`` below, then run ``python -m loaders.dev.gen_staging``.
``loaders.registry`` re-exports these names for the rest of the code.
"""

from __future__ import annotations

from loaders.datasets import balancing, market, reference, settlement, system
from loaders.datasets.balancing import BOALF, BOD, MELS, MILS, PN
from loaders.datasets.market import MID, REMIT
from loaders.datasets.reference import BMUNITS
from loaders.datasets.settlement import BOAV, DISBSAD, DISEBSP, EBOCF, NETBSAD
from loaders.datasets.system import FREQ, FUELHH, FUELINST, INDDEM, INDGEN, INDO, ITSDO, WINDFOR

# The order is the order of the generated sources, staging and unified files.
DATASETS = {
    d.name: d
    for d in (
        BOALF,
        BOD,
        PN,
        MELS,
        MILS,
        DISEBSP,
        MID,
        FUELINST,
        FUELHH,
        FREQ,
        REMIT,
        INDGEN,
        INDDEM,
        INDO,
        ITSDO,
        WINDFOR,
        DISBSAD,
        NETBSAD,
        BOAV,
        EBOCF,
        BMUNITS,
    )
}


FAMILIES = (balancing, settlement, system, market, reference)


def home(name: str) -> str:
    """The file that declares dataset ``name``, e.g. ``loaders/datasets/balancing.py`` for BOALF."""
    for module in FAMILIES:
        if getattr(module, name, None) is DATASETS[name]:
            return f"loaders/datasets/{module.__name__.rsplit('.', 1)[1]}.py"
    raise KeyError(name)
