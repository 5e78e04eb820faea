"""Stories: the same news from several outlets, reworded, grouped into one story.

`signature` turns an article's lemmas into a MinHash; `grouping` joins each new article to a story of
the last days or starts one; `evaluate` measures the grouping on a labelled set of story groups.
"""
