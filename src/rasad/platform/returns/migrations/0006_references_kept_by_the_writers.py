"""The references of returns and versions are checked by their writers, not by the
database: PostgreSQL's row-by-row foreign-key checks were most of an import's commit
(see the models and BENCHMARKS.md). Indexes and Django's PROTECT stay."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0001_initial"),
        ("returns", "0005_figures_on_versions"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name="return",
            name="current_version",
            field=models.OneToOneField(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="returns.returnversion",
                verbose_name="current version",
            ),
        ),
        migrations.AlterField(
            model_name="return",
            name="enterprise",
            field=models.ForeignKey(
                db_constraint=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="returns",
                to="registry.enterprise",
                verbose_name="enterprise",
            ),
        ),
        migrations.AlterField(
            model_name="return",
            name="period",
            field=models.ForeignKey(
                db_constraint=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="returns",
                to="returns.period",
                verbose_name="period",
            ),
        ),
        migrations.AlterField(
            model_name="returnversion",
            name="created_by",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="submitted by",
            ),
        ),
        migrations.AlterField(
            model_name="returnversion",
            name="return_record",
            field=models.ForeignKey(
                db_constraint=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="versions",
                to="returns.return",
                verbose_name="return",
            ),
        ),
        migrations.AlterField(
            model_name="returnversion",
            name="source_file",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="versions",
                to="returns.sourcefile",
                verbose_name="source file",
            ),
        ),
    ]
