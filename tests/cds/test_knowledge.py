"""The curated tables of cds/data/ hang together: every code they use is a known ingredient."""

from cds.medications.drugs import ingredients_of
from cds.medications.knowledge import (
    allergy_classes,
    dose_ranges,
    drug_classes,
    expand,
    ingredient_names,
    interaction_rules,
    product_ingredients,
    renal_rules,
)
from cds.value_sets import value_sets

RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"


def test_every_table_refers_to_known_ingredients_and_classes():
    known = set(ingredient_names())
    assert all(found <= known for found in product_ingredients().values())
    assert all(c.ingredients <= known for c in drug_classes().values())
    keys = [k for r in interaction_rules() for k in (r.a, r.b)]
    keys += [r.ingredient for r in renal_rules()] + [d for c in allergy_classes() for d in c.drugs]
    keys += list(dose_ranges())
    assert all(expand(key) <= known for key in keys)
    assert len(product_ingredients()) >= 40
    assert all(codes["codes"] for codes in value_sets().values())
    assert all(0 < r.min <= r.max and r.per in ("d", "wk") for r in dose_ranges().values())


def test_ingredients_from_codes_and_from_names():
    def concept(code: str, text: str = "") -> dict:
        return {"coding": [{"system": RXNORM, "code": code}], "text": text}

    assert ingredients_of(concept("562251")) == {"723", "48203"}  # amoxicillin + clavulanate
    assert ingredients_of(concept("11289")) == {"11289"}  # an ingredient code itself
    unknown_product = concept("999999999", "Sertraline 50 MG Oral Tablet")
    assert ingredients_of(unknown_product) == {"36437"}
    assert ingredients_of({"text": "Lasix 20 mg"}) == {"4603"}
    assert ingredients_of({"text": "vitamin D"}) == frozenset()
