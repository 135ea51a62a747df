"""Charts as small functions returning alt.Chart, shared by every page (and the wall) that shows them."""
