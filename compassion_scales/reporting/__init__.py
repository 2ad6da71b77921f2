"""Rendering of results: tables, labelled files, plots that return Figures, reports."""
