"""The residents' survey: its questions, anonymous responses and results aggregated in SQL."""
