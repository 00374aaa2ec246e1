"""The core pages: home, preferences, search, history, shares, recycle bin, administration.

One module per page family; ``urls.py`` imports the modules.
"""
