"""Guanxi's numeric analytics engine (issue 4).

Plain numpy / scipy / pandas code, importable without Django: customer value segmentation (RFM,
80/20, Lorenz, Gini, ABC), customer lifetime value models (BG/NBD, Pareto/NBD, Gamma-Gamma,
BG/BB), the ACSI/ECSI satisfaction index by PLS path modelling, relationship lifecycle stages,
churn risk and association rules for cross-selling.  Import the submodules directly, e.g.
``from guanxi.analytics.rfm import rfm_table``; this package file imports nothing on purpose.
"""
