"""The return versions an edition used keep their table, now through a model of its own
(``EditionReturnVersion``) whose foreign keys have no database constraint: PostgreSQL's
check of each of an edition's ~200,000 rows at commit cost more than writing them."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("returns", "0005_figures_on_versions"),
        ("rankings", "0004_edition_job"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="EditionReturnVersion",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        (
                            "edition",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE, to="rankings.edition"
                            ),
                        ),
                        (
                            "returnversion",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                to="returns.returnversion",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "rankings_edition_return_versions",
                        "unique_together": {("edition", "returnversion")},
                    },
                ),
                migrations.AlterField(
                    model_name="edition",
                    name="return_versions",
                    field=models.ManyToManyField(
                        blank=True,
                        related_name="editions",
                        through="rankings.EditionReturnVersion",
                        to="returns.returnversion",
                        verbose_name="return versions used",
                    ),
                ),
            ],
        ),
        migrations.AlterField(
            model_name="editionreturnversion",
            name="edition",
            field=models.ForeignKey(
                db_constraint=False,
                on_delete=django.db.models.deletion.CASCADE,
                to="rankings.edition",
            ),
        ),
        migrations.AlterField(
            model_name="editionreturnversion",
            name="returnversion",
            field=models.ForeignKey(
                db_constraint=False,
                on_delete=django.db.models.deletion.CASCADE,
                to="returns.returnversion",
            ),
        ),
    ]
