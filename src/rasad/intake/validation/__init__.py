"""The checks behind :mod:`rasad.intake.validate`, one module per family of fields.

Each family (numbers, dates and periods, codes, choices, text) has one parser per
cell; where a whole column can be settled at once (plain figures, plain names, valid
IDs) that fast path runs first and hands only the cells it cannot settle to the careful
parser, and :mod:`.fallbacks` lets a test see which cells took the careful way.
"""
