"""The data state row and the triggers that change its token on every write to the
tables the caches of ``rasad.platform.returns.state`` are built from.

PostgreSQL fires once per statement (a COPY of 100,000 rows is one change), an upsert
(the row may have been emptied with the tables, as Django's test flush does). SQLite
has only row triggers, and on the returns and their versions they doubled the commit
of a 100,000-row import (27 µs a row): there the two writers of those tables,
``record_return`` and ``record_returns``, change the state themselves
(``returns.state.touch``), and the other tables have their triggers. The row is kept
by a trigger of its own that puts it back whenever it is deleted."""

from django.db import migrations, models

# everything the monitoring run, the cluster analysis, the ranking pages' names and an
# import's checks are read from
WATCHED = (
    "registry_province",
    "registry_sector",
    "registry_industrialestate",
    "registry_enterprise",
    "registry_cluster",
    "registry_clustermembership",
    "returns_period",
    "returns_indicator",
    "returns_return",
    "returns_returnversion",
)
WRITTEN_BY_THE_RETURN_WRITERS = ("returns_return", "returns_returnversion")
CHANGE = (
    "INSERT INTO returns_datastate (id, token) VALUES (1, {token}) "
    "ON CONFLICT (id) DO UPDATE SET token = excluded.token;"
)
POSTGRES_CHANGE = CHANGE.format(token="replace(gen_random_uuid()::text, '-', '')")
SQLITE_CHANGE = "UPDATE returns_datastate SET token = randomblob(16) WHERE id = 1;"
SQLITE_KEPT = (
    "CREATE TRIGGER rasad_data_state_kept AFTER DELETE ON returns_datastate FOR EACH ROW "
    "BEGIN INSERT INTO returns_datastate (id, token) VALUES (1, randomblob(16)); END"
)
POSTGRES_FUNCTION = (
    "CREATE OR REPLACE FUNCTION rasad_data_changed() RETURNS trigger LANGUAGE plpgsql AS $$ "
    f"BEGIN {POSTGRES_CHANGE} RETURN NULL; END $$"
)


def create_triggers(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        if schema_editor.connection.vendor == "postgresql":
            cursor.execute(POSTGRES_FUNCTION)
            for table in WATCHED:
                cursor.execute(
                    f"CREATE TRIGGER rasad_data_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
                    f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION rasad_data_changed()"
                )
            cursor.execute(POSTGRES_CHANGE)
        else:
            for table in WATCHED:
                if table in WRITTEN_BY_THE_RETURN_WRITERS:
                    continue
                for event in ("INSERT", "UPDATE", "DELETE"):
                    cursor.execute(
                        f"CREATE TRIGGER rasad_data_changed_{table}_{event.lower()} AFTER {event} "
                        f"ON {table} FOR EACH ROW BEGIN {SQLITE_CHANGE} END"
                    )
            cursor.execute("INSERT INTO returns_datastate (id, token) VALUES (1, randomblob(16))")
            cursor.execute(SQLITE_KEPT)


def drop_triggers(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        if schema_editor.connection.vendor == "postgresql":
            for table in WATCHED:
                cursor.execute(f"DROP TRIGGER IF EXISTS rasad_data_changed ON {table}")
            cursor.execute("DROP FUNCTION IF EXISTS rasad_data_changed()")
        else:
            for table in WATCHED:
                for event in ("insert", "update", "delete"):
                    cursor.execute(f"DROP TRIGGER IF EXISTS rasad_data_changed_{table}_{event}")
            cursor.execute("DROP TRIGGER IF EXISTS rasad_data_state_kept")


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0001_initial"),
        ("returns", "0006_references_kept_by_the_writers"),
    ]

    operations = [
        migrations.CreateModel(
            name="DataState",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("token", models.CharField(max_length=32, verbose_name="data state")),
            ],
            options={
                "verbose_name": "data state",
                "verbose_name_plural": "data states",
            },
        ),
        migrations.RunPython(create_triggers, drop_triggers),
    ]
