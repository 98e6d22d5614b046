"""Clinical blood use at hospitals: transfusions to patients (pseudonymised per hospital), the
ABO/RhD, approval and appropriateness rules, the effect of a transfusion, adverse reactions,
returns and discards, and the hospital's own figures.

Rooms as in every feature: ``models``, ``rules`` (pure), ``messages`` (the rules' codes in
words), ``schemas``, ``service/``, ``api`` (``/api/v1``) and ``views/`` (``/clinical``).
"""
