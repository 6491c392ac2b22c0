"""Each edition result records the share of the methodology's indicators the enterprise
reported, the codes of those it left blank and the composite before the rescale step.
Rows of editions computed before are left null: their coverage was never recorded, and
it is shown as unknown rather than made up."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("rankings", "0005_edition_speed"),
    ]

    operations = [
        migrations.AddField(
            model_name="editionresult",
            name="composite",
            field=models.FloatField(
                blank=True, null=True, verbose_name="composite before rescaling"
            ),
        ),
        migrations.AddField(
            model_name="editionresult",
            name="coverage",
            field=models.FloatField(
                blank=True, null=True, verbose_name="share of the indicators reported"
            ),
        ),
        migrations.AddField(
            model_name="editionresult",
            name="missing",
            field=models.JSONField(blank=True, null=True, verbose_name="indicators left blank"),
        ),
    ]
