"""Lesson 08, beyond one machine: Dask clusters, one limit for a whole cluster, the pipeline as
Dask tasks."""
