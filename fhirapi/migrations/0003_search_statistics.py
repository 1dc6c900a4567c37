"""Extended statistics on the search index, so that the planner knows how common a parameter
value is within its (resource type, parameter): without them it multiplies the columns'
frequencies as if independent, estimates `Condition.clinical-status = active` at 2 rows instead of
1,300 (100k resources) and drives the search from it instead of from the patient's references.
The token table gets a longer MCV list (1,000 combinations) since its codes are the most varied."""

from django.db import migrations

STATISTICS = [
    ("fhir_search_token", "resource_type, param, system, code", 1000),
    ("fhir_search_reference", "resource_type, param, target_type", None),
    ("fhir_search_string", "resource_type, param", None),
    ("fhir_search_date", "resource_type, param", None),
    ("fhir_search_number", "resource_type, param", None),
    ("fhir_search_quantity", "resource_type, param, system, code", None),
    ("fhir_search_uri", "resource_type, param", None),
]


def _create(table: str, columns: str, target: int | None) -> str:
    sql = f"CREATE STATISTICS {table}_stats (mcv, dependencies) ON {columns} FROM {table};"
    if target is not None:
        sql += f" ALTER STATISTICS {table}_stats SET STATISTICS {target};"
    return sql


class Migration(migrations.Migration):
    dependencies = [("fhirapi", "0002_search_index")]

    operations = [
        migrations.RunSQL(_create(*item), reverse_sql=f"DROP STATISTICS {item[0]}_stats;")
        for item in STATISTICS
    ]
