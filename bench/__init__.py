"""Benchmark tooling: ``seed_bench`` builds a realistic volume of fictional cases quickly
(``seed``), and ``bench`` measures the main pages at two sizes (``run``). Nothing here is
imported by the application's views."""
