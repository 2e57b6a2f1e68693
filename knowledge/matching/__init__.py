"""The matcher's stages, one module each, run in this order by
:meth:`knowledge.matcher.Matcher.match` (see ``knowledge/MATCHER.md``):

1. :mod:`knowledge.offtopic` — refuse questions that are explicitly out of scope;
2. :mod:`knowledge.matching.reading` — normalise the question, spell its typos onto the
   knowledge base's words, take its content tokens and exam codes (and read the
   knowledge base's own texts the same way when the matcher is built);
3. :mod:`knowledge.matching.retrieval` — the word statistics of the knowledge base: the
   IDF coverage that shortlists entries, and the evidence for each shortlisted one
   (fuzzy similarity, naive Bayes, keyword phrases, word pairs);
4. :mod:`knowledge.matching.rescoring` — combine that evidence with the entries'
   signals, exam codes and first-person timing into one score per entry, each with its
   named weight (``data/matcher/weights.toml``);
5. :mod:`knowledge.matching.decision` — calibrate the best score and its margin into a
   confidence, then answer, answer with suggestions, or abstain.

:mod:`knowledge.matching.autocomplete` serves the slash command's autocomplete from the
same tables.
"""
