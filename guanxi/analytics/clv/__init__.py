"""Customer lifetime value: NPV formula, buy-till-you-die models, spend model and CLV.

- :func:`npv_lifetime_value`, :func:`customer_equity`: the discounted-profit formula of
  DOMAIN.md §7.
- :class:`BetaGeo` (BG/NBD), :class:`ParetoNBD`, :class:`BetaGeoBetaBinom` (BG/BB): how many
  purchases a customer will make, and whether he is still "alive".
- :class:`GammaGamma`: how much he spends per purchase.
- :func:`customer_lifetime_value`: the two combined and discounted month by month.
- :func:`summarise_transactions`: a transaction log turned into the models' inputs.

Pure numpy / scipy / pandas; no Django.  See ``docs/analytics.md``.
"""

from .bgbb import BetaGeoBetaBinom
from .bgnbd import BetaGeo
from .gamma_gamma import GammaGamma
from .lifetime_value import (
    DAYS_PER_MONTH,
    WEEKS_PER_MONTH,
    customer_equity,
    customer_lifetime_value,
    discounted_expected_purchases,
    npv_lifetime_value,
)
from .pareto_nbd import ParetoNBD
from .transactions import summarise_transactions

__all__ = [
    "DAYS_PER_MONTH",
    "WEEKS_PER_MONTH",
    "BetaGeo",
    "BetaGeoBetaBinom",
    "GammaGamma",
    "ParetoNBD",
    "customer_equity",
    "customer_lifetime_value",
    "discounted_expected_purchases",
    "npv_lifetime_value",
    "summarise_transactions",
]
