"""A version's figures move from one row each (Observation) into the version itself."""

from django.db import migrations, models


def figures_into_versions(apps, schema_editor):
    """Copy every existing figure into its version's ``figures``, a version at a time."""
    ReturnVersion = apps.get_model("returns", "ReturnVersion")
    Observation = apps.get_model("returns", "Observation")
    figures: dict[int, dict] = {}
    for version_id, code, value in Observation.objects.values_list(
        "version_id", "indicator__code", "value"
    ).iterator(chunk_size=50_000):
        figures.setdefault(version_id, {})[code] = value
    versions = list(ReturnVersion.objects.filter(pk__in=list(figures)))
    for version in versions:
        version.figures = figures[version.pk]
    ReturnVersion.objects.bulk_update(versions, ["figures"], batch_size=2000)


class Migration(migrations.Migration):
    dependencies = [
        ("returns", "0004_observation_without_db_constraints"),
    ]

    operations = [
        migrations.AddField(
            model_name="returnversion",
            name="figures",
            field=models.JSONField(default=dict, verbose_name="figures"),
        ),
        migrations.RunPython(figures_into_versions, migrations.RunPython.noop),
        migrations.DeleteModel(
            name="Observation",
        ),
    ]
