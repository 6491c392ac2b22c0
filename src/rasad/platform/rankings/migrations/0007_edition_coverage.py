"""An edition records its filing coverage when it is computed (the national enterprises
expected to file for its year, those that filed, their share) and the enterprises
eligible and ranked, and whether it was computed as a thin edition by explicit request.
Editions computed before are left null: their coverage is shown as not recorded, never
made up from today's registry."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("rankings", "0006_result_coverage"),
    ]

    operations = [
        migrations.AddField(
            model_name="edition",
            name="eligible_count",
            field=models.PositiveIntegerField(
                blank=True, null=True, verbose_name="enterprises eligible"
            ),
        ),
        migrations.AddField(
            model_name="edition",
            name="expected_count",
            field=models.PositiveIntegerField(
                blank=True, null=True, verbose_name="enterprises expected to file"
            ),
        ),
        migrations.AddField(
            model_name="edition",
            name="filed_count",
            field=models.PositiveIntegerField(
                blank=True, null=True, verbose_name="enterprises that filed"
            ),
        ),
        migrations.AddField(
            model_name="edition",
            name="filing_coverage",
            field=models.FloatField(blank=True, null=True, verbose_name="filing coverage"),
        ),
        migrations.AddField(
            model_name="edition",
            name="ranked_count",
            field=models.PositiveIntegerField(
                blank=True, null=True, verbose_name="enterprises ranked"
            ),
        ),
        migrations.AddField(
            model_name="edition",
            name="thin_allowed",
            field=models.BooleanField(
                default=False,
                help_text="Computed with too few returns, by explicit request: it cannot be published.",
                verbose_name="computed as a thin edition",
            ),
        ),
    ]
