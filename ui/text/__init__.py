"""The translation table, one module per area (each holds TEXT = {key: (中文, English)}).

ui.i18n merges them into one table and refuses a key defined twice.
"""
