from django.db import migrations, models
from django.db.models.functions import Replace

# rasad.iran.text.SEARCH_FOLDS as it stood when the column was made; a later change to
# the folds needs a migration of its own.
FOLDS = [("ي", "ی"), ("ى", "ی"), ("ك", "ک"), ("\u200c", " ")]
FOLDS += [(d, str(i)) for i, d in enumerate("۰۱۲۳۴۵۶۷۸۹")]
FOLDS += [(d, str(i)) for i, d in enumerate("٠١٢٣٤٥٦٧٨٩")]


def folded(field):
    expression = models.F(field)
    for typed, to in FOLDS:
        expression = Replace(expression, models.Value(typed), models.Value(to))
    return expression


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0002_research_panels"),
    ]

    operations = [
        migrations.AddField(
            model_name="enterprise",
            name="search_name",
            field=models.GeneratedField(
                db_persist=True,
                expression=folded("name_fa"),
                output_field=models.CharField(max_length=200),
            ),
        ),
    ]
