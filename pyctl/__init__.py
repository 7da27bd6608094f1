"""pyctl: the thin controller of the outreach governance core.

Nearly all logic lives in PostgreSQL (functions/, triggers/, views/, db/);
this package starts the embedded cluster, applies migrations, runs checks and
renders reports. pyctl.resources finds those SQL sources, in a checkout or in
the installed wheel.
"""
__version__ = "0.1.0"
