"""A labelled set of rendered business cards for the capture benchmark (issue #14).

``python -m benchmarks.cardset --count 240 --out bench-out/cardset`` writes, per card, an
image and a ``.json`` label holding the fields a perfect reader would return (the shape of
:meth:`leaddesk.capture.fields.CardFields.to_json`) plus the locale, layout and degradation
used. Everything is drawn from one seed, so the same command gives the same set.

``people.py`` invents a person in a locale (Faker for names, streets and cities;
``phonenumbers`` for numbers in their real national formats), ``render.py`` lays the card out
with Pillow, ``degrade.py`` makes it look photographed (OpenCV).
"""
