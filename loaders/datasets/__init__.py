"""Every dataset gbpower knows, one literal entry each (see ``spec.py`` for the fields and why Python).

Entries live by family: ``balancing`` (BOALF, BOD, PN, MELS, MILS), ``settlement`` (DISEBSP, BOAV,
EBOCF, DISPTAV, ISPSTACK, DISBSAD, NETBSAD), ``system`` (FUELINST, FUELHH, FREQ, WINDFOR, INDGEN, INDDEM, INDO, ITSDO),
``market`` (MID, REMIT) and ``reference`` (BMUNITS); ``generation`` (B1610, AGPT, AGWS, DGWS),
``dynamic`` (QPN and the BM units' dynamic data), ``demand`` (demand forecasts, INDOD, TEMP),
``european`` (EU balancing transparency: ABUC, PPBR, BEB, AOBE, CBS, PBC, FEIB, CCM), ``forecasts``
(total load ATL and its forecasts, YAFM, DAG), ``capacity`` (IGCA, IGCPU), ``emergency`` (DCI, RZDF,
RZDR) and ``parties`` (TUDM, CDN); ``docs/catalogue.md`` lists them all. Adding a dataset (the recipe
is in docs/models.md): add its ``Dataset(...)`` to a family module, list it in ``DATASETS`` below, then
run ``python -m loaders.dev.gen_staging`` and ``python -m loaders.dev.gen_catalogue``.
``loaders.registry`` re-exports these names for the rest of the code.
"""

from __future__ import annotations

from loaders.datasets import (
    availability,
    balancing,
    capacity,
    demand,
    dynamic,
    emergency,
    european,
    forecasts,
    generation,
    market,
    parties,
    reference,
    settlement,
    system,
    system_operator,
)
from loaders.datasets.availability import (
    FOU2T3YW,
    FOU2T14D,
    NOU2T3YW,
    NOU2T14D,
    OCNMF3Y,
    OCNMF3Y2,
    OCNMFD,
    OCNMFD2,
    UOU2T3YW,
    UOU2T14D,
)
from loaders.datasets.balancing import BOALF, BOD, MELS, MILS, PN
from loaders.datasets.capacity import IGCA, IGCPU
from loaders.datasets.demand import INDOD, NDF, NDFD, NDFW, TEMP, TSDF, TSDFD, TSDFW
from loaders.datasets.dynamic import MDP, MDV, MNZT, MZT, NDZ, NTB, NTO, QPN, RDRE, RDRI, RURE, RURI, SEL, SIL
from loaders.datasets.emergency import DCI, RZDF, RZDR
from loaders.datasets.european import ABUC, AOBE, BEB, CBS, CCM, FEIB, PBC, PPBR
from loaders.datasets.forecasts import ATL, DAG, DATL, MATL, WATL, YAFM, YATL
from loaders.datasets.generation import AGPT, AGWS, B1610, DGWS
from loaders.datasets.market import MID, REMIT
from loaders.datasets.parties import CDN, TUDM
from loaders.datasets.reference import BMUNITS
from loaders.datasets.settlement import BOAV, DISBSAD, DISEBSP, DISPTAV, EBOCF, ISPSTACK, NETBSAD
from loaders.datasets.system import FREQ, FUELHH, FUELINST, INDDEM, INDGEN, INDO, ITSDO, WINDFOR
from loaders.datasets.system_operator import IMBALNGC, LOLPDRM, MELNGC, NONBM, QAS, SOSO, SYSWARN

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
        DISPTAV,
        ISPSTACK,
        BMUNITS,
        IMBALNGC,
        MELNGC,
        LOLPDRM,
        SYSWARN,
        SOSO,
        NONBM,
        QAS,
        UOU2T14D,
        UOU2T3YW,
        FOU2T14D,
        FOU2T3YW,
        NOU2T14D,
        NOU2T3YW,
        OCNMFD,
        OCNMFD2,
        OCNMF3Y,
        OCNMF3Y2,
        ABUC,
        PPBR,
        BEB,
        AOBE,
        CBS,
        PBC,
        FEIB,
        CCM,
        ATL,
        DATL,
        WATL,
        MATL,
        YATL,
        YAFM,
        DAG,
        IGCA,
        IGCPU,
        TUDM,
        CDN,
        DCI,
        RZDF,
        RZDR,
        B1610,
        AGPT,
        AGWS,
        DGWS,
        QPN,
        SEL,
        SIL,
        MDV,
        MDP,
        NDZ,
        NTO,
        NTB,
        MZT,
        MNZT,
        RURE,
        RDRE,
        RURI,
        RDRI,
        NDF,
        NDFD,
        NDFW,
        TSDF,
        TSDFD,
        TSDFW,
        INDOD,
        TEMP,
    )
}


FAMILIES = (
    balancing,
    settlement,
    system,
    market,
    reference,
    generation,
    dynamic,
    demand,
    european,
    forecasts,
    capacity,
    emergency,
    parties,
    system_operator,
    availability,
)


def home(name: str) -> str:
    """The file that declares dataset ``name``, e.g. ``loaders/datasets/balancing.py`` for BOALF."""
    for module in FAMILIES:
        if getattr(module, name, None) is DATASETS[name]:
            return f"loaders/datasets/{module.__name__.rsplit('.', 1)[1]}.py"
    raise KeyError(name)
